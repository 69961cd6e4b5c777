"""Subscriptions and pre-payments in a real Chromium, against localstripe.

A visitor opens a payment link, registers on the spot (the confirmation e-mail's token is
redeemed), signs in and comes back to the link, pays the first period by card, changes plan
after seeing the proration, and cancels (refunded within the refund period). A client makes a
pre-payment and finds it unapplied in Payments.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import (
    ClientContact,
    PaymentLink,
    PlanChangeOption,
    Subscription,
    SubscriptionPlan,
)
from portal_app.models import Payment as PaymentRow
from portal_app.services.identity import registration
from tests.e2e.conftest import PASSWORD, Factory
from tests.e2e.test_pay import _type_card
from tests.e2e.test_portal import sign_in, submit_login, wait_interactive

pytestmark = pytest.mark.e2e

DETAIL_URL = re.compile(r"/client/subscriptions/\d+/?\?new=1$")
PAYMENT_URL = re.compile(r"/client/payments/\d+/?(\?.*)?$")


def _plans(db, company_id: int, **basic_kw) -> tuple[str, int, int]:
    with db() as session:
        basic = SubscriptionPlan(
            company_id=company_id, name="Basic", price_minor=10_00, currency="USD", **basic_kw
        )
        pro = SubscriptionPlan(
            company_id=company_id, name="Pro", price_minor=30_00, currency="USD", **basic_kw
        )
        session.add_all([basic, pro])
        session.flush()
        session.add(PlanChangeOption(plan_id=basic.id, target_plan_id=pro.id))
        key = f"e2e-{uuid.uuid4().hex}"
        session.add(PaymentLink(company_id=company_id, plan_id=basic.id, key=key))
        return key, basic.id, pro.id


def _confirmation_token(mail_server, email: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for message in mail_server.to(email):
            found = re.search(r"token=([A-Za-z0-9_.-]+)", message.get_content())
            if found:
                return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no confirmation e-mail for {email}")


def test_visitor_registers_subscribes_changes_plan_and_cancels(
    page: Page, make: Factory, db, mail_server
):
    company = make.company(allow_registration=True)
    key, basic_id, pro_id = _plans(db, company.id, refund_period_days=14)
    email = f"visitor-{uuid.uuid4().hex[:8]}@example.test"

    page.goto(f"/subscribe/{key}")
    expect(page.get_by_role("heading", name="Basic")).to_be_visible()
    expect(page.locator("#plan-price")).to_have_text("$10.00")
    wait_interactive(page, "#reg-first_name")
    page.locator("#reg-organisation").fill("Visitor Ltd")
    page.locator("#reg-first_name").fill("Vera")
    page.locator("#reg-last_name").fill("Visitor")
    page.locator("#reg-email").fill(email)
    page.locator("#reg-password").fill(PASSWORD)
    page.locator("#register-button").click()
    expect(page.locator("#register-done")).to_contain_text(email)

    token = _confirmation_token(mail_server, email)
    with db() as session:
        registration.confirm_email(session, token=token)

    page.get_by_role("link", name="Sign in").first.click()
    submit_login(page, email, PASSWORD)
    page.wait_for_url(re.compile(rf"/subscribe/{key}/?$"))
    expect(page.locator("#subscribe-button")).to_be_visible()
    _type_card(page, "4242424242424242")
    page.locator("#subscribe-button").click()
    page.wait_for_url(DETAIL_URL, timeout=30_000)
    expect(page.locator("#subscription-notice")).to_contain_text("You are subscribed")
    expect(page.locator("#subscription-summary")).to_contain_text("$10.00")

    page.locator("#change-plan").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Pro", exact=True).click()
    # Changed on the first day of the period: the whole period is prorated.
    expect(dialog.locator("#change-summary")).to_contain_text(
        "$20.00 is charged to your default card now"
    )
    dialog.locator("#confirm-change").click()
    expect(page.locator("#subscription-notice")).to_contain_text("You are now on Pro")
    expect(page.get_by_role("heading", name="Pro")).to_be_visible()

    page.locator("#cancel-subscription").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#cancel-reason").fill("Only testing")
    dialog.locator("#confirm-cancel").click()
    expect(page.locator("#subscription-notice")).to_contain_text("$20.00 is refunded")
    expect(page.get_by_text("Cancelled", exact=True).first).to_be_visible()

    with db() as session:
        contact = session.exec(select(ClientContact).where(ClientContact.email == email)).one()
        sub = session.exec(
            select(Subscription).where(Subscription.client_id == contact.client_id)
        ).one()
        assert (sub.plan_id, sub.status, sub.cancel_reason) == (pro_id, "cancelled", "Only testing")
        payments = session.exec(
            select(PaymentRow)
            .where(PaymentRow.client_id == contact.client_id)
            .order_by(PaymentRow.id)
        ).all()
        assert [(p.amount_minor, p.status) for p in payments] == [
            (10_00, "completed"),
            (20_00, "refunded"),
        ]
    page.goto("/client/subscriptions")
    expect(page.locator('[data-testid="subscription-row"]')).to_have_count(1)


def test_a_prepayment_shows_unapplied_in_payments(page: Page, make: Factory, db):
    account = make.account(prepayment_min_minor=5_00)
    sign_in(page, account, "/client/prepayment")
    wait_interactive(page, "#amount")
    for typed, message in (
        ("2", "The smallest pre-payment is $5.00"),
        ("12.345", "USD allows at most 2 decimal places"),
        ("-3", "greater than zero"),
    ):
        page.locator("#amount").fill(typed)
        page.locator("#prepay-button").click()
        expect(page.get_by_role("alert").filter(has_text=message)).to_be_visible()
    with db() as session:
        assert (
            session.exec(select(PaymentRow).where(PaymentRow.client_id == account.client.id)).all()
            == []
        )
    page.locator("#amount").fill("25.00")
    page.locator("#notes").fill("Ahead of the March invoice")
    _type_card(page, "4242424242424242")
    page.locator("#prepay-button").click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    expect(page.locator("#payment-notes")).to_contain_text("Ahead of the March invoice")
    page.goto("/client/payments")
    expect(page.get_by_text("$25.00 unapplied")).to_be_visible()
    with db() as session:
        (payment,) = session.exec(
            select(PaymentRow).where(PaymentRow.client_id == account.client.id)
        ).all()
        assert (payment.amount_minor, payment.applied_minor, payment.notes) == (
            25_00,
            0,
            "Ahead of the March invoice",
        )


def test_a_visitor_registering_from_a_plan_is_brought_back_to_it(
    page: Page, make: Factory, db, mail_server
):
    """Issue 18 item 8: the mailed link, confirmed in the browser, leads through sign-in back
    to the plan the visitor registered from, ready to subscribe."""
    company = make.company(allow_registration=True)
    key, _basic_id, _pro_id = _plans(db, company.id)
    email = f"visitor-{uuid.uuid4().hex[:8]}@example.test"
    page.goto(f"/subscribe/{key}")
    wait_interactive(page, "#reg-first_name")
    page.locator("#reg-first_name").fill("Vera")
    page.locator("#reg-last_name").fill("Visitor")
    page.locator("#reg-email").fill(email)
    page.locator("#reg-password").fill(PASSWORD)
    page.locator("#register-button").click()
    expect(page.locator("#register-done")).to_contain_text("back to this plan")

    # The visitor opens the mailed link (another tab, as from a mail program).
    tab = page.context.new_page()
    tab.goto(f"/client/register/confirm?token={_confirmation_token(mail_server, email)}")
    wait_interactive(tab, "#confirm-email")
    tab.locator("#confirm-email").click()
    expect(tab.locator("#confirm-message")).to_contain_text("Sign in to go back")
    tab.locator("#confirm-sign-in").click()
    submit_login(tab, email, PASSWORD)
    tab.wait_for_url(re.compile(rf"/subscribe/{key}/?$"))
    expect(tab.get_by_role("heading", name="Basic")).to_be_visible()
    expect(tab.locator("#subscribe-button")).to_be_visible()
