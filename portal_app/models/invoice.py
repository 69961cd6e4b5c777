"""Invoices and their lines. Money is integer minor units in the invoice's currency."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import LineItem, enum_field
from portal_app.models.statuses import InvoiceStatus

INVOICE_STATUSES = tuple(InvoiceStatus)
# Statuses a client can see; drafts never reach the portal.
VISIBLE_STATUSES = tuple(s for s in InvoiceStatus if s != InvoiceStatus.DRAFT)
PAYABLE_STATUSES = (InvoiceStatus.SENT, InvoiceStatus.PARTIAL)


class Invoice(SQLModel, table=True):
    """A bill sent to a client."""

    __table_args__ = (
        UniqueConstraint("company_id", "number", name="uq_invoice_company_number"),
        # One index per sortable column keeps the first page cheap at any list size.
        Index("ix_invoice_client_issue", "client_id", "issue_date", "id"),
        Index("ix_invoice_client_due", "client_id", "due_date", "id"),
        Index("ix_invoice_client_number", "client_id", "number"),
        Index("ix_invoice_client_amount", "client_id", "amount_minor", "id"),
        Index("ix_invoice_client_balance", "client_id", "balance_minor", "id"),
        # Lets the capped count of a client's visible invoices be answered from the index alone.
        Index("ix_invoice_company_client_status", "company_id", "client_id", "status"),
        # The ledger stamp (services/payments/ledger_stamp.py: latest updated_at and row count
        # per client, read on every list load and by the live pages' poll) from the index alone.
        Index("ix_invoice_client_stamp", "client_id", "company_id", "updated_at"),
        # What one row can hold of the ledger's rules (services/ledger.py keeps the rest).
        CheckConstraint("balance_minor >= 0", name="ck_invoice_balance_not_negative"),
        CheckConstraint("paid_to_date_minor >= 0", name="ck_invoice_paid_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    client_id: int = Field(foreign_key="client.id")
    number: str = Field(max_length=50)
    status: InvoiceStatus = enum_field(InvoiceStatus, default=InvoiceStatus.DRAFT, length=10)
    currency: str = Field(max_length=3)
    issue_date: date
    due_date: date | None = None
    po_number: str = Field(default="", max_length=100)
    subtotal_minor: int = Field(default=0, sa_type=BigInteger)
    tax_minor: int = Field(default=0, sa_type=BigInteger)
    amount_minor: int = Field(default=0, sa_type=BigInteger)
    paid_to_date_minor: int = Field(default=0, sa_type=BigInteger)
    balance_minor: int = Field(default=0, sa_type=BigInteger)
    # Optional deposit asked first, with its own due date.
    partial_minor: int = Field(default=0, sa_type=BigInteger)
    partial_due_date: date | None = None
    terms: str = Field(default="", max_length=4000)
    public_notes: str = Field(default="", max_length=4000)
    footer: str = Field(default="", max_length=2000)
    sent_at: datetime | None = None
    # The format it was last e-mailed in (schemas.einvoice FORMATS); empty until e-mailed.
    sent_format: str = Field(default="", max_length=10)
    last_viewed_at: datetime | None = None
    # Where the invoice came from, when not typed in by staff (a quote links to its invoice
    # through Quote.invoice_id).
    recurring_invoice_id: int | None = Field(
        default=None, foreign_key="recurring_invoice.id", index=True
    )
    subscription_id: int | None = Field(default=None, foreign_key="subscription.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class InvoiceLine(LineItem, table=True):
    """One line of an invoice. Quantity is in thousandths so it stays an integer."""

    invoice_id: int = Field(foreign_key="invoice.id", index=True)
