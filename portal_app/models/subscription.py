"""Subscription plans, subscriptions, public payment links and repeated pre-payments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import enum_field
from portal_app.models.statuses import (
    DowngradeMode,
    PrepaymentScheduleStatus,
    SubscriptionStatus,
)

SUBSCRIPTION_STATUSES = tuple(SubscriptionStatus)
DOWNGRADE_MODES = tuple(DowngradeMode)
PREPAYMENT_SCHEDULE_STATUSES = tuple(PrepaymentScheduleStatus)


class SubscriptionPlan(SQLModel, table=True):
    """Something a client can subscribe to, billed every `frequency` (see models.recurring)."""

    __tablename__ = "subscription_plan"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    price_minor: int = Field(default=0, sa_type=BigInteger)
    currency: str = Field(max_length=3)
    frequency: str = Field(default="monthly", max_length=15)
    trial_days: int = 0
    # A trial starts without a card on file (the renewal job ends it, with an e-mail, when
    # none was added by then); otherwise signing up for the trial asks for the card.
    trial_without_card: bool = False
    allow_cancellation: bool = True
    allow_plan_change: bool = True
    # Days after a payment within which cancelling refunds it; 0: never refunded.
    refund_period_days: int = 0
    # Whether clients may pause their subscription themselves, and for at most how many
    # periods at a time (services/subscriptions/pausing.py).
    allow_pause: bool = False
    max_pause_periods: int = 3
    downgrade_mode: DowngradeMode = enum_field(
        DowngradeMode, default=DowngradeMode.PERIOD_END, length=12
    )
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class PlanChangeOption(SQLModel, table=True):
    """A plan a subscriber of `plan_id` may change to."""

    __tablename__ = "plan_change_option"

    plan_id: int = Field(foreign_key="subscription_plan.id", primary_key=True)
    target_plan_id: int = Field(foreign_key="subscription_plan.id", primary_key=True)


class Subscription(SQLModel, table=True):
    """A client's subscription to a plan, billed by a recurring invoice."""

    __table_args__ = (Index("ix_subscription_company_client", "company_id", "client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    client_id: int = Field(foreign_key="client.id")
    contact_id: int | None = Field(default=None, foreign_key="clientcontact.id")
    plan_id: int = Field(foreign_key="subscription_plan.id")
    status: SubscriptionStatus = enum_field(
        SubscriptionStatus, default=SubscriptionStatus.ACTIVE, length=20
    )
    current_period_start: date
    current_period_end: date
    trial_ends_on: date | None = None
    recurring_invoice_id: int | None = Field(default=None, foreign_key="recurring_invoice.id")
    # A downgrade that takes effect when the current period ends.
    pending_plan_id: int | None = Field(default=None, foreign_key="subscription_plan.id")
    failed_attempts: int = 0
    next_retry_on: date | None = None
    cancel_requested_at: datetime | None = None
    cancel_reason: str = Field(default="", max_length=1000)
    cancel_at: date | None = None
    cancelled_at: datetime | None = None
    # A client's pause ends on this day (a period date): the renewals job resumes it then.
    # None while running, and for a pause staff made (resumed by staff).
    pause_until: date | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PaymentLink(SQLModel, table=True):
    """A public sign-up address for a plan: /subscribe/<key>."""

    __tablename__ = "payment_link"
    __table_args__ = (UniqueConstraint("key", name="uq_payment_link_key"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    plan_id: int = Field(foreign_key="subscription_plan.id")
    key: str = Field(max_length=64)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class PrepaymentSchedule(SQLModel, table=True):
    """A client's repeated pre-payment: charge the saved card every period, unapplied."""

    __tablename__ = "prepayment_schedule"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    client_id: int = Field(foreign_key="client.id", index=True)
    contact_id: int = Field(foreign_key="clientcontact.id")
    payment_method_id: int | None = Field(default=None, foreign_key="payment_method.id")
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    notes: str = Field(default="", max_length=1000)
    frequency: str = Field(default="monthly", max_length=15)
    start_date: date
    next_date: date | None = None
    issued_count: int = 0
    # None: until cancelled.
    remaining_cycles: int | None = None
    status: PrepaymentScheduleStatus = enum_field(
        PrepaymentScheduleStatus, default=PrepaymentScheduleStatus.ACTIVE, length=10
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
