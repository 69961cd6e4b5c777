"""Company and client blocks, the logo and the lines table that client documents show.

The logo must be a file under assets/, the committed default logo otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from portal_app.core.locale import format_quantity
from portal_app.core.settings import PROJECT_ROOT
from portal_app.models import Client, Company
from portal_app.schemas.invoice import InvoiceLineView, PartyView
from portal_app.services.company.branding import LOGO_URL_PREFIX, logo_file_for


def company_party(company: Company) -> PartyView:
    return PartyView(
        name=company.name,
        lines=[
            x
            for x in (
                company.address1,
                company.address2,
                " ".join(p for p in (company.postal_code, company.city) if p),
                company.country,
                company.email,
                company.vat_number and f"VAT {company.vat_number}",
            )
            if x
        ],
    )


def client_party(client: Client) -> PartyView:
    return PartyView(
        name=client.name,
        lines=[
            x
            for x in (
                client.address1,
                " ".join(p for p in (client.postal_code, client.city) if p),
                client.country,
                client.email,
                client.vat_number and f"VAT {client.vat_number}",
            )
            if x
        ],
    )


def logo_path(company: Company) -> str:
    """Absolute path of the company's logo for the PDF renderer, or empty."""
    assets = PROJECT_ROOT / "assets"
    if company.logo_path.startswith(LOGO_URL_PREFIX):
        # A logo uploaded in the staff console (services/company/branding.py).
        return logo_file_for(company.logo_path)
    if company.logo_path:
        candidate = (assets / company.logo_path.lstrip("/")).resolve()
        if candidate.is_file() and candidate.is_relative_to(assets):
            return str(candidate)
        return ""
    default_logo = assets / "logo.png"
    return str(default_logo) if default_logo.is_file() else ""


class LineColumns(Protocol):
    """What an invoice line and a credit line have in common (also a row of those columns)."""

    description: str
    quantity_milli: int
    unit_price_minor: int
    tax_name: str
    tax_rate_bp: int
    net_minor: int
    tax_minor: int


def line_views(lines: Sequence[LineColumns], money: Callable[[int], str]) -> list[InvoiceLineView]:
    """The lines table of an invoice or credit, amounts formatted by `money`."""
    return [
        InvoiceLineView(
            description=line.description,
            quantity=format_quantity(line.quantity_milli),
            unit_price=money(line.unit_price_minor),
            tax=f"{line.tax_name} {line.tax_rate_bp / 100:g}%" if line.tax_rate_bp else "",
            net=money(line.net_minor),
        )
        for line in lines
    ]


def tax_rows(lines: Sequence[LineColumns], money: Callable[[int], str]) -> list[tuple[str, str]]:
    """('VAT 20%', amount) per tax name and rate, in the order the lines first use them."""
    totals: dict[tuple[str, int], int] = {}
    for line in lines:
        if line.tax_rate_bp:
            key = (line.tax_name or "Tax", line.tax_rate_bp)
            totals[key] = totals.get(key, 0) + line.tax_minor
    return [(f"{name} {rate / 100:g}%", money(total)) for (name, rate), total in totals.items()]
