"""One job runner at a time, across processes and machines.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a dedicated
connection for the whole run; PostgreSQL releases it by itself if the process dies, so a crashed
worker never leaves the jobs locked. SQLite (one machine by design): an exclusive `flock` on a
file beside the database file, which the kernel also releases when the process dies.

The lock is an optimisation against duplicate work, not the only guard: every job still claims
each record with a conditional UPDATE, so even two runners that both got in would never issue or
charge the same thing twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

# Guards in-memory SQLite databases, which only one process can see anyway.
_memory_lock = threading.Lock()


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (advisory locks are keyed by bigint)."""
    digest = hashlib.sha256(f"portal-jobs:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def sqlite_lock_path(engine: Engine, name: str) -> Path | None:
    """The lock file beside the SQLite database file; None for an in-memory database."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).with_name(f"{Path(database).name}.{name}.lock")


@contextmanager
def job_lock(engine: Engine, name: str = "jobs") -> Iterator[bool]:
    """Try to take the job lock `name` without waiting; yields whether this caller holds it."""
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, name) as held:
            yield held
    elif engine.dialect.name == "sqlite":
        with _sqlite_lock(engine, name) as held:
            yield held
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"no job lock for {engine.dialect.name}")


@contextmanager
def _pg_lock(engine: Engine, name: str) -> Iterator[bool]:
    # A connection of its own, in autocommit, so the jobs' transactions never hold or release it
    # and it is never left "idle in transaction".
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        # Advisory locks are per server: the key names the database and schema too, so two
        # portals (or two test runs) in different schemas of one server do not block each other.
        where = conn.execute(text("SELECT current_database(), current_schema()")).one()
        key = lock_key(f"{name}@{where[0]}.{where[1]}")
        held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
    except Exception:
        conn.invalidate()
        conn.close()
        raise
    try:
        yield held
    finally:
        if held:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            except Exception:  # noqa: BLE001 - closing the connection below frees it anyway
                log.warning("could not release job lock %s; dropping its connection", name)
                # A session-level lock lives as long as its connection: never hand it back to
                # the pool still locked.
                conn.invalidate()
        conn.close()


@contextmanager
def _sqlite_lock(engine: Engine, name: str) -> Iterator[bool]:
    path = sqlite_lock_path(engine, name)
    if path is None:
        held = _memory_lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                _memory_lock.release()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Each call opens its own file description, so two threads of one process exclude each
    # other too (flock locks belong to the open file, not to the process).
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = True
        except BlockingIOError:
            held = False
        try:
            yield held
        finally:
            if held:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
