"""The client's invoices, payments or credits for a date range as a CSV or XLSX file.

Payments live here (above billing, whose export module writes the files and holds invoices and
credits): the rows are the payments list's rows (payments.list_condition, the same order), a
payment dated as the list dates it (when the money arrived, else when it was made), its money
exact in its currency (see services/billing/export.py for the file rules).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func
from sqlmodel import Session, select

from portal_app.core.card_labels import shown_method_label
from portal_app.core.db import id_of
from portal_app.core.errors import NotFoundError
from portal_app.models import Payment
from portal_app.services.billing import export as files
from portal_app.services.billing import invoices
from portal_app.services.billing.export import Cell, Table
from portal_app.services.company import modules
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import payments
from portal_app.services.payments.ledger import unapplied_minor

KINDS = ("invoices", "payments", "credits")


def _day_of(payment: Payment) -> date:
    return (payment.paid_at or payment.created_at).date()


def payment_table(session: Session, *, actor: Actor, start: date, end: date) -> Table:
    """The client's payments dated start..end (inclusive, UTC days), as the payments list
    shows them: money received, credit used through it, refunded and still unapplied."""
    modules.require(session, actor=actor, module="payments")
    day = func.coalesce(Payment.paid_at, Payment.created_at)
    where = and_(
        payments.list_condition(actor),
        day >= datetime.combine(start, time.min, tzinfo=UTC),
        day < datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )
    found = session.exec(
        select(Payment).where(where).order_by(*payments.LIST_ORDER).limit(files.MAX_ROWS + 1)
    ).all()
    files.check_size(len(found))
    sums = payments.allocation_sums(session, [id_of(p) for p in found])
    rows: list[tuple[Cell, ...]] = []
    for payment in found:
        used = sums.get(id_of(payment), payments.AllocationSums()).credit_used
        currency = payment.currency
        rows.append(
            (
                payment.number,
                _day_of(payment),
                shown_method_label(payment.method_label, payment.method),
                payments.status_label(payment.status),
                currency,
                files.amount(payment.amount_minor, currency),
                files.amount(used, currency),
                files.amount(payment.refunded_minor, currency),
                files.amount(unapplied_minor(payment), currency),
            )
        )
    return Table(
        name="payments",
        headers=(
            "Reference",
            "Date",
            "Method",
            "Status",
            "Currency",
            "Amount",
            "Credit used",
            "Refunded",
            "Unapplied",
        ),
        rows=rows,
    )


def export_file(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    start: object,
    end: object,
    fmt: object,
    status: str = "all",
    search: str = "",
    sort: str = "date",
    descending: bool = True,
) -> tuple[str, str, bytes]:
    """(file name, media type, bytes) of one export for the download route.

    `kind` is invoices, payments or credits (anything else: NotFoundError, as an unknown
    address); `start`/`end` ISO dates and `fmt` csv or xlsx, else ValidationError naming the
    field. The invoice list's filter, search and sort apply to invoices. NotFoundError when the
    company switched the module off.
    """
    if kind not in KINDS:
        raise NotFoundError("export")
    start_day, end_day = files.parse_range(start, end)
    file_format = files.parse_format(fmt)
    if kind == "invoices":
        query = invoices.ListQuery(status=status, search=search, sort=sort, descending=descending)
        table = files.invoice_table(session, actor=actor, start=start_day, end=end_day, query=query)
    elif kind == "payments":
        table = payment_table(session, actor=actor, start=start_day, end=end_day)
    else:
        table = files.credit_table(session, actor=actor, start=start_day, end=end_day)
    return (
        files.filename(kind, start_day, end_day, file_format),
        files.MEDIA_TYPES[file_format],
        files.write(table, file_format),
    )
