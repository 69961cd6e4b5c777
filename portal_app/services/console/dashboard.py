"""The staff home's dashboard: what clients owe and what came in, for the staff user's company.

- Receivables: the open balance of sent and partly paid invoices (drafts never reached the
  client; cancelled and reversed ones owe nothing), per currency, in aging buckets by days past
  the due date (no due date counts as current): current, 1-30, 31-60, 61-90, over 90.
- Payments received per month: the amounts of received payments (completed, partly or wholly
  refunded later: the money came in that month) by the month they were paid, for the last
  MONTHS months including this one, per currency. A refund is not taken back from the month
  the money came in.
- Overdue: the invoices most overdue first (at most OVERDUE_LIMIT) and how many there are.
- Top clients: per currency, the clients owing the most (at most TOP_LIMIT each); currencies
  are never added together.

Each part is one SQL aggregate (five queries in all, with the overdue count) in integer minor
units; the view carries formatted strings, and the chart's bar heights as whole percentages of
the busiest month (integer arithmetic, no floats). Days are the company's: `today` is its local
date (services.company.locale.company_today) and a month of payments starts at its local
midnight (Company.time_zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from portal_app.core import routes
from portal_app.core.i18n import N_
from portal_app.core.locale import format_day, format_month, start_of_day
from portal_app.core.money import format_money
from portal_app.core.pickling import positional_pickle
from portal_app.models import Client, Invoice, Payment
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.services.company.locale import company_locale, company_time_zone
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_scope import require_staff
from portal_app.services.payments.ledger import RECEIVED_STATUSES

# (key, label, fewest days past due, most days past due): None is no limit; "current" is not
# yet due (or has no due date). The labels are English msgids, translated where shown.
BUCKETS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("current", N_("Current"), None, 0),
    ("d1_30", N_("1-30 days"), 1, 30),
    ("d31_60", N_("31-60 days"), 31, 60),
    ("d61_90", N_("61-90 days"), 61, 90),
    ("d90_plus", N_("Over 90 days"), 91, None),
)
MONTHS = 12
OVERDUE_LIMIT = 10
TOP_LIMIT = 5


@positional_pickle
@dataclass(frozen=True, slots=True)
class AgingRow:
    """One currency's receivables: minor units per bucket key and their formatted amounts."""

    currency: str
    minor: dict[str, int]
    amounts: list[str]  # in BUCKETS order
    total_minor: int
    total: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class MonthPoint:
    """One month's bar: its label, the exact amount, and the bar's height in whole percent of
    the busiest month (integer arithmetic; at least 1 when anything came in)."""

    month: str
    short: str  # the month without its year, under the bar
    amount: str
    minor: int
    percent: int


@positional_pickle
@dataclass(frozen=True, slots=True)
class MonthSeries:
    """One currency's payments per month, oldest month first, and their total."""

    currency: str
    points: list[MonthPoint]
    total_minor: int
    total: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class OverdueRow:
    """An overdue invoice."""

    id: int
    number: str
    client_name: str
    due: str
    days: int
    balance: str
    href: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class TopClientRow:
    """A client owing money in one currency."""

    client_id: int
    client_name: str
    currency: str
    balance_minor: int
    balance: str
    invoices: int
    href: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard shows."""

    bucket_labels: list[str]
    aging: list[AgingRow]
    payments: list[MonthSeries]
    overdue: list[OverdueRow]
    overdue_count: int
    top_clients: list[TopClientRow]


def _open_invoices(company_id: int) -> list:
    return [
        Invoice.company_id == company_id,
        col(Invoice.status).in_(PAYABLE_STATUSES),
        Invoice.balance_minor > 0,
    ]


def _bucket_sum(low: int | None, high: int | None, today: date):
    """SUM of balances whose due date is `low`..`high` days before today (dates computed
    here, so the SQL is the same on SQLite and PostgreSQL)."""
    due = col(Invoice.due_date)
    if low is None:  # not due yet, or no due date
        condition = due.is_(None) | (due >= today)
    else:
        condition = due <= today - timedelta(days=low)
        if high is not None:
            condition = condition & (due >= today - timedelta(days=high))
    return func.coalesce(func.sum(case((condition, col(Invoice.balance_minor)), else_=0)), 0)


def _aging(session: Session, company_id: int, today: date, locale: str) -> list[AgingRow]:
    columns = [_bucket_sum(low, high, today).label(key) for key, _, low, high in BUCKETS]
    rows = session.exec(
        select(col(Invoice.currency), *columns)
        .where(*_open_invoices(company_id))
        .group_by(col(Invoice.currency))
        .order_by(col(Invoice.currency))
    ).all()
    aging = []
    for currency, *sums in rows:
        minor = {key: int(value) for (key, *_), value in zip(BUCKETS, sums, strict=True)}
        total = sum(minor.values())
        aging.append(
            AgingRow(
                currency=currency,
                minor=minor,
                amounts=[format_money(minor[key], currency, locale) for key, *_ in BUCKETS],
                total_minor=total,
                total=format_money(total, currency, locale),
            )
        )
    return aging


def _month_starts(today: date) -> list[date]:
    """The first day of each of the last MONTHS months, oldest first, and the next month's."""
    starts = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    starts.reverse()
    last = starts[-1]
    starts.append(date(last.year + last.month // 12, last.month % 12 + 1, 1))
    return starts


def _moment(day: date, time_zone: str) -> datetime:
    return start_of_day(day, time_zone)


def _payments(
    session: Session, company_id: int, today: date, locale: str, time_zone: str
) -> list[MonthSeries]:
    starts = _month_starts(today)
    paid = func.coalesce(col(Payment.paid_at), col(Payment.created_at))
    columns = [
        func.coalesce(
            func.sum(
                case(
                    (
                        (paid >= _moment(low, time_zone)) & (paid < _moment(high, time_zone)),
                        col(Payment.amount_minor),
                    ),
                    else_=0,
                )
            ),
            0,
        ).label(f"m{index}")
        for index, (low, high) in enumerate(zip(starts, starts[1:], strict=False))
    ]
    rows = session.exec(
        select(col(Payment.currency), *columns)
        .where(
            Payment.company_id == company_id,
            col(Payment.status).in_(RECEIVED_STATUSES),
            paid >= _moment(starts[0], time_zone),
            paid < _moment(starts[-1], time_zone),
        )
        .group_by(col(Payment.currency))
        .order_by(col(Payment.currency))
    ).all()
    labels = [
        (format_month(start, locale), format_month(start, locale, year=False))
        for start in starts[:-1]
    ]
    series = []
    for currency, *sums in rows:
        minor = [int(value) for value in sums]
        top = max(minor)
        series.append(
            MonthSeries(
                currency=currency,
                points=[
                    MonthPoint(
                        month=label,
                        short=short,
                        amount=format_money(value, currency, locale),
                        minor=value,
                        percent=max(1, value * 100 // top) if value > 0 else 0,
                    )
                    for (label, short), value in zip(labels, minor, strict=True)
                ],
                total_minor=sum(minor),
                total=format_money(sum(minor), currency, locale),
            )
        )
    return series


def _overdue(
    session: Session, company_id: int, today: date, locale: str
) -> tuple[list[OverdueRow], int]:
    overdue = [*_open_invoices(company_id), col(Invoice.due_date) < today]
    count = session.exec(select(func.count()).select_from(Invoice).where(*overdue)).one()
    rows = session.exec(
        select(Invoice, Client.name)
        .join(Client, col(Client.id) == Invoice.client_id)
        .where(*overdue)
        .order_by(col(Invoice.due_date), col(Invoice.id))
        .limit(OVERDUE_LIMIT)
    ).all()
    return [
        OverdueRow(
            id=invoice.id or 0,
            number=invoice.number,
            client_name=name,
            due=format_day(invoice.due_date, locale),
            days=(today - invoice.due_date).days if invoice.due_date else 0,
            balance=format_money(invoice.balance_minor, invoice.currency, locale),
            href=routes.staff_record_url("invoice", invoice.id or 0),
        )
        for invoice, name in rows
    ], int(count)


def _top_clients(session: Session, company_id: int, locale: str) -> list[TopClientRow]:
    owed = func.sum(col(Invoice.balance_minor))
    grouped = (
        select(
            col(Invoice.client_id).label("client_id"),
            col(Invoice.currency).label("currency"),
            owed.label("owed"),
            func.count().label("invoices"),
            func.row_number()
            .over(
                partition_by=col(Invoice.currency),
                order_by=(owed.desc(), col(Invoice.client_id)),
            )
            .label("place"),
        )
        .where(*_open_invoices(company_id))
        .group_by(col(Invoice.client_id), col(Invoice.currency))
        .subquery()
    )
    rows = session.exec(
        select(
            grouped.c.client_id,
            Client.name,
            grouped.c.currency,
            grouped.c.owed,
            grouped.c.invoices,
        )
        .join(Client, col(Client.id) == grouped.c.client_id)
        .where(grouped.c.place <= TOP_LIMIT)
        .order_by(grouped.c.currency, grouped.c.place)
    ).all()
    return [
        TopClientRow(
            client_id=client_id,
            client_name=name,
            currency=currency,
            balance_minor=int(owed),
            balance=format_money(int(owed), currency, locale),
            invoices=int(invoices),
            href=routes.staff_client_url(client_id),
        )
        for client_id, name, currency, owed, invoices in rows
    ]


def dashboard(session: Session, *, actor: StaffActor, today: date) -> Dashboard:
    """The dashboard of the staff user's company as of `today`, its local date (every staff
    role reads it)."""
    require_staff(actor)
    company_id = actor.company_id
    locale = company_locale(session, company_id)
    time_zone = company_time_zone(session, company_id)
    overdue, overdue_count = _overdue(session, company_id, today, locale)
    return Dashboard(
        bucket_labels=[label for _, label, *_ in BUCKETS],
        aging=_aging(session, company_id, today, locale),
        payments=_payments(session, company_id, today, locale, time_zone),
        overdue=overdue,
        overdue_count=overdue_count,
        top_clients=_top_clients(session, company_id, locale),
    )
