"""The machine-readable side of an invoice or credit note (EN 16931): what the Factur-X XML,
the UBL file and the payment QR code are built from. Plain strings only (amounts as exact
decimal text in major units, dates as ISO text), so the view travels to the UI like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_app.core.pickling import positional_pickle

# Profiles (Factur-X levels) an e-invoice is written in.
PROFILE_EN16931 = "en16931"
PROFILE_BASIC_WL = "basicwl"
# UNTDID 1001 document type codes.
TYPE_INVOICE = "380"
TYPE_CREDIT_NOTE = "381"


@positional_pickle
@dataclass(frozen=True, slots=True)
class EInvoiceParty:
    """Seller or buyer as the standard names them."""

    name: str
    trading_name: str = ""
    vat_number: str = ""
    address1: str = ""
    address2: str = ""
    postal_code: str = ""
    city: str = ""
    country_code: str = ""
    email: str = ""


@positional_pickle
@dataclass(frozen=True, slots=True)
class EInvoiceLine:
    """One line: quantity and amounts as decimal text, the VAT category and rate."""

    line_id: str
    name: str
    quantity: str
    unit_price: str
    net: str
    tax_category: str
    tax_rate: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class EInvoiceTax:
    """One row of the VAT breakdown (per category and rate)."""

    category: str
    rate: str
    basis: str
    amount: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class EInvoiceData:
    """Everything an EN 16931 invoice or credit note carries.

    `missing` names the company or client settings the EN 16931 profile needs and this
    document lacks; with any missing, the document is written in the lighter BASIC-WL profile.
    """

    type_code: str
    number: str
    issue_date: str
    due_date: str
    currency: str
    seller: EInvoiceParty
    buyer: EInvoiceParty
    lines: list[EInvoiceLine] = field(default_factory=list)
    taxes: list[EInvoiceTax] = field(default_factory=list)
    line_total: str = "0"
    tax_total: str = "0"
    grand_total: str = "0"
    prepaid: str = "0"
    due_payable: str = "0"
    buyer_reference: str = ""
    order_reference: str = ""
    payment_terms: str = ""
    note: str = ""
    iban: str = ""
    bic: str = ""
    missing: list[str] = field(default_factory=list)

    @property
    def profile(self) -> str:
        """The Factur-X level this document is written in."""
        return PROFILE_BASIC_WL if self.missing else PROFILE_EN16931


PROFILE_LABELS = {PROFILE_EN16931: "EN 16931", PROFILE_BASIC_WL: "BASIC-WL"}

# A client's preferred format for invoices and credit notes (Client.einvoice_format): what its
# downloads and e-mail attachments are. The hybrid is the default.
FORMAT_PDF = "pdf"
FORMAT_HYBRID = "hybrid"
FORMAT_XML = "xml"
FORMAT_LABELS = {
    FORMAT_PDF: "PDF only",
    FORMAT_HYBRID: "Hybrid PDF (Factur-X)",
    FORMAT_XML: "Hybrid PDF and XML (UBL)",
}


@positional_pickle
@dataclass(frozen=True, slots=True)
class EInvoiceProfileView:
    """Which Factur-X profile a document's hybrid PDF is written in, for the staff pages;
    `missing` names what the full EN 16931 profile lacks (empty when it has everything)."""

    profile: str
    label: str
    missing: list[str] = field(default_factory=list)
    # The format it was last e-mailed in (FORMAT_LABELS), or "" when never e-mailed.
    sent_format: str = ""
