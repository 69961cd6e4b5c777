"""Enum-typed columns store today's plain strings and read back as members of their enum."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import render_python_code
from alembic.operations import ops
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlmodel import SQLModel

import portal_app.models  # noqa: F401  (registers every table)
from portal_app.models import Invoice, InvoiceStatus, QuoteStatus
from portal_app.models.base import EnumString, render_item

ENUM_COLUMNS = [
    column
    for table in SQLModel.metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, EnumString)
]


def test_the_status_columns_are_enum_typed():
    typed = {f"{c.table.name}.{c.name}" for c in ENUM_COLUMNS}
    assert {
        "invoice.status",
        "quote.status",
        "credit.status",
        "payment.status",
        "checkout.status",
        "recurring_invoice.status",
        "recurring_invoice.auto_bill",
        "subscription.status",
        "prepayment_schedule.status",
        "webhook_event.status",
    } <= typed


@pytest.mark.parametrize("column", ENUM_COLUMNS, ids=lambda c: f"{c.table.name}.{c.name}")
def test_every_value_round_trips(session, column):
    """Each value fits the column's VARCHAR and comes back as the same member of the enum."""
    enum = column.type.enum
    scratch = Table(
        f"scratch_{column.table.name}_{column.name}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("value", column.type, nullable=False),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    scratch.create(connection)
    try:
        connection.execute(insert(scratch), [{"value": member} for member in enum])
        stored = connection.execute(select(scratch.c.value).order_by(scratch.c.id)).scalars()
        stored = list(stored)
        assert stored == list(enum)
        assert all(type(value) is enum for value in stored)
        # The database holds the plain string, exactly as before the enum.
        raw = connection.exec_driver_sql(f"SELECT value FROM {scratch.name} ORDER BY id")
        assert [row[0] for row in raw] == [member.value for member in enum]
    finally:
        scratch.drop(connection)


def test_a_model_row_reads_back_as_enum_members(session, make):
    client = make.client(make.company())
    invoice = make.invoice(client, status="sent")
    for status in InvoiceStatus:
        invoice.status = status
        session.add(invoice)
        session.flush()
        session.expire(invoice)
        assert invoice.status is status
    # Plain strings (older code, seeds) are stored the same way and read back as members.
    invoice.status = "paid"
    session.add(invoice)
    session.flush()
    session.expire(invoice)
    assert invoice.status is InvoiceStatus.PAID


def test_filters_still_take_plain_strings(session, make):
    client = make.client(make.company())
    invoice = make.invoice(client, status="partial", issue_date=date(2024, 1, 1))

    def ids(status):
        query = select(Invoice.id).where(Invoice.client_id == client.id, Invoice.status == status)
        return list(session.exec(query).scalars())

    assert ids("partial") == ids(InvoiceStatus.PARTIAL) == [invoice.id]
    # A value outside the enum (a mistyped list filter) matches nothing rather than failing.
    assert ids("bogus") == []


def test_members_are_the_strings():
    assert QuoteStatus.APPROVED == "approved"
    assert f"{QuoteStatus.APPROVED}" == "approved"
    assert "approved" in (QuoteStatus.SENT, QuoteStatus.APPROVED)


def test_migrations_render_enum_columns_as_plain_strings():
    table = Table("t", MetaData(), Column("status", EnumString(InvoiceStatus, 10)))
    code = render_python_code(
        ops.UpgradeOps([ops.CreateTableOp.from_table(table)]), render_item=render_item
    )
    assert "sqlmodel.sql.sqltypes.AutoString(length=10)" in code
    assert "portal_app" not in code
