"""Recurring invoices: a schedule that issues invoices from its lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.core.schedule import FREQUENCIES  # noqa: F401  (models name the choices)
from portal_app.models.base import LineItem, enum_field
from portal_app.models.statuses import AutoBillMode, RecurringStatus

RECURRING_STATUSES = tuple(RecurringStatus)
# Statuses a client can see.
VISIBLE_RECURRING_STATUSES = tuple(s for s in RecurringStatus if s != RecurringStatus.DRAFT)
AUTO_BILL_MODES = tuple(AutoBillMode)


class RecurringInvoice(SQLModel, table=True):
    """A schedule that issues an invoice every period until its cycles run out."""

    __tablename__ = "recurring_invoice"
    __table_args__ = (
        UniqueConstraint("company_id", "number", name="uq_recurring_company_number"),
        Index("ix_recurring_due", "status", "next_send_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    number: str = Field(max_length=50)
    status: RecurringStatus = enum_field(RecurringStatus, default=RecurringStatus.DRAFT, length=10)
    frequency: str = Field(default="monthly", max_length=15)
    currency: str = Field(max_length=3)
    start_date: date
    next_send_date: date | None = None
    last_sent_date: date | None = None
    # None: endless. Counts the invoices still to issue.
    remaining_cycles: int | None = None
    # Invoices issued so far; the next date is start_date + issued_count periods, so a schedule
    # that starts on the 31st returns to the 31st after a short month.
    issued_count: int = 0
    # Days from issue to due date of each invoice issued.
    due_days: int = 14
    auto_bill: AutoBillMode = enum_field(AutoBillMode, default=AutoBillMode.OFF, length=10)
    # The client's own choice where auto_bill is opt_in / opt_out.
    auto_bill_enabled: bool = False
    subtotal_minor: int = Field(default=0, sa_type=BigInteger)
    tax_minor: int = Field(default=0, sa_type=BigInteger)
    amount_minor: int = Field(default=0, sa_type=BigInteger)
    po_number: str = Field(default="", max_length=100)
    terms: str = Field(default="", max_length=4000)
    public_notes: str = Field(default="", max_length=4000)
    cancel_requested_at: datetime | None = None
    cancel_reason: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RecurringInvoiceLine(LineItem, table=True):
    """One line copied onto every invoice the schedule issues."""

    __tablename__ = "recurring_invoice_line"

    recurring_invoice_id: int = Field(foreign_key="recurring_invoice.id", index=True)
