"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import portal_app.models  # noqa: F401  (registers every table)
from alembic import command
from portal_app.cli import migrate
from portal_app.core.db import make_engine
from portal_app.core.settings import PROJECT_ROOT
from tests.conftest import PG_URL


def _config(connection) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["connection"] = connection
    return config


def _run(engine: Engine, action: str, revision: str) -> None:
    with engine.begin() as connection:
        getattr(command, action)(_config(connection), revision)


def _differences(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path) -> Iterator[Engine]:
    """An empty database: a temporary SQLite file, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield engine
        engine.dispose()
        return
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def test_one_head_and_one_base():
    script = ScriptDirectory.from_config(_config(None))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


def test_upgrade_head_matches_the_models(empty_db):
    assert _tables(empty_db) == set()

    _run(empty_db, "upgrade", "head")

    head = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert _current(empty_db) == head
    assert _tables(empty_db) == set(SQLModel.metadata.tables)
    assert _differences(empty_db) == []
    assert _check_constraints(empty_db) == _model_check_constraints()


def _check_constraints(engine: Engine) -> set[tuple[str, str]]:
    """(table, name) of every CHECK constraint in the database (autogenerate ignores them)."""
    inspector = inspect(engine)
    return {
        (table, check["name"])
        for table in _tables(engine)
        for check in inspector.get_check_constraints(table)
        if check.get("name")
    }


def _model_check_constraints() -> set[tuple[str, str]]:
    return {
        (table.name, constraint.name)
        for table in SQLModel.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint) and isinstance(constraint.name, str)
    }


def test_the_ledger_checks_exist_in_the_models():
    """The CHECKs the money ledger relies on (services/ledger.py) are declared on the tables."""
    assert {
        ("invoice", "ck_invoice_balance_not_negative"),
        ("invoice", "ck_invoice_paid_not_negative"),
        ("credit", "ck_credit_balance_within_amount"),
        ("payment", "ck_payment_applied_within_received"),
        ("payment_allocation", "ck_allocation_refund_within_amount"),
        ("credit_hold", "ck_credit_hold_positive"),
    } <= _model_check_constraints()


def test_downgrade_to_base_and_upgrade_again(empty_db):
    _run(empty_db, "upgrade", "head")

    _run(empty_db, "downgrade", "base")

    assert _tables(empty_db) == set()
    assert _current(empty_db) is None
    # The comparison is live: against an empty schema it wants every table back.
    added = {diff[1].name for diff in _differences(empty_db) if diff[0] == "add_table"}
    assert added == set(SQLModel.metadata.tables)

    _run(empty_db, "upgrade", "head")

    assert _tables(empty_db) == set(SQLModel.metadata.tables)
    assert _differences(empty_db) == []


def test_cli_migrate_on_a_fresh_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate(url)
    migrate(url)  # a second run is a no-op
    engine = make_engine(url)
    try:
        assert _differences(engine) == []
    finally:
        engine.dispose()


def _insert(conn, table_name: str, **values) -> None:
    """Insert a row into the schema as it is now, filling required columns not given with a
    plain value of their type (the old schema predates the models)."""
    import datetime as dt

    from sqlalchemy import Boolean, Date, DateTime, Integer, MetaData, Numeric, Table

    table = Table(table_name, MetaData(), autoload_with=conn)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        if column.primary_key:
            continue
        kind = column.type
        if isinstance(kind, Boolean):
            row[column.name] = False
        elif isinstance(kind, Integer | Numeric):
            row[column.name] = 0
        elif isinstance(kind, DateTime):
            row[column.name] = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        elif isinstance(kind, Date):
            row[column.name] = dt.date(2026, 1, 1)
        else:
            row[column.name] = ""
    conn.execute(table.insert().values(**row))


def test_0008_makes_applied_net_of_refunds_on_existing_payments(empty_db):
    """A payment refunded off its invoice before 0008 kept its gross applied amount; after the
    upgrade applied + refunded fits the amount (and the new CHECK holds)."""
    _run(empty_db, "upgrade", "0007")
    with empty_db.begin() as conn:
        _insert(conn, "company", id=1, name="Co")
        _insert(conn, "client", id=1, company_id=1, name="Cl")
        _insert(
            conn,
            "invoice",
            id=1,
            company_id=1,
            client_id=1,
            number="INV-1",
            status="partial",
            currency="USD",
            amount_minor=240_00,
            paid_to_date_minor=200_00,
            balance_minor=40_00,
        )
        # 300.00 received, 240.00 applied to the invoice; 100.00 refunded: 40.00 of it off the
        # invoice, 60.00 of the unapplied part.
        _insert(
            conn,
            "payment",
            id=1,
            company_id=1,
            client_id=1,
            number="PAY-1",
            status="partly_refunded",
            currency="USD",
            amount_minor=300_00,
            applied_minor=240_00,
            refunded_minor=100_00,
        )
        _insert(
            conn,
            "payment_allocation",
            id=1,
            company_id=1,
            payment_id=1,
            invoice_id=1,
            amount_minor=240_00,
            refunded_minor=40_00,
        )
    _run(empty_db, "upgrade", "head")
    with empty_db.connect() as conn:
        applied, refunded = conn.execute(
            text("SELECT applied_minor, refunded_minor FROM payment WHERE id = 1")
        ).one()
    assert (applied, refunded) == (200_00, 100_00)


def test_a_reminder_opt_out_becomes_an_email_opt_out_and_back(empty_db):
    """0020 keeps who unsubscribed from reminders (0017's column) as an email_opt_out row, and
    its downgrade puts the column back from those rows."""
    _run(empty_db, "upgrade", "0019")
    with empty_db.begin() as conn:
        _insert(conn, "company", id=1, name="Co")
        _insert(conn, "client", id=1, company_id=1, name="Cl")
        for contact_id, opted in ((1, True), (2, False)):
            _insert(
                conn,
                "clientcontact",
                id=contact_id,
                company_id=1,
                client_id=1,
                email=f"c{contact_id}@example.test",
                reminders_opt_out=opted,
            )
    _run(empty_db, "upgrade", "0020")
    with empty_db.connect() as conn:
        rows = conn.execute(text("SELECT contact_id, kind FROM email_opt_out")).all()
    assert [tuple(row) for row in rows] == [(1, "payment_reminder")]
    _run(empty_db, "downgrade", "0019")
    with empty_db.connect() as conn:
        flags = conn.execute(
            text("SELECT id, reminders_opt_out FROM clientcontact ORDER BY id")
        ).all()
    assert [(row[0], bool(row[1])) for row in flags] == [(1, True), (2, False)]
