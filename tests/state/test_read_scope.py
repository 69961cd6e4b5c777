"""state/read_scope.py: a read-only page event's database session runs without BEGIN and
COMMIT on PostgreSQL, and the pooled connection it used opens transactions again afterwards,
so a write elsewhere that fails is still rolled back as a whole (issue 25)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from portal_app.core.db import session_scope
from portal_app.models import AuditEvent, Company, Invoice
from portal_app.services.billing import invoices
from portal_app.state.read_scope import autocommit_engine, read_scope
from tests.conftest import PG_URL, Factory


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


def _committed_invoice(engine):
    """An invoice and its contact's actor, committed (a read scope sees only committed rows)."""
    with session_scope(engine) as db:
        make = Factory(db)
        client = make.client(make.company())
        actor = make.actor(make.contact(client))
        invoice_id = make.invoice(client).id
    return actor, invoice_id


def _view_record(engine, invoice_id):
    with read_scope(engine) as db:
        invoice = db.get(Invoice, invoice_id)
        rows = db.exec(
            select(AuditEvent).where(
                AuditEvent.action == "invoice_viewed", AuditEvent.entity_id == invoice_id
            )
        ).all()
        return (invoice.last_viewed_at if invoice else None), len(rows)


def test_the_invoice_pages_view_record_in_a_read_scope_is_both_or_neither(engine):
    made: list[int] = []
    try:
        # The invoice page's load runs in read_scope: on PostgreSQL each statement commits alone,
        # so the view record (last_viewed_at and its audit row) must be one statement there.
        actor, invoice_id = _committed_invoice(engine)
        made.append(invoice_id)
        with read_scope(engine) as db:
            invoice = db.get(Invoice, invoice_id)
            assert invoice is not None
            before = (invoice.company_id, invoice.client_id, invoice.created_at, invoice.updated_at)
            invoices.record_view(db, actor=actor, invoice=invoice)
        viewed_at, rows = _view_record(engine, invoice_id)
        assert viewed_at is not None and rows == 1
        # Only last_viewed_at moved (the audit row's values are not the invoice's columns).
        with read_scope(engine) as db:
            after = db.get(Invoice, invoice_id)
            assert after is not None
            assert (after.company_id, after.client_id, after.created_at, after.updated_at) == before

        # An audit row that cannot be written (no such company): the invoice is not marked either.
        other, other_id = _committed_invoice(engine)
        made.append(other_id)
        broken = replace(other, company_id=-1)
        with pytest.raises(IntegrityError), read_scope(engine) as db:
            invoices.record_view(db, actor=broken, invoice=db.get(Invoice, other_id))
        assert _view_record(engine, other_id) == (None, 0)
    finally:
        # Committed rows: other tests count every "invoice_viewed" row of the database.
        with session_scope(engine) as db:
            db.execute(delete(AuditEvent).where(col(AuditEvent.entity_id).in_(made)))


@pytest.fixture
def database_url(monkeypatch):
    """Point the settings (and so get_engine) at a database URL for one test."""
    from portal_app.core import db as portal_db
    from portal_app.core.settings import get_settings

    def use(url: str):
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        portal_db.get_engine.cache_clear()
        return portal_db

    yield use
    portal_db.get_engine().dispose()
    monkeypatch.undo()
    get_settings.cache_clear()
    portal_db.get_engine.cache_clear()


def test_the_portals_reads_use_an_engine_whose_connections_are_born_in_autocommit(database_url):
    portal_db = database_url(PG_URL)
    reads = portal_db.get_read_engine()
    assert reads is not portal_db.get_engine()
    assert reads is portal_db.get_read_engine()
    assert reads.url == portal_db.get_engine().url
    try:
        with read_scope() as db:
            assert db.get_bind() is reads
            assert db.exec(select(text("1"))).one() == 1
            driver = _driver(db)
            assert driver.autocommit
            assert driver.info.transaction_status == TransactionStatus.IDLE
            # Nothing to switch back on return: no per-checkout isolation level.
            assert "isolation_level" not in db.connection().get_execution_options()
        with session_scope() as db:
            db.exec(select(text("1"))).one()
            assert not _driver(db).autocommit
            assert _driver(db).info.transaction_status == TransactionStatus.INTRANS
    finally:
        reads.dispose()


def test_on_sqlite_the_portals_reads_use_the_one_engine(database_url, tmp_path):
    portal_db = database_url(f"sqlite:///{tmp_path / 'reads.db'}")
    assert portal_db.get_read_engine() is portal_db.get_engine()
    with pytest.raises(ValueError):
        portal_db.make_engine(f"sqlite:///{tmp_path / 'other.db'}", autocommit=True)
