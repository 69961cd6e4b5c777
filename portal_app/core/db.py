"""Database engine and sessions. Callers own the transaction: services never commit."""

from __future__ import annotations

import time
from collections.abc import Generator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlmodel import Session, create_engine

from portal_app.core.settings import get_settings


def utcnow() -> datetime:
    """Current time as an aware UTC datetime (SQLModel's UTCDateTime columns require one)."""
    return datetime.now(UTC)


class HasId(Protocol):
    """A table row: its primary key is None until the row is flushed."""

    @property
    def id(self) -> int | None: ...


def id_of(row: HasId) -> int:
    """The id of a row that is in the database (loaded, or added and flushed).

    Table models declare `id: int | None` because a new row has none yet; this narrows it
    for rows that must have one, and fails loudly instead of passing None on.
    """
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


def make_engine(url: str, *, autocommit: bool = False) -> Engine:
    """Create an engine for `url`, with SQLite tuned for a small embedded deployment.

    `autocommit` (PostgreSQL only) makes every connection autocommit once, when it is opened,
    for sessions that only read (`get_read_engine`)."""
    if url.startswith("sqlite"):
        if autocommit:
            raise ValueError("autocommit engines are for PostgreSQL (SQLite keeps its own rules)")
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": 30,
                # sqlite3 opens a transaction itself only before INSERT/UPDATE/DELETE: with
                # "IMMEDIATE" that BEGIN takes the write lock at once. See _sqlite_write_lock.
                "isolation_level": "IMMEDIATE",
            },
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(
            dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry
        ) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        _sqlite_write_lock(engine)
        return engine
    if autocommit:
        # Set on each connection when it is opened (psycopg's autocommit attribute), never
        # switched on checkout and back on return: SQLAlchemy's per-checkout isolation switch
        # (an engine's execution_options) was ~2% of a loaded worker's CPU (issue 25). Its own
        # pool: a worker runs one synchronous handler at a time on its event loop.
        engine = create_engine(url, pool_size=5, max_overflow=10, isolation_level="AUTOCOMMIT")
    else:
        engine = create_engine(url, pool_size=10, max_overflow=20)
    _ping_after_idle(engine)
    return engine


def _sqlite_write_lock(engine: Engine) -> None:
    """SQLite transactions that write take the write lock when they begin (BEGIN IMMEDIATE).

    In WAL mode a transaction that has read holds a snapshot; if another connection commits
    before it writes, SQLite cannot turn the stale snapshot into a write and fails at once
    with "database is locked", without waiting the busy timeout. A transaction that starts
    with BEGIN IMMEDIATE waits for the lock (up to the timeout) and never reads a snapshot it
    cannot write on: the fix Rails 8 and Django 5.1 use.

    Only writes take the lock, as in Rails and Django (whose reads outside a transaction run
    in autocommit): sqlite3 leaves SELECTs outside a transaction and begins one before the
    first INSERT/UPDATE/DELETE, so page loads that only read never queue behind a writer or
    each other (SQLAlchemy's recipe, BEGIN from the "begin" event, would lock for every
    session). The hole is SAVEPOINT (`session.begin_nested()`): sqlite3 does not begin before
    it, and SQLite then opens a deferred transaction that reads, writes late and fails as
    above (the webhook handler did); that transaction also committed on RELEASE, whatever the
    session did after. So a SAVEPOINT outside a transaction is preceded by BEGIN IMMEDIATE.
    """

    @event.listens_for(engine, "savepoint")
    def _begin_before_savepoint(conn: Connection, _name: str | None) -> None:
        driver = conn.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


# A pooled connection unused for this long is tested before it is handed out. Busy workers
# reuse connections within milliseconds, so they skip the test that SQLAlchemy's
# `pool_pre_ping` would run on every checkout (a round trip per database session); a
# connection broken while in use raises a disconnect error, which makes SQLAlchemy discard
# the whole pool, so the next session after an outage starts on fresh connections.
IDLE_PING_SECONDS = 2.0


def _ping_after_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _note_checkin(_dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(
        dbapi_connection: DBAPIConnection,
        record: ConnectionPoolEntry,
        _proxy: PoolProxiedConnection,
    ) -> None:
        if time.monotonic() - record.info.get("checked_in_at", 0.0) < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            # psycopg opened a transaction for the SELECT: end it, so the connection is handed
            # out as it was checked in (the job lock switches it to autocommit, which psycopg
            # refuses inside a transaction).
            dbapi_connection.rollback()
        except Exception as error:  # noqa: BLE001 - any failure means a dead connection
            # The pool replaces the connection and tries again (SQLAlchemy's documented way).
            raise DisconnectionError(str(error)) from error


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process-wide engine for the configured DATABASE_URL."""
    return make_engine(get_settings().database_url)


# get_engine's engine -> its autocommit sibling (a new get_engine after cache_clear, as tests
# do with another DATABASE_URL, gets a new one; a dropped engine's sibling goes with it).
_READ_ENGINES: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def get_read_engine() -> Engine:
    """The engine for sessions that only read (state/read_scope.py): on PostgreSQL one whose
    connections are all in autocommit, on the same database as `get_engine`; on SQLite
    `get_engine` itself."""
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        return engine
    found = _READ_ENGINES.get(engine)
    if found is None:
        found = _READ_ENGINES[engine] = make_engine(
            engine.url.render_as_string(hide_password=False), autocommit=True
        )
    return found


@contextmanager
def session_scope(engine: Engine | None = None) -> Generator[Session, None, None]:
    """A session that commits when the block ends without error and rolls back otherwise."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


@contextmanager
def session_or_scope(db: Session | None) -> Generator[Session, None, None]:
    """`db` itself when the caller already has the event's session, else a `session_scope`."""
    if db is not None:
        yield db
        return
    with session_scope() as session:
        yield session
