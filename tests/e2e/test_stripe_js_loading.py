"""Stripe.js is fetched only when a card step shows (issue 23 item 4): the invoice list and a
pay page that offers a saved card load no script from the Stripe JS origin; picking "A new
card" loads it and pays; a saved card's 3-D Secure loads it by itself (no card element)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal_app.models import Invoice
from tests.e2e.conftest import Factory
from tests.e2e.test_pay import _type_card
from tests.e2e.test_payment_methods import ROW as CARD_ROW
from tests.e2e.test_payment_methods import _add_card
from tests.e2e.test_portal import ROW, sign_in

pytestmark = pytest.mark.e2e

PAYMENT_URL = re.compile(r"/client/payments/\d+/?(\?.*)?$")


def _log_stripe_scripts(page: Page, localstripe_url: str) -> list[str]:
    """Every script URL the page requests from the Stripe JS origin, as it happens."""
    seen: list[str] = []

    def note(request) -> None:
        if request.resource_type == "script" and request.url.startswith(localstripe_url):
            seen.append(request.url)

    page.on("request", note)
    return seen


def _settle(page: Page) -> None:
    # The mount (when one is asked for) runs after the page's data arrives: let it go out.
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)


def test_no_stripe_js_until_a_new_card_is_chosen(
    page: Page, make: Factory, db, localstripe_url: str
):
    account = make.account()
    first = make.invoice(account.client)
    second = make.invoice(account.client)
    sign_in(page, account, "/client/payment_methods")
    _add_card(page, "4242424242424242")
    expect(page.locator(CARD_ROW)).to_have_count(1, timeout=30_000)

    scripts = _log_stripe_scripts(page, localstripe_url)
    page.goto("/client/invoices")  # a new document: no Stripe.js from the card page above
    expect(page.locator(ROW)).to_have_count(2)
    _settle(page)
    assert scripts == []

    page.goto(f"/client/pay?invoices={first.id}")
    expect(page.get_by_role("radio", name="Visa", exact=False)).to_be_checked()
    _settle(page)
    assert scripts == []

    page.get_by_text("A new card", exact=True).click()
    _type_card(page, "4242424242424242")
    assert len(scripts) == 1
    page.locator("#pay-button").click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        assert session.get(Invoice, first.id).status == "paid"
        assert session.get(Invoice, second.id).status != "paid"


def test_a_saved_cards_3ds_loads_stripe_js_itself(
    page: Page, make: Factory, db, localstripe_url: str
):
    account = make.account()
    invoice = make.invoice(account.client)
    sign_in(page, account, "/client/payment_methods")
    _add_card(page, "4000002500003155")
    confirm = page.get_by_role("button", name="Complete authentication")
    confirm.wait_for(timeout=30_000)
    confirm.click()
    expect(page.locator(CARD_ROW)).to_have_count(1, timeout=30_000)

    scripts = _log_stripe_scripts(page, localstripe_url)
    page.goto(f"/client/pay?invoices={invoice.id}")
    expect(page.get_by_role("radio", name="Visa", exact=False)).to_be_checked()
    _settle(page)
    assert scripts == []
    page.locator("#pay-button").click()
    confirm = page.get_by_role("button", name="Complete authentication")
    confirm.wait_for(timeout=30_000)
    assert len(scripts) == 1
    confirm.click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        assert session.get(Invoice, invoice.id).status == "paid"
