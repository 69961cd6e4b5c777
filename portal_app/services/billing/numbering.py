"""Readable document numbers per company: INV-0001, Q-0001, CR-0001, R-0001."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, select

from portal_app.models import Company, Credit, Invoice, Quote, RecurringInvoice

# kind -> (counter column on Company, table whose numbers must stay unique, prefix)
_KINDS = {
    "invoice": ("next_invoice_number", Invoice, "INV"),
    "quote": ("next_quote_number", Quote, "Q"),
    "credit": ("next_credit_number", Credit, "CR"),
    "recurring": ("next_recurring_number", RecurringInvoice, "R"),
}


def next_number(session: Session, *, company_id: int, kind: str) -> str:
    """Take the company's next free number of `kind` ("invoice", "quote", "credit", "recurring").

    The counter is moved by a single UPDATE, so two transactions never get the same value (the
    second waits for the first's row lock on PostgreSQL; SQLite serialises writers). Numbers
    typed in by staff or imported earlier are skipped rather than reused.
    """
    column_name, table, prefix = _KINDS[kind]
    column = getattr(Company, column_name)
    while True:
        value = session.exec(
            update(Company)
            .where(Company.id == company_id)
            .values({column_name: column + 1})
            .returning(column)
        ).scalar_one()
        number = f"{prefix}-{value - 1:04d}"
        taken = session.exec(
            select(table.id).where(table.company_id == company_id, table.number == number)
        ).first()
        if taken is None:
            return number
