"""What the staff recurring-invoice pages show: formatted strings, never Decimal."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.core.pickling import positional_pickle
from portal_app.schemas.staff_documents import StaffLineView


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffRecurringRow:
    """One schedule in the staff list."""

    id: int
    number: str
    client_id: int
    client_name: str
    status: str
    status_label: str  # includes "Cancellation requested"
    badge_key: str  # services/billing/recurring.badge_key: colours the badge in any language
    frequency: str  # "Monthly"
    next_send_date: str  # "" when nothing more will be sent
    cycles_left: str  # "3" or "Endless"
    amount: str


@dataclass(frozen=True, slots=True)
class StaffRecurringPage:
    rows: list[StaffRecurringRow]
    page: int
    has_next: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class IssuedInvoiceRow:
    """An invoice a schedule issued, as its detail page lists it."""

    id: int
    number: str
    issue_date: str
    status_label: str
    amount: str
    balance: str
    status: str = ""  # the stored key, which colours the badge


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffRecurringDetail:
    """One schedule with its lines, the invoices it issued and what staff may do now."""

    id: int
    number: str
    status: str
    status_label: str
    badge_key: str  # as in StaffRecurringRow
    client_id: int
    client_name: str
    frequency: str
    start_date: str
    next_send_date: str
    last_sent_date: str
    cycles_left: str
    issued_count: int
    due_days: str  # "14 days"
    auto_bill: str  # "Off", "Always", ...
    po_number: str
    terms: str
    public_notes: str
    cancel_requested: str  # "" or the date and reason the client asked to cancel
    subtotal: str
    tax: str
    total: str
    lines: list[StaffLineView]
    invoices: list[IssuedInvoiceRow]
    more_invoices: bool
    can_edit: bool
    can_pause: bool
    can_resume: bool
    can_stop: bool
