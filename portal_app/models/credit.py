"""Credits: money the company owes the client, which can pay invoices."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import LineItem, enum_field
from portal_app.models.statuses import CreditStatus

CREDIT_STATUSES = tuple(CreditStatus)
VISIBLE_CREDIT_STATUSES = tuple(s for s in CreditStatus if s != CreditStatus.DRAFT)
USABLE_CREDIT_STATUSES = (CreditStatus.SENT, CreditStatus.PARTIAL)


class Credit(SQLModel, table=True):
    """A credit note; `balance_minor` is what is left to apply (amount less applications, active
    checkout holds and what was voided)."""

    __table_args__ = (
        UniqueConstraint("company_id", "number", name="uq_credit_company_number"),
        Index("ix_credit_company_client_date", "company_id", "client_id", "issue_date", "id"),
        CheckConstraint(
            "balance_minor >= 0 AND voided_minor >= 0 "
            "AND balance_minor + voided_minor <= amount_minor",
            name="ck_credit_balance_within_amount",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    client_id: int = Field(foreign_key="client.id")
    number: str = Field(max_length=50)
    status: CreditStatus = enum_field(CreditStatus, default=CreditStatus.DRAFT, length=10)
    currency: str = Field(max_length=3)
    issue_date: date
    subtotal_minor: int = Field(default=0, sa_type=BigInteger)
    tax_minor: int = Field(default=0, sa_type=BigInteger)
    amount_minor: int = Field(default=0, sa_type=BigInteger)
    balance_minor: int = Field(default=0, sa_type=BigInteger)
    # Taken back without being applied (a plan-change credit whose period was refunded).
    voided_minor: int = Field(default=0, sa_type=BigInteger)
    # The format it was last e-mailed in (schemas.einvoice FORMATS); empty until e-mailed.
    sent_format: str = Field(default="", max_length=10)
    # A plan-change credit is tied to the payment of the period it credits: refunding that
    # payment voids what is left of the credit and keeps back what of it was used.
    subscription_id: int | None = Field(default=None, foreign_key="subscription.id", index=True)
    origin_payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    public_notes: str = Field(default="", max_length=4000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CreditLine(LineItem, table=True):
    """One line of a credit (same shape as an invoice line)."""

    __tablename__ = "credit_line"

    credit_id: int = Field(foreign_key="credit.id", index=True)
