"""Recurring-invoice views sent to the UI: formatted strings, never Decimal."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.core.pickling import positional_pickle
from portal_app.schemas.invoice import InvoiceLineView, InvoiceRowView


@positional_pickle
@dataclass(frozen=True, slots=True)
class RecurringRowView:
    """One row of the recurring-invoice list."""

    id: int
    number: str
    frequency: str  # "Monthly"
    start_date: str
    next_send_date: str  # "" when nothing more will be sent
    cycles_left: str  # "3" or "Endless"
    amount: str
    status: str
    status_label: str  # includes "Cancellation requested"
    badge_key: str  # the status, or "cancel_requested": colours the badge in any language


@dataclass(frozen=True, slots=True)
class RecurringPage:
    rows: list[RecurringRowView]
    page: int
    page_size: int
    total: int
    total_is_capped: bool
    has_next: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class RecurringView:
    """The schedule on its detail page."""

    id: int
    number: str
    status: str
    status_label: str
    badge_key: str  # as in RecurringRowView
    frequency: str
    start_date: str
    next_send_date: str
    last_sent_date: str
    cycles_left: str
    issued_count: int
    due_days: int
    amount: str
    subtotal: str
    tax_total: str
    lines: list[InvoiceLineView]
    taxes: list[tuple[str, str]]
    public_notes: str
    auto_bill_label: str  # "Off", "On", "On (always)"...
    auto_bill_on: bool
    # Whether the client may switch auto-billing here (opt-in/opt-out and still running).
    can_switch_auto_bill: bool
    has_default_card: bool
    cancel_requested: bool
    cancel_requested_on: str
    cancel_reason: str
    can_request_cancellation: bool


@dataclass(frozen=True, slots=True)
class RecurringInvoicesPage:
    """One page of the invoices a schedule issued."""

    rows: list[InvoiceRowView]
    page: int
    page_size: int
    total: int
    total_is_capped: bool
    has_next: bool
