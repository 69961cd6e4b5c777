"""The staff dashboard: receivables aged per currency, payments per month, overdue invoices and
the clients owing most, all from the staff user's own company (the test database is shared:
everything here lives in a company made for the test)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal_app.core.errors import ReadOnlyError
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.console import dashboard as dash
from tests.helpers.staff import add_staff, staff_actor

TODAY = date(2026, 3, 15)


def _owed(make, client, amount_minor: int, *, due: date | None, currency="USD", **kw):
    invoice = make.invoice(
        client,
        currency=currency,
        lines=[LineInput("Work", 1000, amount_minor)],
        issue_date=date(2025, 1, 1),
        **kw,
    )
    invoice.due_date = due
    make.session.add(invoice)
    make.session.flush()
    return invoice


def _ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def _paid(make, client, amount_minor: int, when: datetime, currency="USD", **kw):
    return make.payment(
        client, amount_minor=amount_minor, currency=currency, paid_at=when, created_at=when, **kw
    )


@pytest.fixture
def world(make, session):
    company = make.company()
    actor = staff_actor(add_staff(session, company, password_hash="x", role="staff"))
    acme = make.client(company, name="Acme")
    bolt = make.client(company, name="Bolt")
    cove = make.client(company, name="Cove")
    # USD: one per bucket (the edges of each), plus a partly paid one and one without due date.
    _owed(make, acme, 100_00, due=TODAY)  # due today: current
    _owed(make, acme, 50_00, due=None)  # no due date: current
    _owed(make, bolt, 200_00, due=_ago(1))  # 1-30
    _owed(make, bolt, 300_00, due=_ago(30), paid_minor=100_00)  # 1-30, 200.00 owed
    _owed(make, acme, 400_00, due=_ago(31))  # 31-60
    _owed(make, cove, 600_00, due=_ago(90))  # 61-90
    _owed(make, cove, 700_00, due=_ago(91))  # over 90
    # EUR and JPY: never added to USD.
    _owed(make, acme, 80_00, due=_ago(45), currency="EUR")
    _owed(make, bolt, 5000, due=TODAY + timedelta(days=5), currency="JPY")
    # Owing nothing or not the client's yet: drafts, paid, cancelled.
    _owed(make, acme, 999_00, due=_ago(5), status="draft")
    _owed(make, acme, 999_00, due=_ago(5), paid_minor=999_00, status="paid")
    _owed(make, acme, 999_00, due=_ago(5), status="cancelled")
    # Payments: this month, two months ago, outside the 12 months, failed, another currency.
    noon = datetime(2026, 3, 2, 12, tzinfo=UTC)
    _paid(make, acme, 120_00, noon)
    _paid(make, bolt, 30_00, datetime(2026, 3, 31, 23, 59, tzinfo=UTC))  # this month, later
    _paid(make, bolt, 75_00, datetime(2026, 1, 1, 0, 0, tzinfo=UTC), status="refunded",
          refunded_minor=75_00)  # fmt: skip
    _paid(make, bolt, 1_00, datetime(2025, 3, 31, 23, 0, tzinfo=UTC))  # 12 months + 1 ago
    _paid(make, cove, 9_999_00, noon, status="failed")
    _paid(make, cove, 12_345, noon, currency="JPY")
    # Another company's debts and payments never show.
    other = make.client(make.company(), name="Elsewhere")
    _owed(make, other, 5_000_00, due=_ago(100))
    _paid(make, other, 5_000_00, noon)
    return actor, {"acme": acme, "bolt": bolt, "cove": cove}


def test_receivables_are_aged_per_currency(session, world):
    actor, _ = world
    view = dash.dashboard(session, actor=actor, today=TODAY)
    assert view.bucket_labels == [
        "Current",
        "1-30 days",
        "31-60 days",
        "61-90 days",
        "Over 90 days",
    ]
    by_currency = {row.currency: row for row in view.aging}
    assert list(by_currency) == ["EUR", "JPY", "USD"]
    usd = by_currency["USD"]
    assert usd.minor == {
        "current": 150_00,
        "d1_30": 400_00,
        "d31_60": 400_00,
        "d61_90": 600_00,
        "d90_plus": 700_00,
    }
    assert usd.total_minor == 2250_00 and usd.total == "$2,250.00"
    assert usd.amounts == ["$150.00", "$400.00", "$400.00", "$600.00", "$700.00"]
    assert by_currency["EUR"].minor["d31_60"] == 80_00 and by_currency["EUR"].total == "€80.00"
    assert by_currency["JPY"].minor["current"] == 5000 and by_currency["JPY"].total == "¥5,000"


def test_payments_per_month_for_twelve_months(session, world):
    actor, _ = world
    view = dash.dashboard(session, actor=actor, today=TODAY)
    series = {s.currency: s for s in view.payments}
    assert list(series) == ["JPY", "USD"]
    usd = series["USD"]
    months = [point.month for point in usd.points]
    assert len(months) == 12 and months[0] == "Apr 2025" and months[-1] == "Mar 2026"
    minor = [point.minor for point in usd.points]
    # March: 120.00 + 30.00; January: 75.00 received (refunded later, still received then).
    assert minor[-1] == 150_00 and minor[-3] == 75_00
    assert sum(minor) == usd.total_minor == 225_00  # March 2025 and the failed one left out
    assert usd.points[-1].amount == "$150.00" and usd.total == "$225.00"
    # Bar heights: whole percent of the busiest month; empty months have none.
    assert [point.percent for point in usd.points][-3:] == [50, 0, 100]
    assert usd.points[0].percent == 0
    assert series["JPY"].points[-1].amount == "¥12,345"


def test_overdue_invoices_oldest_first_and_top_clients_per_currency(session, world):
    actor, clients = world
    view = dash.dashboard(session, actor=actor, today=TODAY)
    assert view.overdue_count == 6  # five USD past due and the EUR one
    assert [(r.client_name, r.days, r.balance) for r in view.overdue] == [
        ("Cove", 91, "$700.00"),
        ("Cove", 90, "$600.00"),
        ("Acme", 45, "€80.00"),
        ("Acme", 31, "$400.00"),
        ("Bolt", 30, "$200.00"),
        ("Bolt", 1, "$200.00"),
    ]
    assert view.overdue[0].href == f"/staff/invoices/{view.overdue[0].id}"
    assert [(r.currency, r.client_name, r.balance_minor, r.invoices) for r in view.top_clients] == [
        ("EUR", "Acme", 80_00, 1),
        ("JPY", "Bolt", 5000, 1),
        ("USD", "Cove", 1300_00, 2),
        ("USD", "Acme", 550_00, 3),
        ("USD", "Bolt", 400_00, 2),
    ]
    assert view.top_clients[2].href == f"/staff/clients/{clients['cove'].id}"


def test_top_clients_and_overdue_are_capped(make, session):
    company = make.company()
    actor = staff_actor(add_staff(session, company, password_hash="x"))
    for n in range(dash.TOP_LIMIT + 2):
        client = make.client(company, name=f"Client {n:02d}")
        _owed(make, client, (n + 1) * 10_00, due=TODAY - timedelta(days=n + 1))
        _owed(make, client, 1_00, due=TODAY - timedelta(days=200 + n))
    view = dash.dashboard(session, actor=actor, today=TODAY)
    assert len(view.top_clients) == dash.TOP_LIMIT
    assert view.top_clients[0].client_name == f"Client {dash.TOP_LIMIT + 1:02d}"
    assert view.overdue_count == 2 * (dash.TOP_LIMIT + 2)
    assert (
        len(view.overdue) == dash.OVERDUE_LIMIT and view.overdue[0].days == 200 + dash.TOP_LIMIT + 1
    )


def test_an_empty_company_has_an_empty_dashboard_and_clients_are_refused(make, session):
    company = make.company()
    view = dash.dashboard(
        session, actor=staff_actor(add_staff(session, company, password_hash="x")), today=TODAY
    )
    assert (view.aging, view.payments, view.overdue, view.top_clients) == ([], [], [], [])
    assert view.overdue_count == 0
    contact = make.contact(make.client(company))
    with pytest.raises(ReadOnlyError):
        dash.dashboard(session, actor=make.actor(contact), today=TODAY)
