"""Alembic environment: SQLModel.metadata and the URL from portal_app.core.settings."""

from __future__ import annotations

from sqlmodel import SQLModel

import portal_app.models  # noqa: F401  (registers every table)
from alembic import context
from portal_app.core.db import make_engine
from portal_app.core.settings import get_settings
from portal_app.models.base import render_item

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
        render_item=render_item,
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
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table (copy, drop, rename) to change its constraints; with
        # foreign keys enforced, dropping a table that other rows point at fails. SQLite only
        # takes this outside a transaction, so it is set on the driver's connection before the
        # migration's transaction begins (and without SQLAlchemy starting one for it).
        _pragma(connection, "foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        render_item=render_item,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
    finally:
        if sqlite:
            _pragma(connection, "foreign_keys=ON")


def _pragma(connection, setting: str) -> None:
    connection.connection.driver_connection.execute(f"PRAGMA {setting}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
