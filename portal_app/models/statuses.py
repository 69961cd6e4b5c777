"""The closed sets of values some columns hold (statuses, modes, kinds).

Each is a StrEnum whose values are exactly the strings stored today: the columns stay VARCHAR (see
`EnumString` in models.base), so no migration, and members compare equal to the plain strings.
"""

from __future__ import annotations

from enum import StrEnum


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIAL = "partial"
    PAID = "paid"
    CANCELLED = "cancelled"
    REVERSED = "reversed"


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    APPROVED = "approved"
    CONVERTED = "converted"
    EXPIRED = "expired"
    DECLINED = "declined"


class CreditStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIAL = "partial"
    APPLIED = "applied"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTLY_REFUNDED = "partly_refunded"


class PaymentMethodKind(StrEnum):
    """How a payment was made (Payment.method)."""

    CARD = "card"
    CREDIT = "credit"
    MANUAL = "manual"


class CheckoutStatus(StrEnum):
    OPEN = "open"
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"


class WebhookStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


class RecurringStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class AutoBillMode(StrEnum):
    """off: never; opt_in: off until the client switches it on; opt_out: on until the client
    switches it off; always: on and the client cannot change it."""

    OFF = "off"
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"
    ALWAYS = "always"


class SubscriptionStatus(StrEnum):
    # Signed up through a payment link, first period not paid yet (never listed).
    INCOMPLETE = "incomplete"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"
    # Paused by staff (until resumed) or by the client (until `pause_until`): not renewed, not
    # charged (services/subscriptions/pausing.py).
    PAUSED = "paused"


class DowngradeMode(StrEnum):
    """What a downgrade does: leave a credit for the unused part now, or switch at the period's
    end."""

    CREDIT_NOW = "credit_now"
    PERIOD_END = "period_end"


class PrepaymentScheduleStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class SubscriptionCancelMode(StrEnum):
    """ "self" lets clients cancel; "request" only records a request for staff."""

    SELF = "self"
    REQUEST = "request"


class StaffRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    STAFF = "staff"


class SessionKind(StrEnum):
    PASSWORD = "password"
    LINK = "link"
    CODE = "code"
    STAFF_PREVIEW = "staff_preview"
    STAFF = "staff"


class UploadedBy(StrEnum):
    STAFF = "staff"
    CONTACT = "contact"
    SYSTEM = "system"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class ThreadKind(StrEnum):
    QUESTION = "question"
    DISPUTE = "dispute"


class ThreadStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
