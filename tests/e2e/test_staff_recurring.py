"""Staff recurring invoices in a real Chromium: create a schedule, pause and resume it, the
stop confirmation, axe checks and a phone-width layout; the client sees the schedule in its
own browser context."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import RecurringInvoice, RecurringInvoiceLine
from tests.e2e.conftest import Factory
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_portal import sign_in
from tests.e2e.test_staff_documents import _line, _staff, _staff_sign_in
from tests.helpers.recurring import add_recurring

pytestmark = pytest.mark.e2e

DETAIL_URL = re.compile(r"/staff/recurring_invoices/(\d+)/?$")


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_staff_creates_pauses_and_resumes_a_schedule_the_client_sees(
    page: Page, new_context, make: Factory, db
):
    account = make.account()
    staff = _staff(db, account.company)
    _staff_sign_in(page, staff.email, "/staff/recurring_invoices")
    expect(page.get_by_role("link", name="Recurring").first).to_be_visible()
    expect(page.get_by_text("No recurring invoices")).to_be_visible()
    assert _violations(page) == []

    page.locator("#new-recurring").click()
    page.wait_for_url("**/staff/recurring_invoices/new")
    expect(page.locator("#save-recurring")).to_be_visible()
    page.get_by_role("combobox", name="Client").click()
    page.get_by_role("option", name=account.client.name).click()
    page.get_by_role("combobox", name="Frequency").click()
    page.get_by_role("option", name="Every two weeks").click()
    # Bad input first: the error shows next to the field and nothing is stored.
    page.get_by_role("checkbox", name="Endless: until stopped").click()
    page.locator("#field-cycles").fill("0")
    _line(page, "Description").fill("Managed hosting")
    _line(page, "Unit price").fill("-5")
    page.locator("#save-recurring").click()
    expect(page.get_by_text("Enter a number of invoices from 1 to 1000.")).to_be_visible()
    expect(page.get_by_text("The price cannot be negative.")).to_be_visible()
    with db() as session:
        assert (
            session.exec(
                select(RecurringInvoice).where(RecurringInvoice.client_id == account.client.id)
            ).all()
            == []
        )
    assert _violations(page) == []

    page.locator("#field-cycles").fill("6")
    _line(page, "Unit price").fill("80")
    _line(page, "Tax rate %").fill("25")
    page.locator("#save-recurring").click()
    page.wait_for_url(DETAIL_URL)
    schedule_id = int(DETAIL_URL.search(page.url).group(1))
    expect(page.locator("#recurring-totals")).to_contain_text("$100.00")
    expect(page.locator("#main")).to_contain_text("Every two weeks")
    expect(page.get_by_text("No invoice issued yet.")).to_be_visible()
    with db() as session:
        row = session.get(RecurringInvoice, schedule_id)
        assert (row.status, row.frequency, row.remaining_cycles) == ("active", "two_weeks", 6)
        assert row.amount_minor == 100_00 and row.client_id == account.client.id
        assert (
            len(
                session.exec(
                    select(RecurringInvoiceLine).where(
                        RecurringInvoiceLine.recurring_invoice_id == schedule_id
                    )
                ).all()
            )
            == 1
        )
        number = row.number
    assert _violations(page) == []

    page.locator("#pause-recurring").click()
    expect(page.locator("#recurring-notice")).to_contain_text("Paused")
    with db() as session:
        assert session.get(RecurringInvoice, schedule_id).status == "paused"
    page.locator("#resume-recurring").click()
    expect(page.locator("#recurring-notice")).to_contain_text("Resumed")
    with db() as session:
        assert session.get(RecurringInvoice, schedule_id).status == "active"

    # Stop asks first; keeping it running changes nothing.
    page.locator("#stop-recurring").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Stop this recurring invoice?")
    assert _violations(page) == []
    dialog.get_by_role("button", name="Keep it running").click()
    expect(dialog).to_have_count(0)
    with db() as session:
        assert session.get(RecurringInvoice, schedule_id).status == "active"

    # The list shows it, also filtered by its client, and fits a phone's width.
    page.goto("/staff/recurring_invoices")
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("$100.00")
    expect(row).to_contain_text("6")
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    expect(page.get_by_role("link", name=number)).to_be_visible()
    _no_sideways_scroll(page)
    page.goto(f"/staff/recurring_invoices/{schedule_id}")
    expect(page.locator("#pause-recurring")).to_be_visible()
    _no_sideways_scroll(page)

    # The client, in a browser of its own, sees the schedule staff created.
    client_page = new_context().new_page()
    sign_in(client_page, account)
    client_page.goto("/client/recurring_invoices")
    client_row = client_page.locator('[data-testid="recurring-row"]')
    expect(client_row).to_have_count(1)
    expect(client_row).to_contain_text(number)
    expect(client_row).to_contain_text("Every two weeks")
    expect(client_row).to_contain_text("$100.00")


def test_stop_after_confirmation_and_signed_out_visitors_sign_in(page: Page, make: Factory, db):
    account = make.account()
    staff = _staff(db, account.company)
    page.goto("/staff/recurring_invoices")
    page.wait_for_url(re.compile(r"/staff/login"))

    with db() as session:
        schedule = add_recurring(
            session, account.client, number=f"R-S-{account.client.id}", start_date=date.today()
        )
        schedule_id = schedule.id
    _staff_sign_in(page, staff.email, f"/staff/recurring_invoices/{schedule_id}")
    page.locator("#stop-recurring").focus()
    page.keyboard.press("Enter")
    page.get_by_role("alertdialog").get_by_role("button", name="Stop recurring invoice").click()
    expect(page.locator("#recurring-notice")).to_contain_text("Stopped")
    expect(page.locator("#stop-recurring")).to_have_count(0)
    expect(page.locator("#edit-recurring")).to_have_count(0)
    with db() as session:
        assert session.get(RecurringInvoice, schedule_id).status == "cancelled"
    # Editing a stopped schedule is not offered; its edit URL leads back to the schedule.
    page.goto(f"/staff/recurring_invoices/{schedule_id}/edit")
    page.wait_for_url(DETAIL_URL)
