"""Paying in a real Chromium: localstripe's Stripe.js card element, 3-D Secure, declines."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import Invoice, Payment
from tests.e2e.conftest import Factory
from tests.e2e.test_portal import sign_in

pytestmark = pytest.mark.e2e

PAYMENT_URL = re.compile(r"/client/payments/\d+/?(\?.*)?$")


def _type_card(page: Page, number: str) -> None:
    """Fill localstripe's card element (plain inputs) as a person would."""
    box = page.locator("#card-element")
    expect(box.locator("input").first).to_be_visible()
    box.get_by_placeholder("number").fill(number)
    box.get_by_placeholder("exp_month").fill("12")
    box.get_by_placeholder("exp_year").fill("31")  # two digits, as on the card
    box.get_by_placeholder("cvc").fill("123")
    postal = box.get_by_placeholder("postal_code")
    if postal.count():
        postal.fill("12345")


def _open_checkout(page: Page, invoice: Invoice) -> None:
    page.goto(f"/client/invoices/{invoice.id}")
    page.locator("#pay-now").click()
    expect(page.locator('[data-testid="pay-line"]')).to_have_count(1)
    expect(page.get_by_text("Test mode")).to_be_visible()


def test_pay_an_invoice_with_a_typed_card(page: Page, make: Factory, db):
    account = make.account()
    invoice = make.invoice(account.client)
    sign_in(page, account)
    _open_checkout(page, invoice)
    expect(page.locator("#pay-total")).to_have_text("$240.00")
    _type_card(page, "4242424242424242")
    page.locator("#pay-button").click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    expect(page.locator("#payment-thanks")).to_be_visible()
    with db() as session:
        paid = session.get(Invoice, invoice.id)
        assert paid.status == "paid" and paid.balance_minor == 0
        payments = session.exec(select(Payment).where(Payment.client_id == account.client.id)).all()
        assert [(p.status, p.amount_minor) for p in payments] == [("completed", 240_00)]
    page.goto(f"/client/invoices/{invoice.id}")
    expect(page.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(page.locator("#pay-now")).to_have_count(0)


def test_declined_card_shows_the_reason_and_nothing_is_paid(page: Page, make: Factory, db):
    account = make.account()
    invoice = make.invoice(account.client)
    sign_in(page, account)
    _open_checkout(page, invoice)
    _type_card(page, "4000000000000341")
    page.locator("#pay-button").click()
    expect(page.get_by_role("alert").filter(has_text="declined")).to_be_visible(timeout=30_000)
    with db() as session:
        assert session.get(Invoice, invoice.id).balance_minor == 240_00
    # The client can try again with another card on the same page.
    _type_card(page, "4242424242424242")
    page.locator("#pay-button").click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        assert session.get(Invoice, invoice.id).status == "paid"


def test_three_d_secure_card_pays_after_confirmation(page: Page, make: Factory, db):
    account = make.account()
    invoice = make.invoice(account.client)
    sign_in(page, account)
    _open_checkout(page, invoice)
    _type_card(page, "4000002500003155")
    page.locator("#pay-button").click()
    # localstripe's Stripe.js asks twice: once for the SetupIntent, once for the payment.
    for _ in range(2):
        confirm = page.get_by_role("button", name="Complete authentication")
        confirm.wait_for(timeout=30_000)
        confirm.click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        assert session.get(Invoice, invoice.id).status == "paid"


def test_another_clients_invoice_cannot_be_checked_out(page: Page, make: Factory):
    mine = make.account()
    theirs = make.account(company=mine.company)
    foreign = make.invoice(theirs.client)
    sign_in(page, mine)
    page.goto(f"/client/pay?invoices={foreign.id}")
    expect(page.get_by_text("Nothing to pay here")).to_be_visible()
    expect(page.locator("#pay-button")).to_have_count(0)


def test_payment_finished_by_webhook_shows_in_an_open_tab(
    page: Page, make: Factory, db, localstripe_url, base_url, gateway, browser_card
):
    """The browser that paid was closed after the charge; Stripe's webhook settles the payment
    and another open tab of the client shows it paid without a reload."""
    import httpx

    from portal_app.services.identity.actor import Actor
    from portal_app.services.payments import checkout as co
    from tests.conftest import WEBHOOK_SECRET

    httpx.post(
        f"{localstripe_url}/_config/webhooks/e2e-portal",
        data={"url": f"{base_url}/api/webhooks/stripe", "secret": WEBHOOK_SECRET},
        timeout=5,
    ).raise_for_status()
    account = make.account()
    invoice = make.invoice(account.client)
    sign_in(page, account)
    page.goto(f"/client/invoices/{invoice.id}")
    expect(page.get_by_text("Unpaid", exact=True).first).to_be_visible()

    actor = Actor(account.company.id, account.client.id, account.contact.id, 0, "password")
    with db() as session:
        started = co.start_checkout(
            session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
        )
        customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    method = browser_card(customer)
    with db() as session:
        claimed = co.claim_for_charge(
            session, actor=actor, checkout_id=started.checkout_id, method_ref=method
        )
        session.expunge(claimed)
    intent, declined = co.charge(gateway=gateway, checkout=claimed, customer_ref=customer)
    assert intent is not None and intent.succeeded, declined
    # Nothing more from "the browser": only the webhook can record this payment now.
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db() as session:
            if session.get(Invoice, invoice.id).balance_minor == 0:
                break
        time.sleep(0.5)
    with db() as session:
        assert session.get(Invoice, invoice.id).status == "paid", "the webhook did not settle it"
    expect(page.get_by_text("Paid", exact=True).first).to_be_visible(timeout=15_000)


def _add_credit(db, account, amount_minor: int) -> None:
    from datetime import date

    from portal_app.models import Credit

    with db() as session:
        session.add(
            Credit(
                company_id=account.company.id,
                client_id=account.client.id,
                number=f"CR-{account.client.id}",
                status="sent",
                currency="USD",
                issue_date=date.today(),
                amount_minor=amount_minor,
                subtotal_minor=amount_minor,
                balance_minor=amount_minor,
            )
        )


def test_summary_follows_the_typed_amount_and_the_button_says_the_charge(
    page: Page, make: Factory, db
):
    account = make.account(allow_under_payment=True, allow_over_payment=True)
    invoice = make.invoice(account.client)  # 240.00
    _add_credit(db, account, 25_00)
    sign_in(page, account)
    _open_checkout(page, invoice)
    button = page.locator("#pay-button")
    expect(page.locator("#pay-total")).to_have_text("$240.00")
    expect(page.locator("#pay-credit")).to_contain_text("$25.00")
    expect(page.locator("#pay-card")).to_have_text("$215.00")
    expect(button).to_have_text("Pay $215.00")
    amount = page.get_by_label(f"Amount to pay for {invoice.number}")
    amount.fill("100")
    expect(page.locator("#pay-paying")).to_have_text("$100.00")
    expect(page.locator("#pay-card")).to_have_text("$75.00")
    expect(button).to_have_text("Pay $75.00")
    page.get_by_text("Use my available credit first").click()  # credit off
    expect(page.locator("#pay-card")).to_have_text("$100.00")
    expect(button).to_have_text("Pay $100.00")
    page.get_by_text("Use my available credit first").click()  # and on again
    amount.fill("-5")
    expect(page.get_by_role("alert").filter(has_text="greater than zero")).to_be_visible()
    expect(page.locator("#pay-card")).to_have_text("—")
    # More than is due: the extra is said, and a yes is asked before anything is charged.
    amount.fill("300")
    expect(page.locator("#over-payment")).to_contain_text("$60.00")
    expect(page.locator("#pay-card")).to_have_text("$275.00")
    expect(button).to_have_text("Pay $275.00")
    _type_card(page, "4242424242424242")
    button.click()
    expect(page.get_by_role("alert").filter(has_text="more than these invoices owe")).to_be_visible(
        timeout=15_000
    )
    with db() as session:
        assert (
            session.exec(select(Payment).where(Payment.client_id == account.client.id)).all() == []
        )
    page.get_by_text("Yes, pay").click()
    button.click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        (payment,) = session.exec(select(Payment).where(Payment.client_id == account.client.id))
        # What the card was charged (read back from localstripe when it settled) is what the
        # button said; the extra stays on the payment, unapplied.
        assert (payment.amount_minor, payment.applied_minor) == (275_00, 215_00)
        assert session.get(Invoice, invoice.id).status == "paid"


def test_abandoned_three_d_secure_attempt_is_cancelled_and_frees_the_invoice(
    page: Page, make: Factory, db
):
    from portal_app.models import Checkout, InvoiceLock

    account = make.account()
    invoice = make.invoice(account.client)
    sign_in(page, account)
    _open_checkout(page, invoice)
    _type_card(page, "4000002500003155")
    page.locator("#pay-button").click()
    # The card is set up, then the bank's question for the payment is left unanswered.
    page.get_by_role("button", name="Complete authentication").first.click(timeout=30_000)
    deadline_ok = False
    for _ in range(60):
        with db() as session:
            if (
                session.get(InvoiceLock, invoice.id) is not None
                and session.exec(
                    select(Checkout).where(
                        Checkout.client_id == account.client.id,
                        Checkout.status == "requires_action",
                    )
                ).first()
            ):
                deadline_ok = True
                break
        page.wait_for_timeout(500)
    assert deadline_ok, "the payment never asked for 3-D Secure"
    page.goto(f"/client/pay?invoices={invoice.id}")
    held = page.locator("#held-attempt")
    expect(held).to_contain_text(re.compile(r"held for 1[45] minutes more"))
    page.get_by_role("button", name="Cancel that attempt").click()
    expect(page.get_by_role("status").filter(has_text="You cancelled that attempt")).to_be_visible(
        timeout=30_000
    )
    expect(held).to_have_count(0)
    with db() as session:
        assert session.get(InvoiceLock, invoice.id) is None
        assert session.get(Invoice, invoice.id).balance_minor == 240_00
    # Free at once: a good card pays it now.
    _type_card(page, "4242424242424242")
    page.locator("#pay-button").click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        assert session.get(Invoice, invoice.id).status == "paid"
