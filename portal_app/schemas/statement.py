"""Statement views sent to the UI and the statement PDF: formatted strings beside minor units."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_app.core.pickling import positional_pickle
from portal_app.schemas.invoice import PartyView


@positional_pickle
@dataclass(frozen=True, slots=True)
class StatementRowView:
    """One movement: an invoice (+), a payment applied (-) or a credit applied (-)."""

    kind: str  # invoice | payment | credit
    date: str
    reference: str
    description: str
    amount: str  # signed, as shown
    balance: str  # running balance after this row
    amount_minor: int
    balance_minor: int


@positional_pickle
@dataclass(frozen=True, slots=True)
class AgingBucketView:
    label: str  # Current, 1-30, 31-60, 61-90, 91-120, Over 120
    amount: str
    amount_minor: int


@positional_pickle
@dataclass(frozen=True, slots=True)
class StatementView:
    """The statement of one currency for one date range."""

    currency: str
    start: str
    end: str
    opening: str
    invoices_total: str
    payments_total: str
    credits_total: str
    closing: str
    opening_minor: int
    invoices_minor: int
    payments_minor: int
    credits_minor: int
    closing_minor: int
    rows: list[StatementRowView] = field(default_factory=list)
    aging: list[AgingBucketView] = field(default_factory=list)
    is_empty: bool = False  # no movement in the range: "No activity in this period"
    show_aging: bool = True
    # The rows shown may be one window of them (the on-screen preview pages through a long
    # statement): `rows` are lines row_offset+1 .. row_offset+len(rows) of row_count.
    row_count: int = 0
    row_offset: int = 0


@dataclass(frozen=True, slots=True)
class StatementDocument:
    """What the statement PDF needs: parties, branding and one view per currency."""

    company: PartyView
    client: PartyView
    start: str
    end: str
    status_label: str
    views: list[StatementView]
    logo_path: str = ""
    primary_color: str = ""
    footer: str = ""
