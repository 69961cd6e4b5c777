"""Demo quotes: one in every status for Acme (a draft the portal never shows), one for Globex.

The company asks for its quote terms and a signature, so the demo shows the whole approval.
Deterministic: the same `today` gives the same rows.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, delete, select

from portal_app.core.db import utcnow
from portal_app.models import (
    Client,
    ClientContact,
    Company,
    Invoice,
    InvoiceLine,
    Quote,
    QuoteApproval,
    QuoteLine,
)
from portal_app.services.billing.invoice_math import LineInput, build_lines, copy_lines
from portal_app.services.identity.invitations import create_quote_invitation

QUOTE_TERMS = (
    "Prices are valid until the date on the quote.\n"
    "Work starts within five working days of approval.\n"
    "The invoice made from an approved quote is due within 30 days."
)

# (status, days issued before today, days valid after issue or None, lines, extra fields)
_ACME_QUOTES = [
    ("sent", 3, 30, [("Website redesign", 1000, 2400_00), ("SEO audit", 1000, 600_00)], {}),
    ("sent", 10, None, [("Support hours", 10000, 85_00)], {"po_number": "PO-4410"}),
    ("sent", 40, 30, [("Logo refresh", 1000, 420_00)], {}),  # lapsed: shown as expired
    ("expired", 120, 30, [("Content writing", 8000, 65_00)], {}),
    ("approved", 60, 30, [("Hosting (monthly)", 12000, 29_00)], {}),
    (
        "declined",
        75,
        30,
        [("Website design", 3000, 150_00)],
        {"decline_reason": "We postponed the project to next year."},
    ),
    ("draft", 1, 30, [("Brand workshop", 1000, 900_00)], {}),
]


def seed_quotes(
    session: Session,
    *,
    company: Company,
    acme: Client,
    globex: Client,
    contact: ClientContact,
    today: date,
) -> str:
    """Add the demo quotes and return the key of an emailed link to Acme's newest pending one."""
    company.quote_terms = QUOTE_TERMS
    company.quote_terms_version = 1
    company.require_quote_terms = True
    company.require_quote_signature = True
    company.convert_approved_quotes = True
    company.allow_quote_decline = True
    session.add(company)
    tax_name, tax_rate = "Sales tax", 825
    number = 0
    first_pending = None
    for status, issued_ago, valid_days, lines, extra in _ACME_QUOTES:
        number += 1
        issue = today - timedelta(days=issued_ago)
        quote = _make_quote(
            session,
            acme,
            number=number,
            status=status,
            currency="USD",
            issue=issue,
            valid_until=issue + timedelta(days=valid_days) if valid_days else None,
            inputs=[LineInput(d, q, p, tax_name, tax_rate) for d, q, p in lines],
            extra=extra,
        )
        if status == "approved":
            quote.approved_at = utcnow() - timedelta(days=issued_ago - 2)
        if status == "declined":
            quote.declined_at = utcnow() - timedelta(days=issued_ago - 5)
        first_pending = first_pending or (quote if status == "sent" else None)
    number += 1
    converted = _converted_from_paid_invoice(session, acme, number, today)
    if converted is not None:
        number += 1
    _make_quote(
        session,
        globex,
        number=number,
        status="sent",
        currency="JPY",
        issue=today - timedelta(days=4),
        valid_until=today + timedelta(days=26),
        inputs=[LineInput("Website localisation", 1000, 180_000, "Consumption tax", 1000)],
        extra={},
    )
    company.next_quote_number = number + 1
    session.add(company)
    session.flush()
    return create_quote_invitation(session, contact=contact, quote=first_pending)


def _make_quote(session, client, *, number, status, currency, issue, valid_until, inputs, extra):
    built = build_lines(inputs)
    quote = Quote(
        company_id=client.company_id,
        client_id=client.id,
        number=f"Q-{number:04d}",
        status=status,
        currency=currency,
        issue_date=issue,
        valid_until=valid_until,
        subtotal_minor=sum(line.net_minor for line in built),
        tax_minor=sum(line.tax_minor for line in built),
        public_notes="Thank you for considering Northwind.",
        sent_at=None if status == "draft" else utcnow(),
        **extra,
    )
    quote.amount_minor = quote.subtotal_minor + quote.tax_minor
    session.add(quote)
    session.flush()
    session.add_all(copy_lines(built, QuoteLine, quote_id=quote.id))
    return quote


def _converted_from_paid_invoice(session, client, number: int, today: date) -> Quote | None:
    """A converted quote behind one of Acme's paid USD invoices (same lines and totals)."""
    invoice = session.exec(
        select(Invoice)
        .where(Invoice.client_id == client.id, Invoice.status == "paid", Invoice.currency == "USD")
        .order_by(col(Invoice.issue_date).desc(), col(Invoice.id).desc())
    ).first()
    if invoice is None:
        return None
    issue = invoice.issue_date - timedelta(days=7)
    quote = Quote(
        company_id=client.company_id,
        client_id=client.id,
        number=f"Q-{number:04d}",
        status="converted",
        currency=invoice.currency,
        issue_date=issue,
        valid_until=issue + timedelta(days=30),
        subtotal_minor=invoice.subtotal_minor,
        tax_minor=invoice.tax_minor,
        amount_minor=invoice.amount_minor,
        po_number=invoice.po_number,
        public_notes="Thank you for considering Northwind.",
        sent_at=utcnow(),
        approved_at=utcnow() - max(timedelta(days=1), today - invoice.issue_date),
        invoice_id=invoice.id,
    )
    session.add(quote)
    session.flush()
    lines = session.exec(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id)
        .order_by(col(InvoiceLine.position), col(InvoiceLine.id))
    ).all()
    session.add_all(copy_lines(lines, QuoteLine, quote_id=quote.id))
    return quote


def remove_demo_quotes(session: Session, company_ids: list[int]) -> None:
    """Delete the demo companies' quotes (before their invoices: quotes point at them)."""
    quote_ids = select(Quote.id).where(col(Quote.company_id).in_(company_ids))
    session.exec(delete(QuoteApproval).where(col(QuoteApproval.company_id).in_(company_ids)))
    session.exec(delete(QuoteLine).where(col(QuoteLine.quote_id).in_(quote_ids)))
    session.exec(delete(Quote).where(col(Quote.company_id).in_(company_ids)))
