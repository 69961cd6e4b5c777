"""Saved cards in a real Chromium: add one through localstripe's card element, remove it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import PaymentMethod
from tests.e2e.conftest import Factory
from tests.e2e.test_pay import _type_card
from tests.e2e.test_portal import sign_in

pytestmark = pytest.mark.e2e
ROW = '[data-testid="payment-method-row"]'


def _add_card(page: Page, number: str) -> None:
    page.locator("#add-card").click()
    expect(page.locator("#card-element input").first).to_be_visible()
    expect(page.locator("#save-card")).to_be_enabled()
    _type_card(page, number)
    page.locator("#save-card").click()


def test_add_a_card_then_remove_it(page: Page, make: Factory, db, gateway):
    account = make.account()
    sign_in(page, account, "/client/payment_methods")
    expect(page.locator(ROW)).to_have_count(0)

    _add_card(page, "4000000000000002")  # declined when saved
    expect(page.locator("#card-error")).to_contain_text("declined", timeout=30_000)
    expect(page.locator(ROW)).to_have_count(0)

    page.locator("#card-element").get_by_placeholder("number").fill("4242424242424242")
    page.locator("#save-card").click()
    expect(page.locator(ROW)).to_have_count(1, timeout=30_000)
    expect(page.locator(ROW).first).to_contain_text("4242")
    expect(page.locator(ROW).first).to_contain_text("Default")
    with db() as session:
        saved = session.exec(
            select(PaymentMethod).where(PaymentMethod.client_id == account.client.id)
        ).one()
        method_ref = saved.method_ref

    page.locator(ROW).first.get_by_role("button", name="Remove", exact=False).click()
    page.locator('[data-testid="confirm-remove"]').click()
    expect(page.locator(ROW)).to_have_count(0, timeout=30_000)
    with db() as session:
        assert (
            session.exec(select(PaymentMethod).where(PaymentMethod.method_ref == method_ref))
            .one()
            .removed_at
            is not None
        )
    assert gateway.card_details(method_ref).customer_ref == ""


def test_a_saved_card_pays_in_checkout(page: Page, make: Factory):
    account = make.account()
    invoice = make.invoice(account.client)
    sign_in(page, account, "/client/payment_methods")
    _add_card(page, "4242424242424242")
    expect(page.locator(ROW)).to_have_count(1, timeout=30_000)
    page.goto(f"/client/pay?invoices={invoice.id}")
    expect(page.get_by_role("radio", name="Visa", exact=False)).to_be_checked()
    page.locator("#pay-button").click()
    page.wait_for_url("**/client/payments/**", timeout=30_000)
