"""The client's invoices and credits as a table for their accountant, and any such table as
CSV or XLSX bytes (services/payments/export.py adds payments and picks the kind).

- The rows are the list page's rows: the same scope and filters (invoices.list_condition,
  credits.list_condition) and the same order, narrowed to a date range (issue date).
- Money is exact: a Decimal in the currency's minor-unit precision (JPY 1500, USD 12.50,
  KWD 1.250) beside a currency column, never a float. XLSX cells get the matching number
  format, so a spreadsheet shows 12.50 and sums without rounding.
- Dates are ISO dates (XLSX: date cells shown as yyyy-mm-dd).
- Column names and status words are English whatever the viewer's language: an accountant's
  import maps columns by name, and a file that changes with the contact's language breaks it.
- CSV/formula injection: a text cell starting with = + - @ (or a tab or carriage return) is
  written with a leading apostrophe, so a spreadsheet shows it as text and never runs it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import and_
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.core.i18n import SOURCE_LANGUAGE, gettext, use_language
from portal_app.core.money import Money
from portal_app.models import Credit, Invoice
from portal_app.services.billing import credits, invoices
from portal_app.services.billing.statements import parse_day
from portal_app.services.company import modules
from portal_app.services.identity.actor import Actor

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_YEARS = 10
# One file holds at most this many records: more asks for a shorter range (the file is built
# in memory by one request).
MAX_ROWS = 20_000
# What a spreadsheet would take as the start of a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | Decimal | date | None


@dataclass(frozen=True, slots=True)
class Table:
    """Rows for one export: a name (file and sheet), the header and the cells."""

    name: str
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


def parse_format(raw: object) -> str:
    """'csv' or 'xlsx' (any case); ValidationError naming the field for anything else."""
    text = str(raw or "").strip().lower()
    if text not in FORMATS:
        raise ValidationError("format", gettext("Choose CSV or XLSX."))
    return text


def parse_range(start: object, end: object) -> tuple[date, date]:
    """Two ISO dates (YYYY-MM-DD), end not before start, at most ten years apart;
    ValidationError naming the field ("start" or "end")."""
    start_day, end_day = parse_day(start, "start"), parse_day(end, "end")
    if end_day < start_day:
        raise ValidationError("end", gettext("The end date must not be before the start date."))
    try:
        limit = start_day.replace(year=start_day.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = start_day.replace(year=start_day.year + MAX_YEARS, day=28)
    if end_day > limit:
        raise ValidationError("end", gettext("Choose at most 10 years."))
    return start_day, end_day


def amount(minor: int, currency: str) -> Decimal:
    """An amount in major units, exact, with the currency's decimals (JPY 0, USD 2, KWD 3)."""
    return Money(minor, currency).to_decimal()


def safe_text(value: str) -> str:
    """Text a spreadsheet will show and never evaluate: a leading apostrophe before a formula
    start (the cell then reads "'=1+1" as text, which is what was stored)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def check_size(count: int) -> None:
    """ValidationError when a range holds more records than one file takes."""
    if count > MAX_ROWS:
        raise ValidationError(
            "end", f"More than {MAX_ROWS:,} records in this range: choose a shorter one."
        )


def invoice_table(
    session: Session,
    *,
    actor: Actor,
    start: date,
    end: date,
    query: invoices.ListQuery | None = None,
    today: date | None = None,
) -> Table:
    """The client's invoices issued start..end (inclusive) that the list shows for `query`
    (its status filter, search and sort), with their amounts and balances."""
    modules.require(session, actor=actor, module="invoices")
    q = (query or invoices.ListQuery()).normalized()
    today = today or utcnow().date()
    where = and_(
        invoices.list_condition(actor, q, today),
        col(Invoice.issue_date) >= start,
        col(Invoice.issue_date) <= end,
    )
    order = q.order().order_by()
    found = session.exec(select(Invoice).where(where).order_by(*order).limit(MAX_ROWS + 1)).all()
    check_size(len(found))
    with use_language(SOURCE_LANGUAGE):
        rows = [
            (
                inv.number,
                inv.issue_date,
                inv.due_date,
                invoices.status_label(inv, today),
                inv.currency,
                amount(inv.amount_minor, inv.currency),
                amount(inv.paid_to_date_minor, inv.currency),
                amount(inv.balance_minor, inv.currency),
                inv.po_number or "",
            )
            for inv in found
        ]
    return Table(
        name="invoices",
        headers=(
            "Number",
            "Issue date",
            "Due date",
            "Status",
            "Currency",
            "Amount",
            "Paid",
            "Balance",
            "PO number",
        ),
        rows=rows,
    )


def credit_table(session: Session, *, actor: Actor, start: date, end: date) -> Table:
    """The client's credits issued start..end (inclusive), as the credits list shows them."""
    modules.require(session, actor=actor, module="credits")
    where = and_(
        credits.list_condition(actor),
        col(Credit.issue_date) >= start,
        col(Credit.issue_date) <= end,
    )
    found = session.exec(
        select(Credit).where(where).order_by(*credits.LIST_ORDER).limit(MAX_ROWS + 1)
    ).all()
    check_size(len(found))
    rows: list[tuple[Cell, ...]] = [
        (
            credit.number,
            credit.issue_date,
            credits.status_label(credit.status),
            credit.currency,
            amount(credit.amount_minor, credit.currency),
            amount(credit.balance_minor, credit.currency),
        )
        for credit in found
    ]
    return Table(
        name="credits",
        headers=("Number", "Date", "Status", "Currency", "Amount", "Balance"),
        rows=rows,
    )


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # never an exponent ("1E+3")
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(value)


def to_csv(table: Table) -> bytes:
    """The table as UTF-8 CSV with a byte order mark (so Excel reads accents right) and a
    header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _number_format(value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return "0." + "0" * places if places else "0"


def to_xlsx(table: Table) -> bytes:
    """The table as one XLSX sheet: text cells as text, amounts as exact numbers with their
    currency's decimals, dates as date cells (yyyy-mm-dd), a bold frozen header row."""
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = table.name[:31]
    sheet.append(list(table.headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row_number, row in enumerate(table.rows, start=2):
        for column, value in enumerate(row, start=1):
            # A new sheet has no merged cells: every cell is a plain one.
            cell = cast(SheetCell, sheet.cell(row=row_number, column=column))
            if value is None:
                continue
            if isinstance(value, Decimal):
                cell.value = value
                cell.number_format = _number_format(value)
            elif isinstance(value, date) and not isinstance(value, datetime):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            else:
                # Set as a string cell explicitly: openpyxl makes any text starting with "="
                # a formula, the guard's apostrophe aside.
                cell.value = safe_text(str(value))
                cell.data_type = "s"
    for column, header in enumerate(table.headers, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = max(12, len(header) + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write(table: Table, fmt: str) -> bytes:
    """The table in `fmt` ('csv' or 'xlsx', as parse_format returns)."""
    return to_xlsx(table) if fmt == "xlsx" else to_csv(table)


def filename(kind: str, start: date, end: date, fmt: str) -> str:
    """e.g. invoices-2026-01-01-2026-12-31.xlsx"""
    return f"{kind}-{start.isoformat()}-{end.isoformat()}.{fmt}"
