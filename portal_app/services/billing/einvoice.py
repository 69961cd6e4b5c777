"""The EN 16931 data of an invoice or credit note (schemas.einvoice), built from the rows the
caller already authorised, and the fields a document lacks for the full profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Protocol, TypeVar

from sqlmodel import Session

from portal_app.core.money import major_text
from portal_app.models import Client, Company
from portal_app.schemas.einvoice import (
    FORMAT_HYBRID,
    FORMAT_LABELS,
    FORMAT_PDF,
    TYPE_CREDIT_NOTE,
    EInvoiceData,
    EInvoiceLine,
    EInvoiceParty,
    EInvoiceTax,
)

# Setting -> what the staff page calls it, for the fields the EN 16931 profile needs.
SELLER_FIELDS = {
    "address1": "company address",
    "postal_code": "company postal code",
    "city": "company city",
    "country_code": "company country code",
    "vat_number": "company VAT number",
}
BUYER_FIELDS = {
    "address1": "client address",
    "postal_code": "client postal code",
    "city": "client city",
    "country_code": "client country code",
}
# VAT categories (UNTDID 5305): standard rate, zero rated.
STANDARD, ZERO = "S", "Z"


class _Line(Protocol):
    description: str
    quantity_milli: int
    unit_price_minor: int
    tax_rate_bp: int
    net_minor: int
    tax_minor: int


class _Document(Protocol):
    number: str
    currency: str
    issue_date: date
    subtotal_minor: int
    tax_minor: int
    amount_minor: int
    balance_minor: int
    public_notes: str


def missing_fields(company: Company, client: Client) -> list[str]:
    """Names of the settings the EN 16931 profile needs that are empty, seller's first."""
    missing = [label for name, label in SELLER_FIELDS.items() if not getattr(company, name)]
    return missing + [label for name, label in BUYER_FIELDS.items() if not getattr(client, name)]


def document_missing(company: Company, client: Client, lines: Sequence[object]) -> list[str]:
    """What one document lacks for the EN 16931 profile: the settings, then its lines (the
    standard wants at least one)."""
    return missing_fields(company, client) + ([] if lines else ["document lines"])


def _rate(basis_points: int) -> str:
    return f"{basis_points / 100:.2f}"


def _quantity(milli: int) -> str:
    return major_text(milli, "KWD")  # thousandths, exactly like a three-decimal currency


def _party(
    name: str, legal_name: str, row: Company | Client, vat: str, email: str
) -> EInvoiceParty:
    return EInvoiceParty(
        name=legal_name or name,
        trading_name=name if legal_name and legal_name != name else "",
        vat_number=vat,
        address1=row.address1,
        address2=getattr(row, "address2", ""),
        postal_code=row.postal_code,
        city=row.city,
        country_code=row.country_code,
        email=email,
    )


def einvoice_data(
    company: Company,
    client: Client,
    document: _Document,
    lines: Sequence[_Line],
    *,
    type_code: str,
    due_date: date | None = None,
    order_reference: str = "",
) -> EInvoiceData:
    """The document's EN 16931 data; amounts exact in its currency (JPY whole, KWD 3 places)."""
    currency = document.currency

    def money(minor: int) -> str:
        return major_text(minor, currency)

    breakdown: dict[tuple[str, int], list[int]] = {}
    for line in lines:
        category = STANDARD if line.tax_rate_bp else ZERO
        sums = breakdown.setdefault((category, line.tax_rate_bp), [0, 0])
        sums[0] += line.net_minor
        sums[1] += line.tax_minor
    # A credit note's amount is what the seller owes back; nothing of it is "prepaid".
    settled = 0 if type_code == TYPE_CREDIT_NOTE else document.amount_minor - document.balance_minor
    return EInvoiceData(
        type_code=type_code,
        number=document.number,
        issue_date=document.issue_date.isoformat(),
        due_date=due_date.isoformat() if due_date else "",
        currency=currency,
        seller=_party(company.name, company.legal_name, company, company.vat_number, company.email),
        buyer=_party(client.name, "", client, client.vat_number, client.email),
        lines=[
            EInvoiceLine(
                line_id=str(i),
                name=line.description or "-",
                quantity=_quantity(line.quantity_milli),
                unit_price=money(line.unit_price_minor),
                net=money(line.net_minor),
                tax_category=STANDARD if line.tax_rate_bp else ZERO,
                tax_rate=_rate(line.tax_rate_bp),
            )
            for i, line in enumerate(lines, start=1)
        ],
        # The standard wants one breakdown row at least: a document without lines is zero-rated.
        taxes=[
            EInvoiceTax(category=cat, rate=_rate(bp), basis=money(net), amount=money(tax))
            for (cat, bp), (net, tax) in (
                breakdown.items() or [((ZERO, 0), (document.subtotal_minor, document.tax_minor))]
            )
        ],
        line_total=money(document.subtotal_minor),
        tax_total=money(document.tax_minor),
        grand_total=money(document.amount_minor),
        prepaid=money(settled),
        due_payable=money(document.amount_minor - settled),
        buyer_reference=client.buyer_reference,
        order_reference=order_reference,
        payment_terms=company.payment_terms,
        note=document.public_notes,
        iban=company.iban,
        bic=company.bic,
        missing=document_missing(company, client, lines),
    )


V = TypeVar("V")


def client_format(session: Session, client_id: int) -> str:
    """The client's e-invoice format (Client.einvoice_format); the hybrid for an unknown one."""
    client = session.get(Client, client_id)
    value = client.einvoice_format if client is not None else FORMAT_HYBRID
    return value if value in FORMAT_LABELS else FORMAT_HYBRID


def in_format(view: V, fmt: str) -> V:
    """An invoice or credit view as its PDF is rendered for `fmt`: "pdf" leaves out the XML."""
    return replace(view, einvoice=None) if fmt == FORMAT_PDF else view  # type: ignore[type-var]
