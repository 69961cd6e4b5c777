"""copy_lines: one document's lines onto another, every column as it was."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from portal_app.models import (
    LINE_ITEM_COLUMNS,
    CreditLine,
    InvoiceLine,
    LineItem,
    QuoteLine,
    RecurringInvoiceLine,
)
from portal_app.services.billing.invoice_math import LineInput, build_lines, copy_lines
from tests.helpers.quotes import add_quote

LINE_MODELS = [InvoiceLine, QuoteLine, CreditLine, RecurringInvoiceLine]
PARENTS = {
    InvoiceLine: "invoice_id",
    QuoteLine: "quote_id",
    CreditLine: "credit_id",
    RecurringInvoiceLine: "recurring_invoice_id",
}


def _odd_lines(model: type[LineItem]) -> list[LineItem]:
    """Lines whose every column differs from its default, positions out of step with order."""
    return [
        model(
            position=position,
            description=f"Line {position}",
            quantity_milli=1500 + position,
            unit_price_minor=1234 * position,
            tax_name=f"Tax {position}",
            tax_rate_bp=700 + position,
            net_minor=1851 * position,
            tax_minor=130 * position,
        )
        for position in (3, 7, 10)
    ]


def test_every_line_table_has_the_shared_columns():
    for model in LINE_MODELS:
        assert set(LINE_ITEM_COLUMNS) <= set(model.__table__.columns.keys())


@pytest.mark.parametrize("source", LINE_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("target", LINE_MODELS, ids=lambda m: m.__name__)
def test_copies_every_column_in_order(source, target):
    lines = _odd_lines(source)
    parent = {PARENTS[target]: 42}
    copies = copy_lines(lines, target, **parent)
    assert [type(copy) for copy in copies] == [target] * len(lines)
    for line, copy in zip(lines, copies, strict=True):
        for name in LINE_ITEM_COLUMNS:
            assert getattr(copy, name) == getattr(line, name), name
        assert getattr(copy, PARENTS[target]) == 42
        assert copy.id is None
    assert [c.position for c in copies] == [3, 7, 10]
    assert sum(c.net_minor for c in copies) == sum(line.net_minor for line in lines)
    assert sum(c.tax_minor for c in copies) == sum(line.tax_minor for line in lines)


def test_copies_stored_lines_onto_another_document(session, make):
    """Quote lines read back from the database become invoice lines with equal totals."""
    client = make.client(make.company())
    quote = add_quote(
        session,
        client,
        number="Q-COPY",
        lines=[
            LineInput("Design", 2500, 80_00, "VAT", 2000),
            LineInput("Hosting", 1000, 15_99, "Reduced", 550),
            LineInput("Discount", 1000, -10_00),
        ],
    )
    invoice = make.invoice(client, lines=[LineInput("Placeholder", 1000, 1)])
    stored = session.exec(
        select(QuoteLine).where(QuoteLine.quote_id == quote.id).order_by(col(QuoteLine.position))
    ).all()
    session.add_all(copy_lines(stored, InvoiceLine, invoice_id=invoice.id))
    session.flush()
    copied = session.exec(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.description != "Placeholder")
        .order_by(col(InvoiceLine.position))
    ).all()
    assert [[getattr(c, n) for n in LINE_ITEM_COLUMNS] for c in copied] == [
        [getattr(q, n) for n in LINE_ITEM_COLUMNS] for q in stored
    ]
    assert sum(c.net_minor + c.tax_minor for c in copied) == quote.amount_minor


def test_built_lines_copy_unchanged():
    built = build_lines([LineInput("A", 1000, 100, "T", 1000), LineInput("B", 333, 7)])
    copies = copy_lines(built, RecurringInvoiceLine, recurring_invoice_id=1)
    assert [(c.position, c.net_minor, c.tax_minor) for c in copies] == [
        (line.position, line.net_minor, line.tax_minor) for line in built
    ]
