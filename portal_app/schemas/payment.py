"""Payment views sent to the UI and the receipt PDF: formatted strings, never Decimal."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_app.core.pickling import positional_pickle
from portal_app.schemas.invoice import PartyView


@positional_pickle
@dataclass(frozen=True, slots=True)
class PaymentRowView:
    """One row of the payment list."""

    id: int
    number: str  # the payment's reference, e.g. "PAY-000123"
    date: str
    amount: str
    method_label: str
    status: str
    status_label: str
    unapplied: str  # empty when nothing is left unapplied


@dataclass(frozen=True, slots=True)
class PaymentPage:
    """One page of the payment list."""

    rows: list[PaymentRowView]
    page: int
    page_size: int
    # Counting stops at a cap so the first page stays cheap on huge lists.
    total: int
    total_is_capped: bool
    has_next: bool
    # Row keys of the first and last row, to fetch the pages either side by keyset.
    first_key: str = ""
    last_key: str = ""


@positional_pickle
@dataclass(frozen=True, slots=True)
class PaymentInvoiceView:
    """One invoice a payment paid (card money and credit used through this payment)."""

    invoice_id: int
    number: str
    applied: str
    refunded: str  # empty when nothing of it was refunded
    has_link: bool  # the invoice can be opened in the portal


@positional_pickle
@dataclass(frozen=True, slots=True)
class PaymentCreditView:
    """A credit used through this payment."""

    credit_id: int
    number: str
    amount: str
    has_link: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class PaymentView:
    """Everything the payment detail page and the receipt PDF show."""

    id: int
    number: str
    status: str
    status_label: str
    currency: str
    date: str
    method_label: str
    transaction_reference: str  # the gateway's id, or empty
    failure_message: str
    company: PartyView
    client: PartyView
    invoices: list[PaymentInvoiceView] = field(default_factory=list)
    credits: list[PaymentCreditView] = field(default_factory=list)
    amount: str = ""  # money received (card, bank transfer)
    credit_total: str = ""  # credit used through this payment
    total: str = ""  # amount + credit_total - refunded
    total_label: str = "Total"  # "Total after refunds" once something was refunded
    applied: str = ""  # everything applied to invoices (money and credit)
    refunded: str = ""
    unapplied: str = ""
    has_credit: bool = False
    has_refund: bool = False
    has_unapplied: bool = False
    is_failed: bool = False
    footer: str = ""
    logo_path: str = ""  # absolute path of a PNG/JPEG on the server, or empty
    primary_color: str = ""
    notes: str = ""  # the client's note on a pre-payment
