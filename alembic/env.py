"""Alembic environment: SQLModel.metadata and the URL from portal_app.settings."""

from __future__ import annotations

from sqlmodel import SQLModel

import portal_app.models  # noqa: F401  (registers every table)
from alembic import context
from portal_app.db import make_engine
from portal_app.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    # Tests pass an explicit URL; everything else uses DATABASE_URL.
    return config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
