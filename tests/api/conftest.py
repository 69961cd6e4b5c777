"""The HTTP routes, in process, on their own SQLite file whose data is committed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import Session, SQLModel
from starlette.testclient import TestClient

from portal_app.core import db as portal_db
from portal_app.core.settings import get_settings
from tests.conftest import Factory
from tests.helpers.signin import bind


@pytest.fixture
def api_env(tmp_path, monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'api.db'}")
    get_settings.cache_clear()
    portal_db.get_engine.cache_clear()
    SQLModel.metadata.create_all(portal_db.get_engine())
    yield
    portal_db.get_engine().dispose()
    get_settings.cache_clear()
    portal_db.get_engine.cache_clear()


@pytest.fixture
def committed(api_env):
    """A context manager giving a session whose work is committed (the routes must see it)."""

    @contextmanager
    def scope() -> Iterator[tuple[Session, Factory]]:
        with portal_db.session_scope() as session:
            yield session, Factory(session)

    return scope


@pytest.fixture
def client(api_env) -> TestClient:
    """A browser on the routes. It holds the sign-in binding `tests.helpers.signin.BINDING`,
    as after the sign-in page: open sessions with `binding=BINDING` to hand them to it."""
    from portal_app.api.routes import api

    client = TestClient(api, base_url="http://localhost:8000", follow_redirects=False)
    bind(client)
    return client
