"""Payments, what they paid, checkouts in flight, saved cards and gateway events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import enum_field
from portal_app.models.statuses import (
    CheckoutStatus,
    PaymentMethodKind,
    PaymentStatus,
    WebhookStatus,
)

PAYMENT_STATUSES = tuple(PaymentStatus)
CHECKOUT_STATUSES = tuple(CheckoutStatus)


class Payment(SQLModel, table=True):
    """Money received from a client. `applied_minor` is what is on invoices now (its card
    allocations net of their refunds), `refunded_minor` what went back; the rest,
    amount - applied - refunded, is unapplied (a pre-payment) until staff apply it or the
    client uses it at checkout. `held_minor` is the part of the unapplied money open checkouts
    hold (PaymentHold rows) until they settle or give up."""

    __table_args__ = (
        UniqueConstraint("company_id", "number", name="uq_payment_company_number"),
        Index("ix_payment_company_client_date", "company_id", "client_id", "created_at", "id"),
        # The ledger stamp from the index alone (see ix_invoice_client_stamp).
        Index("ix_payment_client_stamp", "client_id", "company_id", "updated_at"),
        CheckConstraint(
            "amount_minor >= 0 AND applied_minor >= 0 AND refunded_minor >= 0 "
            "AND applied_minor + refunded_minor <= amount_minor",
            name="ck_payment_applied_within_received",
        ),
        CheckConstraint(
            "held_minor >= 0 AND applied_minor + refunded_minor + held_minor <= amount_minor",
            name="ck_payment_held_within_unapplied",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    client_id: int = Field(foreign_key="client.id")
    contact_id: int | None = Field(default=None, foreign_key="clientcontact.id")
    number: str = Field(max_length=50)
    status: PaymentStatus = enum_field(PaymentStatus, default=PaymentStatus.PENDING, length=20)
    currency: str = Field(max_length=3)
    amount_minor: int = Field(default=0, sa_type=BigInteger)
    applied_minor: int = Field(default=0, sa_type=BigInteger)
    refunded_minor: int = Field(default=0, sa_type=BigInteger)
    held_minor: int = Field(default=0, sa_type=BigInteger)
    method: PaymentMethodKind = enum_field(
        PaymentMethodKind, default=PaymentMethodKind.CARD, length=20
    )
    method_label: str = Field(default="", max_length=100)  # e.g. "Visa •••• 4242"
    gateway: str = Field(default="", max_length=20)
    gateway_reference: str | None = Field(default=None, max_length=255, unique=True)
    failure_message: str = Field(default="", max_length=500)
    # The client's note on a pre-payment, and the schedule that made it when repeated.
    notes: str = Field(default="", max_length=1000)
    prepayment_schedule_id: int | None = Field(default=None, foreign_key="prepayment_schedule.id")
    paid_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PaymentAllocation(SQLModel, table=True):
    """Part of a payment, or of a credit, applied to one invoice.

    Card money: payment_id set, credit_id empty. Credit used in checkout: credit_id set (the
    source), payment_id set to the checkout's payment when there is one.
    """

    __tablename__ = "payment_allocation"
    __table_args__ = (
        CheckConstraint(
            "amount_minor > 0 AND refunded_minor >= 0 AND refunded_minor <= amount_minor",
            name="ck_allocation_refund_within_amount",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    credit_id: int | None = Field(default=None, foreign_key="credit.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    refunded_minor: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)


class Checkout(SQLModel, table=True):
    """One attempt to pay a set of invoices; its id keys every gateway call (idempotency)."""

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    client_id: int = Field(foreign_key="client.id", index=True)
    contact_id: int = Field(foreign_key="clientcontact.id")
    status: CheckoutStatus = enum_field(CheckoutStatus, default=CheckoutStatus.OPEN, length=20)
    currency: str = Field(max_length=3)
    # JSON list of {"invoice_id": int, "amount_minor": int} fixed when the checkout was made.
    lines_json: str = Field(sa_type=Text)
    credit_minor: int = Field(default=0, sa_type=BigInteger)
    # Unapplied money of the client's earlier payments (pre-payments, over-payments) used.
    prepaid_minor: int = Field(default=0, sa_type=BigInteger)
    card_minor: int = Field(default=0, sa_type=BigInteger)
    payment_method_id: int | None = Field(default=None, foreign_key="payment_method.id")
    gateway_payment_method: str = Field(default="", max_length=255)
    # What the receipt calls the card, e.g. "Visa •••• 4242" (also for cards not kept).
    method_label: str = Field(default="", max_length=100)
    save_card: bool = False
    gateway_intent_id: str | None = Field(default=None, max_length=255, unique=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id")
    failure_message: str = Field(default="", max_length=500)
    # Times the card part was sent to the gateway. Once sent, an unknown outcome (a timeout)
    # must be retried under the same idempotency key, never by a new checkout.
    charge_attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CreditHold(SQLModel, table=True):
    """Credit a checkout has taken out of a credit note's balance until it settles (then it
    becomes allocations) or gives up (then it goes back). Two tabs never plan the same credit."""

    __tablename__ = "credit_hold"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="ck_credit_hold_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    checkout_id: int = Field(foreign_key="checkout.id", index=True)
    credit_id: int = Field(foreign_key="credit.id", index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)


class PaymentHold(SQLModel, table=True):
    """Unapplied money of an earlier payment a checkout has set aside (Payment.held_minor)
    until it settles (then it becomes allocations) or gives up (then it is free again), so
    two tabs never spend the same pre-payment."""

    __tablename__ = "payment_hold"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="ck_payment_hold_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    checkout_id: int = Field(foreign_key="checkout.id", index=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)


class InvoiceLock(SQLModel, table=True):
    """Marks an invoice as being paid by one checkout, so a second window cannot charge it too."""

    __tablename__ = "invoice_lock"

    invoice_id: int = Field(foreign_key="invoice.id", primary_key=True)
    checkout_id: int = Field(foreign_key="checkout.id", index=True)
    expires_at: datetime


class GatewayCustomer(SQLModel, table=True):
    """The client's customer record at a payment gateway."""

    __tablename__ = "gateway_customer"
    __table_args__ = (UniqueConstraint("client_id", "gateway", name="uq_gateway_customer_client"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    client_id: int = Field(foreign_key="client.id")
    gateway: str = Field(default="stripe", max_length=20)
    customer_ref: str = Field(max_length=255, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class PaymentMethod(SQLModel, table=True):
    """A saved card: the gateway's token and what to show. Never card numbers."""

    __tablename__ = "payment_method"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    client_id: int = Field(foreign_key="client.id", index=True)
    gateway: str = Field(default="stripe", max_length=20)
    customer_ref: str = Field(max_length=255)
    method_ref: str = Field(max_length=255, unique=True)
    brand: str = Field(default="", max_length=30)
    last4: str = Field(default="", max_length=4)
    exp_month: int = 0
    exp_year: int = 0
    is_default: bool = False
    removed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class WebhookEvent(SQLModel, table=True):
    """A gateway event as received (raw), and what became of it."""

    __tablename__ = "webhook_event"

    id: int | None = Field(default=None, primary_key=True)
    gateway: str = Field(default="stripe", max_length=20)
    event_ref: str = Field(max_length=255, unique=True)
    event_type: str = Field(max_length=100)
    payload: str = Field(sa_type=Text)
    status: WebhookStatus = enum_field(WebhookStatus, default=WebhookStatus.RECEIVED, length=20)
    error: str = Field(default="", max_length=1000)
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
