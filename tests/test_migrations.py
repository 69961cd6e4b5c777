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
from portal_app.db import make_engine
from portal_app.settings import PROJECT_ROOT
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
