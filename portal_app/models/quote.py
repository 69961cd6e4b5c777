"""Quotes, their lines and the client's approval record."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import LineItem, enum_field
from portal_app.models.statuses import QuoteStatus

QUOTE_STATUSES = tuple(QuoteStatus)
# Statuses a client can see; drafts never reach the portal.
VISIBLE_QUOTE_STATUSES = tuple(s for s in QuoteStatus if s != QuoteStatus.DRAFT)


class Quote(SQLModel, table=True):
    """An offer to a client; once approved it may become an invoice (`invoice_id`)."""

    __table_args__ = (
        UniqueConstraint("company_id", "number", name="uq_quote_company_number"),
        Index("ix_quote_client_issue", "client_id", "issue_date", "id"),
        Index("ix_quote_company_client_status", "company_id", "client_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    client_id: int = Field(foreign_key="client.id")
    number: str = Field(max_length=50)
    status: QuoteStatus = enum_field(QuoteStatus, default=QuoteStatus.DRAFT, length=10)
    currency: str = Field(max_length=3)
    issue_date: date
    valid_until: date | None = None
    po_number: str = Field(default="", max_length=100)
    subtotal_minor: int = Field(default=0, sa_type=BigInteger)
    tax_minor: int = Field(default=0, sa_type=BigInteger)
    amount_minor: int = Field(default=0, sa_type=BigInteger)
    terms: str = Field(default="", max_length=4000)
    public_notes: str = Field(default="", max_length=4000)
    footer: str = Field(default="", max_length=2000)
    sent_at: datetime | None = None
    last_viewed_at: datetime | None = None
    approved_at: datetime | None = None
    declined_at: datetime | None = None
    decline_reason: str = Field(default="", max_length=1000)
    # The invoice made from this quote when it was approved (companies that convert).
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class QuoteLine(LineItem, table=True):
    """One line of a quote (same shape as an invoice line)."""

    __tablename__ = "quote_line"

    quote_id: int = Field(foreign_key="quote.id", index=True)


class QuoteApproval(SQLModel, table=True):
    """Who approved a quote, when, from where, under which terms, with what signature."""

    __tablename__ = "quote_approval"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    quote_id: int = Field(foreign_key="quote.id", unique=True)
    contact_id: int = Field(foreign_key="clientcontact.id")
    terms_version: int = 0
    terms_accepted: bool = False
    # The drawn signature as a PNG image (None when the company does not ask for one).
    signature_png: bytes | None = Field(default=None, sa_type=LargeBinary)
    po_number: str = Field(default="", max_length=100)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
