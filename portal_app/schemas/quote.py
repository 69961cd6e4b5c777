"""Quote views sent to the UI and the quote PDF: formatted strings, never Decimal."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_app.core.pickling import positional_pickle
from portal_app.schemas.invoice import InvoiceLineView, PartyView


@positional_pickle
@dataclass(frozen=True, slots=True)
class QuoteRowView:
    """One row of the quote list."""

    id: int
    number: str
    status: str  # the effective status: a sent quote past its date reads "expired"
    status_label: str
    issue_date: str
    valid_until: str
    amount: str
    is_approvable: bool


@dataclass(frozen=True, slots=True)
class QuotePage:
    """One page of the quote list."""

    rows: list[QuoteRowView]
    page: int
    page_size: int
    total: int
    total_is_capped: bool
    has_next: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class QuoteView:
    """Everything the quote detail page and the quote PDF show."""

    id: int
    number: str
    status: str
    status_label: str
    currency: str
    issue_date: str
    valid_until: str
    po_number: str
    company: PartyView
    client: PartyView
    lines: list[InvoiceLineView] = field(default_factory=list)
    taxes: list[tuple[str, str]] = field(default_factory=list)  # (label, formatted amount)
    subtotal: str = ""
    tax_total: str = ""
    total: str = ""
    terms: str = ""
    public_notes: str = ""
    footer: str = ""
    approved_on: str = ""
    declined_on: str = ""
    decline_reason: str = ""
    invoice_id: int = 0  # the invoice made from it (0 when none)
    invoice_number: str = ""
    invoice_payable: bool = False
    is_approvable: bool = False
    is_declinable: bool = False
    logo_path: str = ""
    primary_color: str = ""


@dataclass(frozen=True, slots=True)
class ApprovalRules:
    """What the company asks for before a quote is approved (shown before the client starts)."""

    require_terms: bool
    terms: str
    terms_version: int
    require_signature: bool
    converts: bool
    allow_decline: bool


@dataclass(frozen=True, slots=True)
class ApprovalResult:
    """What an approval did: the quotes approved and the invoices made from them."""

    quote_ids: list[int]
    invoice_ids: list[int]  # empty when the company does not convert approved quotes
