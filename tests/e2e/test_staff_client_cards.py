"""Staff add a card for a client (issue 19 item 3) in a real Chromium: only where the
company allows it, only once the client's agreement is ticked; the client then sees the card
among its own in a second browser."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import AuditEvent, PaymentMethod
from tests.e2e.conftest import Factory
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_pay import _type_card
from tests.e2e.test_payment_methods import ROW
from tests.e2e.test_portal import sign_in
from tests.e2e.test_staff_documents import _staff, _staff_sign_in

pytestmark = pytest.mark.e2e


def test_staff_add_a_card_the_client_then_sees(page: Page, new_context, make: Factory, db):
    account = make.account(staff_may_add_cards=True)
    staff = _staff(db, account.company)
    _staff_sign_in(page, staff.email, f"/staff/clients/{account.client.id}")
    box = page.locator("#staff-client-cards")
    expect(box).to_contain_text("No saved cards.")
    # Without the client's agreement there is no card form.
    page.locator("#staff-add-card").click()
    expect(page.locator("#staff-card-error")).to_contain_text("client agreed")
    expect(page.locator("#card-element")).to_be_hidden()

    page.get_by_role("checkbox", name="The client agreed").click()
    page.get_by_label("How the client agreed (optional)").fill("Phone call with Casey")
    page.locator("#staff-add-card").click()
    expect(page.locator("#card-element input").first).to_be_visible()
    expect(page.locator("#staff-save-card")).to_be_enabled()
    assert _violations(page) == []
    _type_card(page, "4242424242424242")
    page.locator("#staff-save-card").click()
    expect(box).to_contain_text("Visa ending in 4242 was added", timeout=30_000)
    expect(box.get_by_role("row", name="Visa ending in 4242")).to_contain_text("Default")
    with db() as session:
        saved = session.exec(
            select(PaymentMethod).where(PaymentMethod.client_id == account.client.id)
        ).one()
        assert (saved.last4, saved.is_default) == ("4242", True)
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.client_id == account.client.id,
                AuditEvent.action == "payment_method_added_by_staff",
            )
        ).one()
        assert (event.actor_type, event.actor_id, event.entity_id) == ("staff", staff.id, saved.id)
        details = json.loads(event.details)
        assert details["client_agreed"] is True and details["how"] == "Phone call with Casey"

    # The client sees the card among its own, as the default, in its own browser.
    client_page = new_context().new_page()
    sign_in(client_page, account, "/client/payment_methods")
    expect(client_page.locator(ROW)).to_have_count(1)
    expect(client_page.locator(ROW).first).to_contain_text("4242")
    expect(client_page.locator(ROW).first).to_contain_text("Default")


def test_no_card_form_unless_the_company_allows_it(page: Page, make: Factory, db):
    account = make.account()
    staff = _staff(db, account.company, role="owner")
    _staff_sign_in(page, staff.email, f"/staff/clients/{account.client.id}")
    box = page.locator("#staff-client-cards")
    expect(box).to_contain_text("Your company does not let staff add cards for clients")
    expect(page.locator("#staff-add-card")).to_have_count(0)
