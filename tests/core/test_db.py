"""The PostgreSQL engine's connection test: skipped while busy, run after an idle spell."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from portal_app.core import db
from tests.conftest import PG_URL


def _kill_pooled_connection(engine) -> None:
    """Terminate the server side of the one connection in `engine`'s pool."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = db.make_engine(PG_URL)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()
    admin.dispose()


@pytest.fixture
def pg_engine():
    engine = db.make_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError:
        pytest.skip("PostgreSQL is not reachable")
    yield engine
    engine.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(pg_engine, monkeypatch):
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every checkout counts as idle
    _kill_pooled_connection(pg_engine)
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT 41 + 1")).scalar_one() == 42


def test_a_busy_connection_is_not_tested_and_a_dead_one_fails_once(pg_engine, monkeypatch):
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)  # never idle: no test on checkout
    _kill_pooled_connection(pg_engine)
    with pytest.raises(OperationalError), pg_engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    # The disconnect error discarded the pool: the next use connects afresh.
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_the_idle_test_leaves_no_transaction_open(pg_engine, monkeypatch):
    """The job lock (jobs/lock.py) takes a pooled connection into autocommit: after the idle
    test's SELECT 1 that failed with "can't change 'autocommit' now: connection in
    transaction status INTRANS", so scheduled job runs failed at random."""
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every checkout counts as idle
    with pg_engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    conn = pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        assert conn.execute(text("SELECT 41 + 1")).scalar_one() == 42
    finally:
        conn.close()
