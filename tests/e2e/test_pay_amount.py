""" "Pay an amount" in a real Chromium (issue 22 item 8): one sum, the split shown as typed,
a yes, localstripe's card element, then the invoices paid and the rest unapplied in Payments."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import Invoice, Payment
from portal_app.services.billing.invoice_math import LineInput
from tests.e2e.conftest import Factory
from tests.e2e.test_pay import PAYMENT_URL, _type_card
from tests.e2e.test_portal import sign_in

pytestmark = pytest.mark.e2e


def test_pay_an_amount_settles_the_oldest_invoices_and_keeps_the_rest(
    page: Page, make: Factory, db
):
    account = make.account(allow_under_payment=True, allow_over_payment=True)
    old = make.invoice(
        account.client,
        lines=[LineInput("Work", 1000, 100_00)],
        due_date=date.today() - timedelta(days=20),
    )
    new = make.invoice(account.client, lines=[LineInput("Work", 1000, 80_00)])
    sign_in(page, account)
    page.goto("/client/payments")
    page.locator("#pay-amount-link").click()
    page.wait_for_url("**/client/pay_amount")
    amount = page.get_by_label("Amount", exact=True)
    # Field errors first: too many decimals, then zero.
    amount.fill("12.345")
    expect(page.get_by_role("alert").filter(has_text="decimal places")).to_be_visible()
    amount.fill("0")
    expect(page.get_by_role("alert").filter(has_text="greater than zero")).to_be_visible()
    # A part of the newer invoice: the split follows the amount as it is typed.
    amount.fill("150")
    lines = page.locator('[data-testid="split-line"]')
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text(old.number)
    expect(lines.nth(1)).to_contain_text("$50.00")
    amount.fill("200")
    expect(page.locator("#split-unapplied")).to_have_text("$20.00")
    expect(page.locator("#split-applied")).to_have_text("$180.00")
    page.locator("#pay-amount-review").click()
    expect(page.locator("#pay-amount-unapplied-note")).to_be_visible()
    expect(page.get_by_text("Test mode")).to_be_visible()
    _type_card(page, "4242424242424242")
    page.locator("#pay-amount-button").click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        for invoice in (old, new):
            paid = session.get(Invoice, invoice.id)
            assert paid.status == "paid" and paid.balance_minor == 0
        payments = session.exec(select(Payment).where(Payment.client_id == account.client.id)).all()
        assert [(p.amount_minor, p.applied_minor) for p in payments] == [(200_00, 180_00)]
    page.goto("/client/payments")
    expect(page.get_by_text("$20.00 unapplied")).to_be_visible()
