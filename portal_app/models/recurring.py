"""Recurring invoices: a schedule that issues invoices from its lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.core.schedule import FREQUENCIES  # noqa: F401  (models name the choices)

RECURRING_STATUSES = ("draft", "active", "paused", "completed", "cancelled")
# Statuses a client can see.
VISIBLE_RECURRING_STATUSES = ("active", "paused", "completed", "cancelled")
# off: never; opt_in: off until the client switches it on; opt_out: on until the client switches
# it off; always: on and the client cannot change it.
AUTO_BILL_MODES = ("off", "opt_in", "opt_out", "always")


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
    status: str = Field(default="draft", max_length=10)
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
    auto_bill: str = Field(default="off", max_length=10)
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


class RecurringInvoiceLine(SQLModel, table=True):
    """One line copied onto every invoice the schedule issues."""

    __tablename__ = "recurring_invoice_line"

    id: int | None = Field(default=None, primary_key=True)
    recurring_invoice_id: int = Field(foreign_key="recurring_invoice.id", index=True)
    position: int = 0
    description: str = Field(max_length=1000)
    quantity_milli: int = 1000
    unit_price_minor: int = Field(default=0, sa_type=BigInteger)
    tax_name: str = Field(default="", max_length=50)
    tax_rate_bp: int = 0
    net_minor: int = Field(default=0, sa_type=BigInteger)
    tax_minor: int = Field(default=0, sa_type=BigInteger)
