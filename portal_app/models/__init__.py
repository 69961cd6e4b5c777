"""All tables. Importing this module registers every table on SQLModel.metadata."""

from portal_app.models.access import AuditEvent, AuthSession, Invitation, SignInCode
from portal_app.models.base import LINE_ITEM_COLUMNS, LineItem
from portal_app.models.client import Client, ClientContact
from portal_app.models.company import ALL_MODULES, Company
from portal_app.models.credit import Credit, CreditLine
from portal_app.models.document import Document
from portal_app.models.invoice import Invoice, InvoiceLine
from portal_app.models.outbox import OutboxAttachment, OutboxMessage
from portal_app.models.payment import (
    Checkout,
    CreditHold,
    GatewayCustomer,
    InvoiceLock,
    Payment,
    PaymentAllocation,
    PaymentHold,
    PaymentMethod,
    WebhookEvent,
)
from portal_app.models.quote import Quote, QuoteApproval, QuoteLine
from portal_app.models.recurring import RecurringInvoice, RecurringInvoiceLine
from portal_app.models.staff import StaffUser
from portal_app.models.statuses import (
    AutoBillMode,
    CheckoutStatus,
    CreditStatus,
    DowngradeMode,
    InvoiceStatus,
    OutboxStatus,
    PaymentMethodKind,
    PaymentStatus,
    PrepaymentScheduleStatus,
    QuoteStatus,
    RecurringStatus,
    SessionKind,
    StaffRole,
    SubscriptionCancelMode,
    SubscriptionStatus,
    ThreadKind,
    ThreadStatus,
    UploadedBy,
    WebhookStatus,
)
from portal_app.models.subscription import (
    PaymentLink,
    PlanChangeOption,
    PrepaymentSchedule,
    Subscription,
    SubscriptionPlan,
)
from portal_app.models.thread import DocumentThread, ThreadMessage

__all__ = [
    "AutoBillMode",
    "CheckoutStatus",
    "CreditStatus",
    "DowngradeMode",
    "InvoiceStatus",
    "OutboxStatus",
    "PaymentMethodKind",
    "PaymentStatus",
    "PrepaymentScheduleStatus",
    "QuoteStatus",
    "RecurringStatus",
    "SessionKind",
    "StaffRole",
    "SubscriptionCancelMode",
    "SubscriptionStatus",
    "ThreadKind",
    "ThreadStatus",
    "UploadedBy",
    "WebhookStatus",
    "LINE_ITEM_COLUMNS",
    "LineItem",
    "CreditHold",
    "SubscriptionPlan",
    "Subscription",
    "RecurringInvoiceLine",
    "RecurringInvoice",
    "QuoteLine",
    "QuoteApproval",
    "Quote",
    "PrepaymentSchedule",
    "PlanChangeOption",
    "PaymentLink",
    "ALL_MODULES",
    "AuditEvent",
    "AuthSession",
    "Checkout",
    "Credit",
    "CreditLine",
    "Document",
    "DocumentThread",
    "GatewayCustomer",
    "Client",
    "ClientContact",
    "Company",
    "Invitation",
    "SignInCode",
    "Invoice",
    "InvoiceLine",
    "InvoiceLock",
    "OutboxAttachment",
    "OutboxMessage",
    "Payment",
    "PaymentAllocation",
    "PaymentHold",
    "PaymentMethod",
    "StaffUser",
    "ThreadMessage",
    "WebhookEvent",
]
