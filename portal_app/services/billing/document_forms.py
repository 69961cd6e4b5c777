"""What staff type into an invoice, quote or credit form, checked and turned into numbers.

The browser sends plain strings; everything is parsed here (money through money.py, quantities
in thousandths, tax rates in basis points) and every problem is reported against its field
("lines.2.unit_price", "due_date", ...) at once, so the form can show them all. Nothing is
written by this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.money import SUPPORTED_CURRENCIES, parse_major, percent_of
from portal_app.core.paging import parse_record_id
from portal_app.models import Client
from portal_app.services.billing.invoice_math import LineInput, line_net_minor

MAX_LINES = 100
# Ten billion dollars: far beyond any real document, far below BigInteger and rounding trouble.
MAX_DOCUMENT_MINOR = 10**12
MAX_UNIT_PRICE_MINOR = 10**11
MAX_QUANTITY_MILLI = 10**9  # a million units
_QUANTITY = re.compile(r"\d{1,7}(?:\.\d{1,3})?")
_RATE = re.compile(r"\d{1,3}(?:\.\d{1,2})?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TEXT_LIMITS = {"po_number": 100, "terms": 4000, "public_notes": 4000, "footer": 2000}


@dataclass
class LineForm:
    """One line as typed: quantity "1.5", unit price "12.50" (major units), tax rate "20"."""

    description: str = ""
    quantity: str = "1"
    unit_price: str = ""
    tax_name: str = ""
    tax_rate: str = ""


@dataclass
class DocumentForm:
    """A whole form as typed. `due_date` is the quote's "valid until"; credits ignore it."""

    client_id: object = ""
    currency: str = ""
    issue_date: str = ""
    due_date: str = ""
    partial: str = ""
    partial_due_date: str = ""
    po_number: str = ""
    terms: str = ""
    public_notes: str = ""
    footer: str = ""
    lines: list[LineForm] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A checked form: numbers and dates ready to store, totals computed here."""

    client: Client
    currency: str
    issue_date: date
    due_date: date | None
    partial_minor: int
    partial_due_date: date | None
    po_number: str
    terms: str
    public_notes: str
    footer: str
    lines: list[LineInput]
    subtotal_minor: int
    tax_minor: int

    @property
    def amount_minor(self) -> int:
        return self.subtotal_minor + self.tax_minor


class FormErrors(ValidationError):
    """Several fields are wrong; `errors` maps each field to its message. Nothing changed."""

    def __init__(self, errors: dict[str, str]):
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_field, first_message)
        self.errors = dict(errors)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def parse_quantity(text: str) -> int:
    """A quantity such as "2" or "1.25" in thousandths; ValueError with a message to show."""
    cleaned = _text(text).strip().replace(",", "")
    if cleaned.startswith("-"):
        raise ValueError("The quantity cannot be negative.")
    if not _QUANTITY.fullmatch(cleaned):
        raise ValueError("Enter a quantity such as 1 or 2.5 (at most 3 decimals).")
    whole, _, frac = cleaned.partition(".")
    milli = int(whole) * 1000 + int((frac + "000")[:3])
    if milli <= 0:
        raise ValueError("The quantity must be more than zero.")
    if milli > MAX_QUANTITY_MILLI:
        raise ValueError("The quantity is too large.")
    return milli


def parse_price(text: str, currency: str) -> int:
    """A unit price in major units ("12.50") as minor units; zero allowed, negative not."""
    cleaned = _text(text).strip()
    if not cleaned:
        raise ValueError("Enter a price.")
    if cleaned.startswith("-"):
        raise ValueError("The price cannot be negative.")
    minor = parse_major(cleaned, currency)
    if minor > MAX_UNIT_PRICE_MINOR:
        raise ValueError("The price is too large.")
    return minor


def parse_rate(text: str) -> int:
    """A tax rate in percent ("20", "7.25") as basis points; empty means no tax."""
    cleaned = _text(text).strip().rstrip("%").strip()
    if not cleaned:
        return 0
    if cleaned.startswith("-"):
        raise ValueError("The tax rate cannot be negative.")
    if not _RATE.fullmatch(cleaned):
        raise ValueError("Enter a rate in percent such as 20 or 7.25.")
    whole, _, frac = cleaned.partition(".")
    bp = int(whole) * 100 + int((frac + "00")[:2])
    if bp > 10_000:
        raise ValueError("The tax rate cannot be above 100%.")
    return bp


def parse_day(text: str, *, required: bool) -> date | None:
    """A date typed as YYYY-MM-DD (what a date input sends); None when empty and optional."""
    cleaned = _text(text).strip()
    if not cleaned:
        if required:
            raise ValueError("Enter a date.")
        return None
    if not _ISO_DATE.fullmatch(cleaned):
        raise ValueError("Enter a date as YYYY-MM-DD.")
    try:
        day = date.fromisoformat(cleaned)
    except ValueError as exc:
        raise ValueError("This date does not exist.") from exc
    if not 2000 <= day.year <= 2100:
        raise ValueError("Enter a date between 2000 and 2100.")
    return day


def _clean_text(value: object, limit: int) -> str:
    text = _text(value).replace("\x00", "").strip()
    if len(text) > limit:
        raise ValueError(f"Keep this under {limit} characters.")
    return text


def load_client(session: Session, *, company_id: int, raw_id: object) -> Client:
    """The company's client with this id; NotFoundError for anyone else's or a bad id."""
    client_id = parse_record_id(raw_id, "client")
    client = session.get(Client, client_id) if client_id <= 2**31 - 1 else None
    if client is None or client.company_id != company_id:
        raise NotFoundError("client")
    return client


def parse_document(
    session: Session, *, company_id: int, form: DocumentForm, kind: str
) -> ParsedDocument:
    """Check a whole form of `kind` ("invoice", "quote", "credit"); FormErrors lists every
    wrong field. Totals are computed from the parsed lines, never taken from the browser."""
    errors: dict[str, str] = {}
    try:
        client = load_client(session, company_id=company_id, raw_id=form.client_id)
    except NotFoundError:
        raise FormErrors({"client_id": "Choose one of your clients."}) from None
    currency = (_text(form.currency).strip().upper() or client.currency).upper()
    if currency not in SUPPORTED_CURRENCIES:
        errors["currency"] = "Choose a supported currency."
        currency = client.currency if client.currency in SUPPORTED_CURRENCIES else "USD"

    def take(name: str, parse):
        try:
            return parse()
        except ValueError as exc:
            errors[name] = str(exc)
            return None

    issue = take("issue_date", lambda: parse_day(form.issue_date, required=True))
    due = None
    partial_minor = 0
    partial_due = None
    if kind in ("invoice", "quote"):
        due = take("due_date", lambda: parse_day(form.due_date, required=False))
        if issue and due and due < issue:
            label = "valid-until date" if kind == "quote" else "due date"
            errors["due_date"] = f"The {label} cannot be before the issue date."
    texts = {}
    for name, limit in TEXT_LIMITS.items():
        texts[name] = take(name, lambda n=name, lim=limit: _clean_text(getattr(form, n), lim)) or ""

    lines: list[LineInput] = []
    raw_lines = list(form.lines or [])
    if not raw_lines:
        errors["lines"] = "Add at least one line."
    elif len(raw_lines) > MAX_LINES:
        errors["lines"] = f"Use at most {MAX_LINES} lines."
        raw_lines = []
    subtotal = tax = 0
    for index, raw in enumerate(raw_lines):
        prefix = f"lines.{index}."
        description = take(prefix + "description", lambda r=raw: _clean_text(r.description, 1000))
        if description == "":
            errors[prefix + "description"] = "Describe this line."
        quantity = take(prefix + "quantity", lambda r=raw: parse_quantity(r.quantity))
        price = take(prefix + "unit_price", lambda r=raw: parse_price(r.unit_price, currency))
        tax_name = take(prefix + "tax_name", lambda r=raw: _clean_text(r.tax_name, 50))
        rate = take(prefix + "tax_rate", lambda r=raw: parse_rate(r.tax_rate))
        if None in (description, quantity, price, tax_name, rate) or not description:
            continue
        net = line_net_minor(quantity, price)
        if net > MAX_DOCUMENT_MINOR:
            errors[prefix + "unit_price"] = "This line's total is too large."
            continue
        subtotal += net
        tax += percent_of(net, rate)
        lines.append(LineInput(description, quantity, price, tax_name, rate))
    if lines and subtotal + tax > MAX_DOCUMENT_MINOR and "lines" not in errors:
        errors["lines"] = "The total is too large for one document."
    if lines and subtotal + tax <= 0 and not errors:
        errors["lines"] = "The total must be more than zero."

    if kind == "invoice":
        partial_text = _text(form.partial).strip()
        if partial_text:
            partial_minor = take("partial", lambda: parse_price(partial_text, currency)) or 0
            if partial_minor and not errors.get("lines") and partial_minor >= subtotal + tax:
                errors["partial"] = "The deposit must be less than the invoice total."
        partial_due = take(
            "partial_due_date", lambda: parse_day(form.partial_due_date, required=False)
        )
        if partial_minor and partial_due is None and "partial_due_date" not in errors:
            errors["partial_due_date"] = "Say when the deposit is due."
        if partial_due and not partial_minor:
            partial_due = None  # a date without a deposit means nothing; drop it
        if partial_due and issue and partial_due < issue:
            errors["partial_due_date"] = "The deposit cannot be due before the issue date."
        if partial_due and due and partial_due > due:
            errors["partial_due_date"] = "The deposit cannot be due after the invoice."
    if errors:
        raise FormErrors(errors)
    return ParsedDocument(
        client=client,
        currency=currency,
        issue_date=issue,
        due_date=due,
        partial_minor=partial_minor,
        partial_due_date=partial_due,
        po_number=texts["po_number"],
        terms=texts["terms"],
        public_notes=texts["public_notes"],
        footer=texts["footer"],
        lines=lines,
        subtotal_minor=subtotal,
        tax_minor=tax,
    )


def line_rows(line_model, inputs: list[LineInput], **owner) -> list:
    """Rows of `line_model` (InvoiceLine, QuoteLine, CreditLine) with net and tax per line,
    computed exactly as services.invoice_math does for invoices."""
    rows = []
    for position, item in enumerate(inputs, start=1):
        net = line_net_minor(item.quantity_milli, item.unit_price_minor)
        rows.append(
            line_model(
                position=position,
                description=item.description,
                quantity_milli=item.quantity_milli,
                unit_price_minor=item.unit_price_minor,
                tax_name=item.tax_name,
                tax_rate_bp=item.tax_rate_bp,
                net_minor=net,
                tax_minor=percent_of(net, item.tax_rate_bp),
                **owner,
            )
        )
    return rows


def form_from_record(record, lines, *, currency: str) -> DocumentForm:
    """The form that edits an existing invoice, quote or credit (major-unit strings)."""
    from portal_app.core.locale import format_quantity
    from portal_app.core.money import Money

    def major(minor: int) -> str:
        return str(Money(minor, currency).to_decimal())

    due = getattr(record, "due_date", None) or getattr(record, "valid_until", None)
    partial = getattr(record, "partial_minor", 0)
    partial_due = getattr(record, "partial_due_date", None)
    return DocumentForm(
        client_id=str(record.client_id),
        currency=currency,
        issue_date=record.issue_date.isoformat(),
        due_date=due.isoformat() if due else "",
        partial=major(partial) if partial else "",
        partial_due_date=partial_due.isoformat() if partial_due else "",
        po_number=getattr(record, "po_number", ""),
        terms=getattr(record, "terms", ""),
        public_notes=record.public_notes,
        footer=getattr(record, "footer", ""),
        lines=[
            LineForm(
                description=line.description,
                quantity=format_quantity(line.quantity_milli),
                unit_price=major(line.unit_price_minor),
                tax_name=line.tax_name,
                tax_rate=f"{line.tax_rate_bp / 100:g}" if line.tax_rate_bp else "",
            )
            for line in lines
        ],
    )
