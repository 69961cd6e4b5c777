"""SQLite write transactions wait for the write lock instead of failing with "database is locked".

In WAL mode a transaction that has read holds a snapshot; if another connection commits before
it writes, SQLite cannot turn the stale snapshot into a write and returns SQLITE_BUSY at once,
without calling the busy handler (the engine's 30 s timeout). The webhook route failed so under
load: `session.begin_nested()` emitted SAVEPOINT, which opened a deferred transaction, then read,
then wrote. Each test runs on its own SQLite file through the project's engine factory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal_app.core.db import make_engine, session_scope


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"))
    yield eng
    eng.dispose()


def _names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT name FROM item ORDER BY id")).scalars())


def _count(session: Session) -> int:
    return session.execute(text("SELECT count(*) FROM item")).scalar_one()


def _insert(session: Session, name: str) -> None:
    session.execute(text("INSERT INTO item (name) VALUES (:name)"), {"name": name})


def _write_in_thread(engine: Engine, name: str, errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            with session_scope(engine) as session:
                _insert(session, name)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    thread = threading.Thread(target=run, name=f"write-{name}", daemon=True)
    thread.start()
    return thread


def test_a_savepoint_that_read_can_write_after_another_connection_committed(engine):
    """Session 1 reads inside begin_nested (as the webhook handler does), session 2 writes and
    commits, then session 1 writes. Before the fix session 1's write failed at once with
    `sqlite3.OperationalError: database is locked`; now session 1 holds the write lock from its
    SAVEPOINT on, and session 2 waits for it."""
    errors: list[BaseException] = []
    with session_scope(engine) as first, first.begin_nested():
        assert _count(first) == 0
        second = _write_in_thread(engine, "second", errors)
        second.join(timeout=1.0)  # before the fix it committed here; now it waits
        _insert(first, "first")
    second.join(timeout=30)
    assert not second.is_alive()
    assert errors == []
    assert sorted(_names(engine)) == ["first", "second"]


def test_two_writers_at_once_both_land_while_one_holds_the_lock(engine):
    """Two savepoint read-then-write transactions in threads: the one that comes second waits
    (busy timeout) while the first holds the lock, instead of failing at once."""
    errors: list[BaseException] = []
    holding = threading.Event()

    def slow_writer() -> None:
        try:
            with session_scope(engine) as session, session.begin_nested():
                _count(session)
                _insert(session, "slow")
                holding.set()
                time.sleep(0.5)  # holds the write lock while the other starts
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
            holding.set()

    def reading_writer() -> None:
        try:
            with session_scope(engine) as session, session.begin_nested():
                _count(session)
                _insert(session, "reader")
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    slow = threading.Thread(target=slow_writer, daemon=True)
    slow.start()
    assert holding.wait(timeout=30)
    other = threading.Thread(target=reading_writer, daemon=True)
    other.start()
    slow.join(timeout=30)
    other.join(timeout=30)
    assert errors == []
    assert sorted(_names(engine)) == ["reader", "slow"]


def test_a_released_savepoint_is_undone_with_its_transaction(engine):
    """A SAVEPOINT emitted before any write used to open a transaction of its own, so its
    release committed its rows even when the enclosing session rolled back."""
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        with session.begin_nested():
            _insert(session, "undone")
        raise RuntimeError("the request failed after the savepoint")
    assert _names(engine) == []


def test_a_session_that_only_read_does_not_hold_the_write_lock(engine):
    """Page loads only read: they must not queue writers (nor each other) behind them. A
    session that has read and not written leaves the lock free for another writer, and can
    still write afterwards."""
    with session_scope(engine) as reader:
        assert _count(reader) == 0
        started = time.monotonic()
        with session_scope(engine) as writer:
            _insert(writer, "writer")
        assert time.monotonic() - started < 5  # not the 30 s busy timeout
        assert _count(reader) == 1
        _insert(reader, "reader")
    assert sorted(_names(engine)) == ["reader", "writer"]


def test_two_readers_read_at_the_same_time(engine):
    """Two sessions that only read are both open at once without waiting for each other."""
    with session_scope(engine) as first, session_scope(engine) as second:
        assert _count(first) == 0
        started = time.monotonic()
        assert _count(second) == 0
        assert _count(first) == 0
        assert time.monotonic() - started < 5
