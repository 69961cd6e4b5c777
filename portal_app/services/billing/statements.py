"""Client statements: opening balance, movements with a running balance, closing, aging.

Definitions (per currency, scoped to the actor's client and company):
- Invoices counted: status sent, partial or paid (drafts never reach the portal; cancelled and
  reversed invoices owe nothing, so they are left out entirely). `status` narrows them to paid
  (status paid) or unpaid (sent/partial with a balance left); "all" keeps every counted invoice.
- An invoice is a movement (+amount) on its issue date.
- A payment allocation on a counted invoice is a movement (-(amount - refunded)) on the date it
  was applied (the allocation's created_at, UTC). Card allocations (no credit_id) are payments
  and count once their payment's money arrived (completed/refunded/partly_refunded); allocations
  with a credit_id are credits applied.
- Opening balance = counted invoices issued before `start` minus allocations on counted invoices
  applied before `start`. Rows are the movements dated start..end (inclusive), in date order
  (invoices before payments before credits on one day). Closing = opening + invoices - payments -
  credits = everything up to `end`.
- show_payments / show_credits only hide rows: the totals, the running balance and the closing
  balance always include every movement, so the statement never misstates what is owed.
- Aging as of `end`: each counted invoice issued by `end` with an open balance as of `end`
  (amount minus allocations applied by `end`), bucketed by days past its due date (issue date
  when it has none): Current (not yet due), 1-30, 31-60, 61-90, 91-120, Over 120.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from portal_app.core.errors import ValidationError
from portal_app.core.i18n import N_
from portal_app.core.i18n import gettext as _
from portal_app.core.money import format_money
from portal_app.models import Client, Company, Credit, Invoice, Payment, PaymentAllocation
from portal_app.models.statuses import InvoiceStatus, PaymentStatus
from portal_app.schemas.statement import (
    AgingBucketView,
    StatementDocument,
    StatementRowView,
    StatementView,
)
from portal_app.services.billing.party_views import client_party, company_party, logo_path
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope

STATUSES = ("all", "paid", "unpaid")
STATUS_LABELS = {
    "all": N_("All invoices"),
    "paid": N_("Paid invoices"),
    "unpaid": N_("Unpaid invoices"),
}
COUNTED_STATUSES = (InvoiceStatus.SENT, InvoiceStatus.PARTIAL, InvoiceStatus.PAID)
RECEIVED_STATUSES = (
    PaymentStatus.COMPLETED,
    PaymentStatus.REFUNDED,
    PaymentStatus.PARTLY_REFUNDED,
)
MAX_YEARS = 10
# Day ranges past due; the words are translated where the view is built.
AGING_BUCKETS = (N_("Current"), "1-30", "31-60", "61-90", "91-120", N_("Over 120"))
_KIND_ORDER = {"invoice": 0, "payment": 1, "credit": 2}


@dataclass(frozen=True, slots=True)
class _Move:
    day: date
    kind: str
    reference: str
    description: str
    amount: int  # signed minor units
    sort_id: int


def validate_range(start: object, end: object) -> tuple[date, date]:
    """End not before start, at most ten years apart; ValidationError naming the field."""
    if not isinstance(start, date) or isinstance(start, datetime):
        raise ValidationError("start", _("Enter a start date."))
    if not isinstance(end, date) or isinstance(end, datetime):
        raise ValidationError("end", _("Enter an end date."))
    if end < start:
        raise ValidationError("end", _("The end date must not be before the start date."))
    try:
        limit = start.replace(year=start.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = start.replace(year=start.year + MAX_YEARS, day=28)
    if end > limit:
        raise ValidationError("end", _("A statement covers at most 10 years."))
    return start, end


def parse_day(raw: object, field: str) -> date:
    """An ISO date (YYYY-MM-DD) from the browser or a URL; ValidationError naming the field."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    text = str(raw or "").strip()
    if not text:
        raise ValidationError(
            field, _("Enter a start date.") if field == "start" else _("Enter an end date.")
        )
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(field, _("Enter a date as YYYY-MM-DD.")) from None


def _bucket(days_past_due: int) -> int:
    if days_past_due <= 0:
        return 0
    for index, upper in enumerate((30, 60, 90, 120), start=1):
        if days_past_due <= upper:
            return index
    return 5


def statement(
    session: Session,
    *,
    actor: Actor,
    start: date,
    end: date,
    status: str = "all",
    show_payments: bool = True,
    show_credits: bool = True,
    show_aging: bool = True,
    today: date | None = None,
    row_offset: int = 0,
    row_limit: int | None = None,
) -> list[StatementView]:
    """One StatementView per currency the client has invoices in (by `end`).

    `row_offset`/`row_limit` keep only that window of each currency's rows (the on-screen
    preview of a long statement); every total, balance and row_count still covers them all.
    """
    row_offset = max(0, int(row_offset))
    row_limit = None if row_limit is None else max(0, int(row_limit))
    modules.require(session, actor=actor, module="statement")
    start, end = validate_range(start, end)
    if status not in STATUSES:
        raise ValidationError("status", _("Choose all, paid or unpaid."))
    locale = client_locale(session, actor)

    where = [
        client_scope(Invoice, actor),
        col(Invoice.status).in_(COUNTED_STATUSES),
        Invoice.issue_date <= end,
    ]
    if status == "paid":
        where.append(Invoice.status == InvoiceStatus.PAID)
    elif status == "unpaid":
        where.append(and_(col(Invoice.status).in_(("sent", "partial")), Invoice.balance_minor > 0))
    invoices = session.exec(
        select(Invoice).where(*where).order_by(col(Invoice.issue_date), col(Invoice.id))
    ).all()
    by_id = {inv.id: inv for inv in invoices}

    allocations = []
    if by_id:
        allocations = session.exec(
            select(PaymentAllocation, Payment, Credit)
            .join(Payment, col(Payment.id) == PaymentAllocation.payment_id, isouter=True)
            .join(Credit, col(Credit.id) == PaymentAllocation.credit_id, isouter=True)
            .where(
                PaymentAllocation.company_id == actor.company_id,
                col(PaymentAllocation.invoice_id).in_(list(by_id)),
                or_(
                    col(PaymentAllocation.credit_id).is_not(None),
                    col(Payment.status).in_(RECEIVED_STATUSES),
                ),
            )
        ).all()

    moves: dict[str, list[_Move]] = {}
    for inv in invoices:
        moves.setdefault(inv.currency, []).append(
            _Move(inv.issue_date, "invoice", inv.number, _("Invoice"), inv.amount_minor, inv.id)
        )
    applied_by_end: dict[int, int] = {}
    for allocation, payment, credit in allocations:
        inv = by_id[allocation.invoice_id]
        net = allocation.amount_minor - allocation.refunded_minor
        day = allocation.created_at.date()
        if day > end or net == 0:
            continue
        applied_by_end[inv.id] = applied_by_end.get(inv.id, 0) + net
        if allocation.credit_id is not None:
            kind, ref = "credit", credit.number if credit else ""
            desc = _("Credit applied to %(number)s") % {"number": inv.number}
        else:
            kind, ref = "payment", payment.number if payment else ""
            desc = _("Payment applied to %(number)s") % {"number": inv.number}
        moves[inv.currency].append(_Move(day, kind, ref, desc, -net, allocation.id))

    if not moves:
        company = session.get(Company, actor.company_id)
        moves[company.currency if company else "USD"] = []

    views = []
    for currency in sorted(moves):
        views.append(
            _currency_view(
                currency,
                moves[currency],
                [inv for inv in invoices if inv.currency == currency],
                applied_by_end,
                start=start,
                end=end,
                show_payments=show_payments,
                show_credits=show_credits,
                show_aging=show_aging,
                locale=locale,
                window=(row_offset, None if row_limit is None else row_offset + row_limit),
            )
        )
    return views


def _currency_view(
    currency: str,
    moves: list[_Move],
    invoices: list[Invoice],
    applied_by_end: dict[int, int],
    *,
    start: date,
    end: date,
    show_payments: bool,
    show_credits: bool,
    show_aging: bool,
    locale: str,
    window: tuple[int, int | None] = (0, None),
) -> StatementView:
    def money(minor: int) -> str:
        return format_money(minor, currency, locale)

    days: dict[date, str] = {}  # a long statement has many rows a day

    def day(value: date) -> str:
        if value not in days:
            days[value] = format_date(value, format="medium", locale=locale)
        return days[value]

    first, stop = window

    opening = sum(m.amount for m in moves if m.day < start)
    in_range = sorted(
        (m for m in moves if start <= m.day <= end),
        key=lambda m: (m.day, _KIND_ORDER[m.kind], m.sort_id),
    )
    totals = {"invoice": 0, "payment": 0, "credit": 0}
    rows: list[StatementRowView] = []
    row_count = 0
    balance = opening
    for move in in_range:
        balance += move.amount
        totals[move.kind] += abs(move.amount)
        if (move.kind == "payment" and not show_payments) or (
            move.kind == "credit" and not show_credits
        ):
            continue
        row_count += 1
        if row_count <= first or (stop is not None and row_count > stop):
            continue  # outside the window: counted, not formatted
        rows.append(
            StatementRowView(
                kind=move.kind,
                date=day(move.day),
                reference=move.reference,
                description=move.description,
                amount=money(move.amount),
                balance=money(balance),
                amount_minor=move.amount,
                balance_minor=balance,
            )
        )
    closing = opening + totals["invoice"] - totals["payment"] - totals["credit"]
    assert closing == balance, "statement totals out of step"

    aging = [0] * len(AGING_BUCKETS)
    for inv in invoices:
        open_minor = inv.amount_minor - applied_by_end.get(inv.id, 0)
        if open_minor <= 0:
            continue
        due = inv.due_date or inv.issue_date
        aging[_bucket((end - due).days)] += open_minor

    return StatementView(
        currency=currency,
        start=day(start),
        end=day(end),
        opening=money(opening),
        invoices_total=money(totals["invoice"]),
        payments_total=money(totals["payment"]),
        credits_total=money(totals["credit"]),
        closing=money(closing),
        opening_minor=opening,
        invoices_minor=totals["invoice"],
        payments_minor=totals["payment"],
        credits_minor=totals["credit"],
        closing_minor=closing,
        rows=rows,
        aging=[
            AgingBucketView(_(label), money(amount), amount)
            for label, amount in zip(AGING_BUCKETS, aging, strict=True)
        ]
        if show_aging
        else [],
        is_empty=not in_range,
        show_aging=show_aging,
        row_count=row_count,
        row_offset=first,
    )


def statement_document(
    session: Session, *, actor: Actor, views: list[StatementView], status: str = "all"
) -> StatementDocument:
    """The parties and branding around the views, for the PDF."""
    company = session.get(Company, actor.company_id)
    client = session.get(Client, actor.client_id)
    first = views[0] if views else None
    return StatementDocument(
        company=company_party(company),
        client=client_party(client),
        start=first.start if first else "",
        end=first.end if first else "",
        status_label=_(STATUS_LABELS.get(status, STATUS_LABELS["all"])),
        views=views,
        logo_path=logo_path(company),
        primary_color=company.primary_color,
        footer=company.invoice_footer,
    )


PRESETS = {
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "this_year": "This year",
    "last_year": "Last year",
    "custom": "Custom",
}


def preset_range(preset: str, today: date) -> tuple[date, date] | None:
    """The dates of a preset (current periods run to today); None for custom or unknown."""
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "this_quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    if preset == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return None
