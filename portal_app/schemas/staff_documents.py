"""What the staff document and payment pages show: formatted strings, never Decimal."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_app.core.pickling import positional_pickle


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffDocRow:
    """One invoice, quote or credit in a staff list."""

    id: int
    number: str
    client_id: int
    client_name: str
    status: str
    status_label: str
    issue_date: str
    due_date: str
    amount: str
    balance: str


@dataclass(frozen=True, slots=True)
class StaffDocPage:
    rows: list[StaffDocRow]
    page: int
    has_next: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffLineView:
    description: str
    quantity: str
    unit_price: str
    tax: str
    net: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class OptionView:
    """A choice in a select: value (an id as text) and label."""

    value: str
    label: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffDocDetail:
    """One document with what the staff user may do with it now."""

    id: int
    kind: str
    number: str
    status: str
    status_label: str
    client_id: int
    client_name: str
    currency: str
    issue_date: str
    due_date: str
    partial: str
    partial_due_date: str
    po_number: str
    terms: str
    public_notes: str
    subtotal: str
    tax: str
    total: str
    paid: str
    balance: str
    lines: list[StaffLineView] = field(default_factory=list)
    contacts: list[OptionView] = field(default_factory=list)
    can_edit: bool = False
    can_send: bool = False
    can_email: bool = False
    can_mark_paid: bool = False
    can_cancel: bool = False


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffPaymentRow:
    """One payment with what is left to apply or refund."""

    id: int
    number: str
    client_id: int
    client_name: str
    date: str
    method: str
    status: str
    status_label: str
    currency: str
    amount: str
    applied: str
    unapplied: str
    refunded: str
    refundable: str
    can_apply: bool
    can_refund: bool


@dataclass(frozen=True, slots=True)
class StaffPaymentPage:
    rows: list[StaffPaymentRow]
    page: int
    has_next: bool


@dataclass(frozen=True, slots=True)
class OpenInvoiceView:
    """An invoice an unapplied payment could pay."""

    id: int
    number: str
    due_date: str
    balance: str
    balance_major: str  # the balance as a plain decimal
    # What the payment can put on it: the smaller of its balance and what the payment has
    # left, as a plain decimal (the apply dialog's prefilled amount).
    applicable_major: str = ""


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffRefundView:
    """A payment as the refund dialog shows it: what was paid, refunded and is refundable."""

    id: int
    number: str
    amount: str
    refunded: str
    refundable: str
    # Part of the payment paid for plan-change credit the client already used: not refundable.
    held_back: str = ""
    has_refunds: bool = False


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffQuoteAnswer:
    """The client's answer to a quote as staff read it; "" where nothing was kept.

    `recorded` is False when the quote is answered but no record of the answer exists (a quote
    marked approved before approvals were recorded): only its status and date are known.
    """

    answer: str  # approved | declined | "" (not answered)
    answered_at: str
    recorded: bool = False
    contact: str = ""
    address: str = ""
    browser: str = ""
    via: str = ""  # "signed in" | "the e-mailed link"
    terms: str = ""
    po_number: str = ""
    has_signature: bool = False
    decline_reason: str = ""
    invoice_id: int = 0
    invoice_number: str = ""
