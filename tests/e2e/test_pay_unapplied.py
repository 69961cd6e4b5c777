"""Unapplied payment money on the pay page (issue 18 item 6): offered like credit, shown in the
summary and on the button, and what the card is charged is what localstripe charged."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import Invoice, Payment
from tests.e2e.conftest import Factory
from tests.e2e.test_pay import PAYMENT_URL, _open_checkout, _type_card
from tests.e2e.test_portal import fresh_tab, sign_in
from tests.helpers.ledger import assert_client_ledger

pytestmark = pytest.mark.e2e

USE_UNAPPLIED = "Use my unapplied payments"


def _prepayment(db, account, amount_minor: int, currency: str = "USD") -> int:
    """A received pre-payment of the client's that no invoice took yet."""
    with db() as session:
        payment = Payment(
            company_id=account.company.id,
            client_id=account.client.id,
            number=f"PRE-{account.client.id}-{currency}-{amount_minor}",
            status="completed",
            currency=currency,
            amount_minor=amount_minor,
            method="card",
            method_label="Visa •••• 4242",
        )
        session.add(payment)
        session.flush()
        return payment.id


def test_unapplied_money_pays_part_and_the_card_is_charged_the_rest(
    page: Page, make: Factory, db, gateway
):
    account = make.account()
    invoice = make.invoice(account.client)  # 240.00
    prepaid_id = _prepayment(db, account, 100_00)
    _prepayment(db, account, 500_00, currency="EUR")  # another currency: not offered here
    sign_in(page, account)
    _open_checkout(page, invoice)
    button = page.locator("#pay-button")
    expect(page.get_by_text(f"{USE_UNAPPLIED} ($100.00)")).to_be_visible()
    expect(page.locator("#pay-unapplied")).to_have_text("− $100.00")
    expect(page.locator("#pay-card")).to_have_text("$140.00")
    expect(button).to_have_text("Pay $140.00")
    page.get_by_text(USE_UNAPPLIED).click()  # the client's choice: off...
    expect(page.locator("#pay-unapplied")).to_have_count(0)
    expect(button).to_have_text("Pay $240.00")
    page.get_by_text(USE_UNAPPLIED).click()  # ...and on again
    expect(button).to_have_text("Pay $140.00")
    _type_card(page, "4242424242424242")
    button.click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        (card,) = session.exec(
            select(Payment).where(
                Payment.client_id == account.client.id,
                Payment.currency == "USD",
                Payment.id != prepaid_id,
            )
        ).all()
        charged = gateway.retrieve_payment(card.gateway_reference)
        # What localstripe charged is what the button said.
        assert (charged.amount_minor, charged.currency.upper()) == (140_00, "USD")
        prepaid = session.get(Payment, prepaid_id)
        assert (prepaid.applied_minor, prepaid.held_minor) == (100_00, 0)
        assert session.get(Invoice, invoice.id).status == "paid"
        assert_client_ledger(session, account.client, gateway=gateway)


def test_fully_covered_needs_no_card_and_a_stale_tab_charges_nothing(page: Page, make: Factory, db):
    account = make.account()
    first = make.invoice(account.client)  # 240.00
    second = make.invoice(account.client)
    prepaid_id = _prepayment(db, account, 300_00)
    sign_in(page, account)
    _open_checkout(page, first)
    expect(page.locator("#pay-card")).to_have_text("$0.00")
    expect(page.locator("#card-step")).to_be_hidden()  # no card step at all
    expect(page.locator("#pay-button")).to_have_text("Pay with my unapplied payments")

    # Another tab opened meanwhile for the second invoice also shows the $300.00...
    other = fresh_tab(page.context, f"/client/pay?invoices={second.id}")
    expect(other.locator("#pay-unapplied")).to_have_text("− $240.00")
    # ...and the first tab spends $240.00 of it.
    page.locator("#pay-button").click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        assert session.get(Invoice, first.id).status == "paid"
        assert session.get(Payment, prepaid_id).applied_minor == 240_00

    # The stale tab is refused with the new figure, and nothing is charged or applied.
    other.locator("#pay-button").click()
    expect(other.get_by_role("alert").filter(has_text="$60.00 can be used now")).to_be_visible(
        timeout=15_000
    )
    expect(other.get_by_text(f"{USE_UNAPPLIED} ($60.00)")).to_be_visible()
    expect(other.locator("#pay-card")).to_have_text("$180.00")
    expect(other.locator("#pay-button")).to_have_text("Pay $180.00")
    expect(other.locator("#card-step")).to_be_visible()
    with db() as session:
        assert session.get(Invoice, second.id).balance_minor == 240_00
        payments = session.exec(select(Payment).where(Payment.client_id == account.client.id))
        assert all(p.amount_minor == 0 or p.id == prepaid_id for p in payments)
        assert_client_ledger(session, account.client)
