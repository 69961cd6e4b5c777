"""Invoice, quote and credit forms as input models: strings in, numbers and dates out.

`DocumentIn` is the form without its lines, `LineIn` one line. Money goes through
core/money.py into integer minor units, quantities into thousandths, tax rates into basis
points. Validation context: `kind` ("invoice", "quote", "credit") and `client_currency` (used
when the form names none); a line needs `currency`. Rules about totals need every line and
stay in services/billing/document_forms.py.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import ValidationInfo, field_validator

from portal_app.core.i18n import gettext
from portal_app.core.money import SUPPORTED_CURRENCIES, parse_major
from portal_app.schemas.forms import FormModel, refuse, text

MAX_LINES = 100
MAX_UNIT_PRICE_MINOR = 10**11
MAX_QUANTITY_MILLI = 10**9  # a million units
TEXT_LIMITS = {"po_number": 100, "terms": 4000, "public_notes": 4000, "footer": 2000}
_QUANTITY = re.compile(r"\d{1,7}(?:\.\d{1,3})?")
_RATE = re.compile(r"\d{1,3}(?:\.\d{1,2})?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_quantity(value: object) -> int:
    """A quantity such as "2" or "1.25" in thousandths; ValueError with a message to show."""
    cleaned = text(value).strip().replace(",", "")
    if cleaned.startswith("-"):
        raise ValueError(gettext("The quantity cannot be negative."))
    if not _QUANTITY.fullmatch(cleaned):
        raise ValueError(gettext("Enter a quantity such as 1 or 2.5 (at most 3 decimals)."))
    whole, _, frac = cleaned.partition(".")
    milli = int(whole) * 1000 + int((frac + "000")[:3])
    if milli <= 0:
        raise ValueError(gettext("The quantity must be more than zero."))
    if milli > MAX_QUANTITY_MILLI:
        raise ValueError(gettext("The quantity is too large."))
    return milli


def parse_price(value: object, currency: str) -> int:
    """A unit price in major units ("12.50") as minor units; zero allowed, negative not."""
    cleaned = text(value).strip()
    if not cleaned:
        raise ValueError(gettext("Enter a price."))
    if cleaned.startswith("-"):
        raise ValueError(gettext("The price cannot be negative."))
    minor = parse_major(cleaned, currency)
    if minor > MAX_UNIT_PRICE_MINOR:
        raise ValueError(gettext("The price is too large."))
    return minor


def parse_rate(value: object) -> int:
    """A tax rate in percent ("20", "7.25") as basis points; empty means no tax."""
    cleaned = text(value).strip().rstrip("%").strip()
    if not cleaned:
        return 0
    if cleaned.startswith("-"):
        raise ValueError(gettext("The tax rate cannot be negative."))
    if not _RATE.fullmatch(cleaned):
        raise ValueError(gettext("Enter a rate in percent such as 20 or 7.25."))
    whole, _, frac = cleaned.partition(".")
    bp = int(whole) * 100 + int((frac + "00")[:2])
    if bp > 10_000:
        raise ValueError(gettext("The tax rate cannot be above 100%."))
    return bp


def parse_day(value: object, *, required: bool) -> date | None:
    """A date typed as YYYY-MM-DD (what a date input sends); None when empty and optional."""
    cleaned = text(value).strip()
    if not cleaned:
        if required:
            raise ValueError(gettext("Enter a date."))
        return None
    if not _ISO_DATE.fullmatch(cleaned):
        raise ValueError(gettext("Enter a date as YYYY-MM-DD."))
    try:
        day = date.fromisoformat(cleaned)
    except ValueError as exc:
        raise ValueError(gettext("This date does not exist.")) from exc
    if not 2000 <= day.year <= 2100:
        raise ValueError(gettext("Enter a date between 2000 and 2100."))
    return day


def clean_text(value: object, limit: int) -> str:
    """Free text without NUL characters or surrounding blanks, at most `limit` long."""
    cleaned = text(value).replace("\x00", "").strip()
    if len(cleaned) > limit:
        raise ValueError(gettext("Keep this under %(num)d characters.") % {"num": limit})
    return cleaned


def document_currency(value: object, client_currency: str) -> str:
    """The currency the form names, or the client's when it names none (upper case)."""
    return (text(value).strip().upper() or client_currency).upper()


def fallback_currency(client_currency: str) -> str:
    """The currency prices are read in when the form's currency was refused."""
    return client_currency if client_currency in SUPPORTED_CURRENCIES else "USD"


def _checked(parse, *args, **kwargs):
    # Our parsers raise ValueError with a message for people; pydantic must show it as is.
    try:
        return parse(*args, **kwargs)
    except ValueError as exc:
        raise refuse(str(exc)) from None


def _context(info: ValidationInfo) -> dict:
    return info.context or {}


class LineIn(FormModel):
    """One line: quantity in thousandths, unit price in minor units, tax rate in basis points."""

    description: str = ""
    quantity: int = 0
    unit_price: int = 0
    tax_name: str = ""
    tax_rate: int = 0

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: object) -> str:
        cleaned = _checked(clean_text, value, 1000)
        if not cleaned:
            raise refuse(gettext("Describe this line."))
        return cleaned

    @field_validator("quantity", mode="before")
    @classmethod
    def _quantity(cls, value: object) -> int:
        return _checked(parse_quantity, value)

    @field_validator("unit_price", mode="before")
    @classmethod
    def _unit_price(cls, value: object, info: ValidationInfo) -> int:
        return _checked(parse_price, value, _context(info)["currency"])

    @field_validator("tax_name", mode="before")
    @classmethod
    def _tax_name(cls, value: object) -> str:
        return _checked(clean_text, value, 50)

    @field_validator("tax_rate", mode="before")
    @classmethod
    def _tax_rate(cls, value: object) -> int:
        return _checked(parse_rate, value)


class DocumentIn(FormModel):
    """The form without its lines. `due_date` is a quote's "valid until"; credits have none;
    only invoices have a deposit (`partial`, minor units) and its due date."""

    currency: str = ""
    issue_date: date | None = None
    due_date: date | None = None
    po_number: str = ""
    terms: str = ""
    public_notes: str = ""
    footer: str = ""
    partial: int = 0
    partial_due_date: date | None = None

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: object, info: ValidationInfo) -> str:
        currency = document_currency(value, _context(info)["client_currency"])
        if currency not in SUPPORTED_CURRENCIES:
            raise refuse(gettext("Choose a supported currency."))
        return currency

    @field_validator("issue_date", mode="before")
    @classmethod
    def _issue_date(cls, value: object) -> date | None:
        return _checked(parse_day, value, required=True)

    @field_validator("due_date", mode="before")
    @classmethod
    def _due_date(cls, value: object, info: ValidationInfo) -> date | None:
        kind = _context(info)["kind"]
        if kind not in ("invoice", "quote"):
            return None
        due = _checked(parse_day, value, required=False)
        issue = info.data.get("issue_date")
        if issue and due and due < issue:
            if kind == "quote":
                raise refuse(gettext("The valid-until date cannot be before the issue date."))
            raise refuse(gettext("The due date cannot be before the issue date."))
        return due

    @field_validator(*TEXT_LIMITS, mode="before")
    @classmethod
    def _text(cls, value: object, info: ValidationInfo) -> str:
        return _checked(clean_text, value, TEXT_LIMITS[info.field_name])

    @field_validator("partial", mode="before")
    @classmethod
    def _partial(cls, value: object, info: ValidationInfo) -> int:
        context = _context(info)
        typed = text(value).strip()
        if context["kind"] != "invoice" or not typed:
            return 0
        currency = info.data.get("currency") or fallback_currency(context["client_currency"])
        return _checked(parse_price, typed, currency)

    @field_validator("partial_due_date", mode="before")
    @classmethod
    def _partial_due_date(cls, value: object, info: ValidationInfo) -> date | None:
        if _context(info)["kind"] != "invoice":
            return None
        day = _checked(parse_day, value, required=False)
        # A refused deposit counts as none here: its own field says what is wrong.
        partial = info.data.get("partial", 0)
        if partial and day is None:
            raise refuse(gettext("Say when the deposit is due."))
        if day and not partial:
            return None  # a date without a deposit means nothing; drop it
        issue, due = info.data.get("issue_date"), info.data.get("due_date")
        if day and due and day > due:
            raise refuse(gettext("The deposit cannot be due after the invoice."))
        if day and issue and day < issue:
            raise refuse(gettext("The deposit cannot be due before the issue date."))
        return day
