"""state/read_scope.py: a read-only page event's database session runs without BEGIN and
COMMIT on PostgreSQL, and the pooled connection it used opens transactions again afterwards,
so a write elsewhere that fails is still rolled back as a whole (issue 25)."""

from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, text
from sqlmodel import select

from portal_app.core.db import session_scope
from portal_app.models import Company
from portal_app.state.read_scope import autocommit_engine, read_scope
from tests.conftest import PG_URL


def _driver(db):
    return db.connection().connection.driver_connection


def test_reads_on_postgresql_open_no_transaction():
    engine = create_engine(PG_URL, pool_size=1, max_overflow=0)
    try:
        with read_scope(engine) as db:
            assert db.exec(select(text("1"))).one() == 1
            driver = _driver(db)
            assert driver.autocommit
            # psycopg sent no BEGIN: nothing for a COMMIT to end.
            assert driver.info.transaction_status == TransactionStatus.IDLE
        # The same pooled connection (pool of one) is back to transactions for everyone else.
        with session_scope(engine) as db:
            db.exec(select(text("1"))).one()
            driver = _driver(db)
            assert not driver.autocommit
            assert driver.info.transaction_status == TransactionStatus.INTRANS
    finally:
        engine.dispose()


def test_after_a_read_scope_a_failed_write_elsewhere_is_rolled_back_whole(engine):
    # Either database: a write of session_scope that fails after its first statement leaves
    # nothing behind, whatever read_scope did on the pool's connections before.
    name = "read-scope-rollback-check"
    with read_scope(engine) as db:
        db.exec(select(Company).limit(1)).all()
    with pytest.raises(RuntimeError), session_scope(engine) as db:
        db.add(Company(name=name))
        db.flush()
        raise RuntimeError("the event failed after its first write")
    with read_scope(engine) as db:
        assert db.exec(select(Company).where(Company.name == name)).all() == []


def test_sqlite_keeps_its_own_sessions(engine):
    if engine.dialect.name == "sqlite":
        assert autocommit_engine(engine) is None
    else:
        assert autocommit_engine(engine) is autocommit_engine(engine)
