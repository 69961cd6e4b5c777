"""In Chromium: a client asks to cancel a recurring invoice, staff approve it on the client's
page, and the client then sees it cancelled."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Factory
from tests.e2e.test_portal import sign_in
from tests.e2e.test_staff import _staff_user, staff_sign_in
from tests.helpers.recurring import add_recurring

pytestmark = pytest.mark.e2e
REQUEST = '[data-testid="cancellation-request"]'


def test_client_requests_staff_approve_client_sees_cancelled(
    page: Page, new_context, make: Factory, db
):
    account = make.account()
    with db() as session:
        schedule = add_recurring(
            session, account.client, number=f"R-CXL-{account.client.id}", start_date=date.today()
        )
    detail = f"/client/recurring_invoices/{schedule.id}"
    sign_in(page, account, detail)
    page.locator("#cancel-open").click()
    page.locator("#cancel-reason").fill("Closing the office")
    page.locator("#cancel-confirm").click()
    expect(page.locator("#cancel-requested")).to_contain_text("Closing the office")

    staff = _staff_user(db, account.company, role="staff")
    console = new_context().new_page()
    client_page = f"/staff/clients/{account.client.id}"
    staff_sign_in(console, staff.email, client_page)
    request = console.locator(REQUEST)
    expect(request).to_have_count(1)
    expect(request).to_contain_text(schedule.number)
    expect(request).to_contain_text("Closing the office")
    # The box with its buttons reads well with a screen reader (axe: no serious violations).
    from tests.e2e.test_accessibility import _violations

    assert _violations(console) == []
    request.get_by_role(
        "button", name="Approve cancellation: " + f"Recurring invoice {schedule.number}"
    ).click()
    expect(console.get_by_text(f"Recurring invoice {schedule.number} cancelled.")).to_be_visible()
    expect(console.locator(REQUEST)).to_have_count(0)

    page.goto(detail)
    expect(page.locator("#main")).to_contain_text("Cancelled")
    expect(page.locator("#cancel-open")).to_have_count(0)
