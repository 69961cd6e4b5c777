"""Recurring invoices in Chromium: the list, a schedule with the invoices the job issued from
it, switching auto-billing on, and asking to cancel."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from portal_app.core.schedule import add_months
from portal_app.jobs import recurring as job
from portal_app.jobs.runner import JobContext, engine_tx
from tests.e2e.conftest import Factory
from tests.e2e.test_portal import sign_in
from tests.helpers.recurring import add_recurring

pytestmark = pytest.mark.e2e
ROW = '[data-testid="recurring-row"]'
INVOICE_ROW = '[data-testid="recurring-invoice-row"]'


@pytest.fixture
def schedule(make: Factory, db, db_engine):
    """An opt-in monthly schedule that started two months ago, issued by the real job."""
    account = make.account()
    today = date.today()
    with db() as session:
        schedule = add_recurring(
            session,
            account.client,
            number=f"R-E2E-{account.client.id}",
            start_date=add_months(today, -2),
            auto_bill="opt_in",
            remaining_cycles=6,
        )
    # Only this schedule: other tests' schedules on the shared server stay as they are.
    ctx = JobContext(tx=engine_tx(db_engine), today=today)
    with db() as session:
        [due] = [d for d in job.due_schedules(session, today) if d.id == schedule.id]
    counts = {"issued": 0, "completed": 0, "autobill_paid": 0, "autobill_failed": 0}
    counts["already_issued"] = counts["errors"] = 0
    job.process_schedule(ctx, due, counts)
    assert counts["issued"] == 3
    return account, schedule


def test_open_a_recurring_invoice_and_see_its_invoices(page: Page, schedule):
    account, recurring = schedule
    sign_in(page, account)
    page.goto("/client/recurring_invoices")
    row = page.locator(ROW)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Monthly")
    expect(row).to_contain_text("3")  # cycles remaining after three issued
    expect(row).to_contain_text("$55.00")
    row.get_by_role("link", name=recurring.number).click()
    page.wait_for_url(f"**/client/recurring_invoices/{recurring.id}")
    expect(page.locator("#main h1")).to_contain_text(recurring.number)
    invoices = page.locator(INVOICE_ROW)
    expect(invoices).to_have_count(3)
    first_number = invoices.first.get_by_role("rowheader").inner_text().strip()
    invoices.first.get_by_role("link").click()
    page.wait_for_url("**/client/invoices/*")
    expect(page.locator("#main h1")).to_contain_text(first_number)


def test_switch_auto_billing_on_and_request_cancellation(page: Page, schedule):
    account, recurring = schedule
    sign_in(page, account, f"/client/recurring_invoices/{recurring.id}")
    switch = page.locator("#auto-bill-switch")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(page.get_by_text("Auto-billing is on.")).to_be_visible()
    expect(switch).to_have_attribute("aria-checked", "true")

    page.locator("#cancel-open").click()
    page.locator("#cancel-reason").fill("We are moving to a yearly plan")
    page.locator("#cancel-confirm").click()
    expect(page.locator("#cancel-requested")).to_contain_text("yearly plan")
    expect(page.locator("#cancel-open")).to_have_count(0)
    page.goto("/client/recurring_invoices")
    expect(page.locator(ROW)).to_contain_text("Cancellation requested")


def test_another_clients_recurring_invoice_is_not_found(page: Page, make: Factory, schedule):
    _, recurring = schedule
    stranger = make.account()
    sign_in(page, stranger)
    page.goto(f"/client/recurring_invoices/{recurring.id}")
    expect(page.get_by_role("heading", name="Recurring invoice not found")).to_be_visible()
