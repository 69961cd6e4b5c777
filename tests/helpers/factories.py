"""Rows both factories (tests/conftest.py and tests/e2e/conftest.py) build the same way."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from portal_app.models import Client, Invoice
from portal_app.services.billing.invoice_math import LineInput, apply_totals, build_lines


def add_invoice(
    session: Session,
    client: Client,
    *,
    number: str,
    status: str = "sent",
    currency: str = "USD",
    lines: list[LineInput] | None = None,
    paid_minor: int = 0,
    issue_date: date | None = None,
    due_date: date | None = None,
    **kw,
) -> Invoice:
    """An invoice with its lines and totals (one taxed consulting line unless `lines` given).

    Issued ten days ago and due 30 days after issue unless told; a cancelled one owes nothing.
    """
    issue = issue_date or date.today() - timedelta(days=10)
    invoice = Invoice(
        company_id=client.company_id,
        client_id=client.id,
        number=number,
        status=status,
        currency=currency,
        issue_date=issue,
        due_date=due_date if due_date is not None else issue + timedelta(days=30),
        **kw,
    )
    built = build_lines(lines or [LineInput("Consulting", 2000, 100_00, "VAT", 2000)])
    apply_totals(invoice, built, paid_minor=paid_minor)
    if status == "cancelled":
        invoice.balance_minor = 0
    session.add(invoice)
    session.flush()
    for line in built:
        line.invoice_id = invoice.id
        session.add(line)
    session.flush()
    return invoice
