"""The staff home's dashboard in the browser (issue 19 item 9): the numbers shown are the
service's for the staff user's own company (a company made for this test), and the work queue
stays above it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from portal_app.core.db import utcnow
from portal_app.models import Payment
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.console import dashboard as dash
from tests.e2e.conftest import Factory
from tests.e2e.test_staff_documents import _staff, _staff_sign_in
from tests.helpers.staff import staff_actor

pytestmark = pytest.mark.e2e


def test_the_dashboard_shows_the_companys_receivables_payments_and_debtors(
    page: Page, make: Factory, db
):
    account = make.account()
    company = account.company
    today = utcnow().date()
    acme = account.client
    bolt = make.client(company, name="Bolt Dashboard Ltd")
    owed = {  # (client, amount, days past due)
        "current": (acme, 100_00, -5),
        "late": (acme, 250_00, 12),
        "later": (bolt, 400_00, 45),
        "oldest": (bolt, 800_00, 120),
    }
    invoices = {
        key: make.invoice(
            client,
            lines=[LineInput("Work", 1000, amount)],
            issue_date=today - timedelta(days=200),
            due_date=today - timedelta(days=days),
        )
        for key, (client, amount, days) in owed.items()
    }
    make.invoice(acme, lines=[LineInput("Work", 1000, 50_000)], currency="EUR")
    with db() as session:
        session.add(
            Payment(
                company_id=company.id,
                client_id=acme.id,
                number=f"PAY-D{acme.id}",
                status="completed",
                currency="USD",
                amount_minor=75_00,
                paid_at=utcnow(),
            )
        )
    other = make.account()  # another company's debt never shows
    make.invoice(other.client, lines=[LineInput("Work", 1000, 9_999_00)])
    staff = _staff(db, company, role="staff")
    with db() as session:
        board = dash.dashboard(session, actor=staff_actor(staff), today=today)

    page.set_viewport_size({"width": 1280, "height": 900})
    _staff_sign_in(page, staff.email, "/staff/clients")
    page.goto("/staff")
    expect(page.get_by_role("heading", name="Work queue", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard", level=2)).to_be_visible()

    # Receivables: one row per currency, the service's amounts in bucket order.
    rows = page.get_by_test_id("aging-row")
    expect(rows).to_have_count(2)
    usd = rows.filter(has_text="USD")
    expect(usd.locator("td")).to_have_text(
        ["$100.00", "$250.00", "$400.00", "$0.00", "$800.00", "$1,550.00"]
    )
    [usd_view] = [row for row in board.aging if row.currency == "USD"]
    expect(usd.locator("td")).to_have_text([*usd_view.amounts, usd_view.total])
    expect(rows.filter(has_text="EUR").locator("td").last).to_have_text("€500.00")

    # Overdue: the three past due, the oldest first, linking to the invoice.
    expect(page.locator("#overdue-count")).to_contain_text("3 overdue")
    overdue = page.get_by_test_id("overdue-row")
    expect(overdue).to_have_count(3)
    expect(overdue.first).to_contain_text(invoices["oldest"].number)
    expect(overdue.first).to_contain_text("120")
    expect(overdue.first).to_contain_text("$800.00")
    expect(overdue.first.get_by_role("link")).to_have_attribute(
        "href", f"/staff/invoices/{invoices['oldest'].id}"
    )

    # Clients owing most: per currency, the biggest first.
    top = page.get_by_test_id("top-client")
    expect(top).to_have_text(
        [f"{row.client_name}{row.invoices}{row.balance}" for row in board.top_clients]
    )
    expect(top.filter(has_text="Bolt Dashboard Ltd")).to_contain_text("$1,200.00")

    # Payments per month: the table behind the bars says this month got $75.00.
    series = page.get_by_test_id("payment-series")
    expect(series).to_have_count(1)
    series.get_by_text("Amounts per month in USD").click()
    months = series.get_by_test_id("payment-month")
    expect(months).to_have_count(12)
    expect(months.last).to_contain_text("$75.00")
    expect(page.get_by_text("9,999")).to_have_count(0)

    # Phone width: the dashboard stays inside the screen (wide tables scroll in their card).
    page.set_viewport_size({"width": 360, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide at 360px"
