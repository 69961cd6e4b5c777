"""GET /api/health: database and (when configured) Redis reachability, never a crash."""

from __future__ import annotations

import os
import socket
import time

import pytest

from portal_app.core.settings import get_settings

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _closed_port() -> int:
    """A local port nobody listens on: bound, read and released again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def with_redis(monkeypatch):
    """Point REDIS_URL at `url` for the routes (settings are re-read)."""

    def use(url: str | None) -> None:
        if url is None:
            monkeypatch.delenv("REDIS_URL", raising=False)
        else:
            monkeypatch.setenv("REDIS_URL", url)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_database_ok_and_redis_not_reported_without_redis_url(client, with_redis):
    with_redis(None)
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_redis_ok_against_the_machines_redis(client, with_redis):
    with_redis(REDIS_URL)
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_redis_on_a_closed_port_is_degraded_quickly(client, with_redis):
    with_redis(f"redis://127.0.0.1:{_closed_port()}/0")
    started = time.monotonic()
    response = client.get("/api/health")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "ok", "redis": "unreachable"}


def test_unreachable_database_is_degraded_not_a_crash(client, monkeypatch, with_redis):
    from portal_app.core import db as portal_db

    with_redis(None)
    portal_db.get_engine().dispose()
    portal_db.get_engine.cache_clear()
    monkeypatch.setenv(
        "DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nothing"
    )
    get_settings.cache_clear()
    try:
        started = time.monotonic()
        response = client.get("/api/health")
        assert time.monotonic() - started < 3
    finally:
        portal_db.get_engine().dispose()
        portal_db.get_engine.cache_clear()
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "unreachable"}


def test_portal_api_echoes_a_request_id(client, with_redis):
    with_redis(None)
    response = client.get("/api/health", headers={"X-Request-ID": "probe-1"})
    assert response.headers["x-request-id"] == "probe-1"
    assert len(client.get("/api/health").headers["x-request-id"]) == 32
