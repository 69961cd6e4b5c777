"""Company and client blocks, the logo and the lines table that client documents show.

The logo must be a file under assets/, the committed default logo otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Protocol

from babel.dates import format_date

from portal_app.models import Client, Company
from portal_app.schemas.invoice import InvoiceLineView, PartyView
from portal_app.services.errors import NotFoundError
from portal_app.settings import PROJECT_ROOT

# ASCII digits only: str.isdigit() also accepts characters such as "²" that int() refuses.
_PLAIN_ID = re.compile(r"[0-9]{1,12}")


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
    if company.logo_path.startswith("/api/branding/logo/"):
        # A logo uploaded in the staff console (services.branding).
        from portal_app.services.branding import logo_file_for

        return logo_file_for(company.logo_path)
    if company.logo_path:
        candidate = (assets / company.logo_path.lstrip("/")).resolve()
        if candidate.is_file() and candidate.is_relative_to(assets):
            return str(candidate)
        return ""
    default_logo = assets / "logo.png"
    return str(default_logo) if default_logo.is_file() else ""


class _Line(Protocol):
    """What an invoice line and a credit line have in common."""

    description: str
    quantity_milli: int
    unit_price_minor: int
    tax_name: str
    tax_rate_bp: int
    net_minor: int
    tax_minor: int


def format_quantity(quantity_milli: int) -> str:
    """A quantity in thousandths as the shortest decimal, e.g. 2000 -> '2', 1500 -> '1.5'."""
    whole, frac = divmod(quantity_milli, 1000)
    return str(whole) if frac == 0 else f"{whole}.{frac:03d}".rstrip("0")


def line_views(lines: Sequence[_Line], money: Callable[[int], str]) -> list[InvoiceLineView]:
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


def tax_rows(lines: Sequence[_Line], money: Callable[[int], str]) -> list[tuple[str, str]]:
    """('VAT 20%', amount) per tax name and rate, in the order the lines first use them."""
    totals: dict[tuple[str, int], int] = {}
    for line in lines:
        if line.tax_rate_bp:
            key = (line.tax_name or "Tax", line.tax_rate_bp)
            totals[key] = totals.get(key, 0) + line.tax_minor
    return [(f"{name} {rate / 100:g}%", money(total)) for (name, rate), total in totals.items()]


def format_day(value: date | datetime | None, locale: str) -> str:
    """A date (or the day of a datetime) in the client's locale, e.g. 'Jan 5, 2026'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return _medium_date(value, locale)


@lru_cache(maxsize=4096)
def _medium_date(value: date, locale: str) -> str:
    # Lists show the same few dates many times over; Babel's formatting is not free.
    return format_date(value, format="medium", locale=locale)


def parse_record_id(raw: object, what: str) -> int:
    """A record id from a URL or the browser; NotFoundError(what) unless it is a plain number."""
    text = str(raw if raw is not None else "").strip()
    if not _PLAIN_ID.fullmatch(text) or int(text) <= 0:
        raise NotFoundError(what)
    return int(text)
