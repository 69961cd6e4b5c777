"""What staff type into an invoice, quote or credit form, checked and turned into numbers.

The browser sends plain strings; schemas/document_forms.py parses them (money through money.py,
quantities in thousandths, tax rates in basis points), the totals are checked here, and every
problem is reported against its field
("lines.2.unit_price", "due_date", ...) at once, so the form can show them all. Nothing is
written by this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError as PydanticValidationError
from sqlmodel import Session

from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.core.money import SUPPORTED_CURRENCIES, percent_of
from portal_app.core.paging import parse_record_id
from portal_app.models import Client
from portal_app.schemas.document_forms import (
    MAX_LINES,
    TEXT_LIMITS,
    DocumentIn,
    LineIn,
    document_currency,
    fallback_currency,
    parse_day,
    parse_price,
    parse_quantity,
    parse_rate,
)
from portal_app.schemas.forms import field_errors, text
from portal_app.services.billing.invoice_math import LineInput, line_net_minor

# parse_* and MAX_LINES stay importable from here: the staff document state and tests use them.
__all__ = [
    "MAX_LINES",
    "DocumentForm",
    "FormErrors",
    "LineForm",
    "ParsedDocument",
    "form_from_record",
    "line_rows",
    "load_client",
    "parse_day",
    "parse_document",
    "parse_price",
    "parse_quantity",
    "parse_rate",
]

# Ten billion dollars: far beyond any real document, far below BigInteger and rounding trouble.
MAX_DOCUMENT_MINOR = 10**12
# Errors of the fields checked before the lines, in the order the form lists them.
_HEADER_FIELDS = ("currency", "issue_date", "due_date", *TEXT_LIMITS)


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
    try:
        client = load_client(session, company_id=company_id, raw_id=form.client_id)
    except NotFoundError:
        raise FormErrors({"client_id": gettext("Choose one of your clients.")}) from None
    context = {"kind": kind, "client_currency": client.currency}
    header_errors: dict[str, str] = {}
    try:
        header = DocumentIn.model_validate(form, context=context)
    except PydanticValidationError as exc:
        header, header_errors = None, field_errors(exc)
    currency = document_currency(form.currency, client.currency)
    if currency not in SUPPORTED_CURRENCIES:
        currency = fallback_currency(client.currency)
    errors = {k: v for k, v in header_errors.items() if k in _HEADER_FIELDS}

    lines: list[LineInput] = []
    raw_lines = list(form.lines or [])
    if not raw_lines:
        errors["lines"] = gettext("Add at least one line.")
    elif len(raw_lines) > MAX_LINES:
        errors["lines"] = gettext("Use at most %(max)d lines.") % {"max": MAX_LINES}
        raw_lines = []
    subtotal = tax = 0
    for index, raw in enumerate(raw_lines):
        prefix = f"lines.{index}."
        try:
            line = LineIn.model_validate(raw, context={"currency": currency})
        except PydanticValidationError as exc:
            errors.update(field_errors(exc, prefix))
            continue
        net = line_net_minor(line.quantity, line.unit_price)
        if net > MAX_DOCUMENT_MINOR:
            errors[prefix + "unit_price"] = gettext("This line's total is too large.")
            continue
        subtotal += net
        tax += percent_of(net, line.tax_rate)
        lines.append(
            LineInput(
                line.description, line.quantity, line.unit_price, line.tax_name, line.tax_rate
            )
        )
    if lines and subtotal + tax > MAX_DOCUMENT_MINOR and "lines" not in errors:
        errors["lines"] = gettext("The total is too large for one document.")
    if lines and subtotal + tax <= 0 and not errors:
        errors["lines"] = gettext("The total must be more than zero.")

    if kind == "invoice":
        # The deposit is read here too when another header field was refused, so a deposit
        # above the total is reported with the rest (the total counts the lines that passed).
        partial_minor = header.partial if header else _partial_or_zero(form.partial, currency)
        if "partial" in header_errors:
            errors["partial"] = header_errors["partial"]
        elif partial_minor and not errors.get("lines") and partial_minor >= subtotal + tax:
            errors["partial"] = gettext("The deposit must be less than the invoice total.")
        if "partial_due_date" in header_errors:
            errors["partial_due_date"] = header_errors["partial_due_date"]
    if errors:
        raise FormErrors(errors)
    return ParsedDocument(
        client=client,
        currency=header.currency,
        issue_date=header.issue_date,
        due_date=header.due_date,
        partial_minor=header.partial,
        partial_due_date=header.partial_due_date,
        po_number=header.po_number,
        terms=header.terms,
        public_notes=header.public_notes,
        footer=header.footer,
        lines=lines,
        subtotal_minor=subtotal,
        tax_minor=tax,
    )


def _partial_or_zero(value: object, currency: str) -> int:
    try:
        return parse_price(text(value).strip(), currency) if text(value).strip() else 0
    except ValueError:
        return 0


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
