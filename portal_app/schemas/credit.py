"""Credit views sent to the UI and the credit PDF: formatted strings, never Decimal."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_app.core.pickling import positional_pickle
from portal_app.schemas.einvoice import EInvoiceData
from portal_app.schemas.invoice import InvoiceLineView, PartyView


@positional_pickle
@dataclass(frozen=True, slots=True)
class CreditRowView:
    """One row of the credit list."""

    id: int
    number: str
    date: str
    amount: str
    balance: str
    status: str
    status_label: str


@dataclass(frozen=True, slots=True)
class CreditPage:
    """One page of the credit list."""

    rows: list[CreditRowView]
    page: int
    page_size: int
    total: int
    total_is_capped: bool
    has_next: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class CreditUseView:
    """Part of a credit applied to one invoice."""

    invoice_id: int
    invoice_number: str
    amount: str
    date: str
    payment_id: int  # 0 when no payment record goes with it
    payment_number: str
    has_invoice_link: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class CreditView:
    """Everything the credit detail page and the credit PDF show."""

    id: int
    number: str
    status: str
    status_label: str
    currency: str
    issue_date: str
    company: PartyView
    client: PartyView
    lines: list[InvoiceLineView] = field(default_factory=list)
    taxes: list[tuple[str, str]] = field(default_factory=list)  # (label, formatted amount)
    subtotal: str = ""
    tax_total: str = ""
    total: str = ""
    used: str = ""
    balance: str = ""
    uses: list[CreditUseView] = field(default_factory=list)
    public_notes: str = ""
    footer: str = ""
    logo_path: str = ""
    primary_color: str = ""
    # The machine-readable side (Factur-X); None leaves the PDF a plain one.
    einvoice: EInvoiceData | None = None
