"""Company and client blocks, and the logo, that every client document shows.

Same rules as the invoice view (services.invoices.build_invoice_view): the logo must be a file
under assets/, the committed default logo otherwise.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from babel.dates import format_date

from portal_app.models import Client, Company
from portal_app.schemas.invoice import PartyView
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
            )
            if x
        ],
    )


def logo_path(company: Company) -> str:
    """Absolute path of the company's logo for the PDF renderer, or empty."""
    assets = PROJECT_ROOT / "assets"
    if company.logo_path:
        candidate = (assets / company.logo_path.lstrip("/")).resolve()
        if candidate.is_file() and candidate.is_relative_to(assets):
            return str(candidate)
        return ""
    default_logo = assets / "logo.png"
    return str(default_logo) if default_logo.is_file() else ""


def format_day(value: date | datetime | None, locale: str) -> str:
    """A date (or the day of a datetime) in the client's locale, e.g. 'Jan 5, 2026'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format="medium", locale=locale)


def parse_record_id(raw: object, what: str) -> int:
    """A record id from a URL or the browser; NotFoundError(what) unless it is a plain number."""
    text = str(raw if raw is not None else "").strip()
    if not _PLAIN_ID.fullmatch(text) or int(text) <= 0:
        raise NotFoundError(what)
    return int(text)
