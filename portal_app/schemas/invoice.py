"""Invoice views sent to the UI and the PDF renderer: formatted strings, never Decimal."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_app.core.pickling import positional_pickle
from portal_app.schemas.einvoice import EInvoiceData


@positional_pickle
@dataclass(frozen=True, slots=True)
class InvoiceRowView:
    """One row of the invoice list."""

    id: int
    number: str
    status: str
    status_label: str
    issue_date: str
    due_date: str
    amount: str
    balance: str
    is_overdue: bool
    is_payable: bool


@dataclass(frozen=True, slots=True)
class InvoicePage:
    """One page of the invoice list."""

    rows: list[InvoiceRowView]
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
class InvoiceLineView:
    description: str
    quantity: str
    unit_price: str
    tax: str
    net: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class PartyView:
    """Name and address block of the company or the client on a document."""

    name: str
    lines: list[str] = field(default_factory=list)


@positional_pickle
@dataclass(frozen=True, slots=True)
class InvoicePaymentView:
    """A payment or a credit that paid part of one invoice, as the invoice page lists it."""

    kind: str  # "payment" or "credit"
    number: str
    date: str
    method: str  # how it was paid, e.g. "Visa •••• 4242", or "Credit"
    amount: str  # what it applied to this invoice
    refunded: str  # what of that went back; empty when nothing did
    is_refunded: bool  # all of it went back
    href: str  # its page, or empty when the viewer cannot open it


@positional_pickle
@dataclass(frozen=True, slots=True)
class InvoiceView:
    """Everything the invoice detail page and the invoice PDF show."""

    id: int
    number: str
    status: str
    status_label: str
    currency: str
    issue_date: str
    due_date: str
    po_number: str
    company: PartyView
    client: PartyView
    lines: list[InvoiceLineView]
    taxes: list[tuple[str, str]]  # (label, formatted amount)
    subtotal: str
    tax_total: str
    total: str
    paid_to_date: str
    balance: str
    partial: str  # empty when no deposit is asked
    partial_due_date: str
    terms: str
    public_notes: str
    footer: str
    is_overdue: bool
    is_payable: bool
    logo_path: str  # absolute path of a PNG/JPEG on the server, or empty
    primary_color: str
    # The machine-readable side (Factur-X, UBL); None leaves the PDF a plain one.
    einvoice: EInvoiceData | None = None
    # EPC QR ("GiroCode") payload for a bank transfer of the balance; empty when none applies.
    payment_qr: str = ""
    # Where the invoice page loads that QR code as an image (api/routes.invoice_qr), or "".
    payment_qr_src: str = ""
    # Swiss QR-bill for a CHF balance: the QR code's payload and the SVG of the receipt and
    # payment part (qrbill; its text escaped by svgwrite); empty when none applies.
    swiss_qr: str = ""
    swiss_qr_svg: str = ""
    # The URL a QR code opens to pay online (the invoice's e-mailed-link page with a key for
    # the viewer's contact; filled for the PDF) and where the invoice page loads that QR code
    # as an image (the key is made only then); empty when nothing is payable.
    pay_link: str = ""
    pay_link_qr_src: str = ""
    # The client's e-invoice format (schemas.einvoice FORMATS): the page offers the UBL XML
    # download for "xml".
    einvoice_format: str = "hybrid"
    # What paid it (filled for the client's own view, scoped to the viewer; the PDF leaves it).
    payments: list[InvoicePaymentView] = field(default_factory=list)
