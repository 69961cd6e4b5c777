"""axe-core in Chromium on every client page: no serious or critical accessibility violations."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from portal_app.core.settings import PROJECT_ROOT
from tests.e2e.conftest import Factory
from tests.e2e.test_portal import sign_in
from tests.helpers.quotes import add_quote
from tests.helpers.recurring import add_recurring

pytestmark = pytest.mark.e2e
AXE = PROJECT_ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"


def _violations(page: Page) -> list[str]:
    # Evaluated through DevTools, which the page's Content-Security-Policy does not govern (an
    # injected <script> tag is an inline script the policy refuses).
    page.evaluate(AXE.read_text() + "\n;0")
    # A dialog that is still fading in has half-transparent text, which axe reports as low
    # contrast: let running animations finish first.
    found = page.evaluate(
        """async () => {
            await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => {
                const where = v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ');
                return `${v.id} (${v.impact}): ${where}`;
              });
        }"""
    )
    return list(found)


def _check(page: Page, path: str, ready: str) -> list[str]:
    page.goto(path)
    expect(page.locator(ready).first).to_be_visible()
    return [f"{path}: {v}" for v in _violations(page)]


def _subscription(db, account) -> tuple[str, int]:
    """A payment link to a trial plan and the account's subscription to it (no card needed)."""
    from portal_app.models import PaymentLink, SubscriptionPlan
    from portal_app.services.identity.actor import Actor
    from portal_app.services.subscriptions import signup as subscription_signup

    with db() as session:
        plan = SubscriptionPlan(
            company_id=account.company.id,
            name="Team",
            price_minor=49_00,
            currency="USD",
            trial_days=14,
        )
        session.add(plan)
        session.flush()
        key = f"a11y-{account.client.id}-{plan.id}"
        session.add(PaymentLink(company_id=account.company.id, plan_id=plan.id, key=key))
        session.flush()
        actor = Actor(account.company.id, account.client.id, account.contact.id, 0, "password")
        start = subscription_signup.subscribe(session, actor=actor, key=key, today=date.today())
    return key, start.subscription_id


def test_client_pages_have_no_serious_violations(page: Page, make: Factory, db):
    account = make.account(allow_registration=True)
    link_key, subscription_id = _subscription(db, account)
    invoice = make.invoice(account.client)
    with db() as session:
        recurring = add_recurring(
            session,
            account.client,
            number=f"R-A11Y-{account.client.id}",
            start_date=date.today(),
            auto_bill="opt_in",
        )
    make.invoice(account.client, recurring_invoice_id=recurring.id)
    with db() as session:
        quote = add_quote(session, account.client, number=f"Q-A11Y-{account.client.id}")
    problems = _check(page, "/client/login", "#email")
    problems += _check(page, f"/subscribe/{link_key}", "#reg-first_name")
    sign_in(page, account)
    for path, ready in (
        ("/client/dashboard", "#main h1"),
        ("/client/invoices", '[data-testid="invoice-row"]'),
        (f"/client/invoices/{invoice.id}", "#invoice-totals"),
        (f"/client/pay?invoices={invoice.id}", "#pay-button"),
        ("/client/payments", "#main h1"),
        ("/client/credits", "#main h1"),
        ("/client/payment_methods", "#main h1"),
        ("/client/recurring_invoices", '[data-testid="recurring-row"]'),
        (f"/client/recurring_invoices/{recurring.id}", '[data-testid="recurring-invoice-row"]'),
        ("/client/subscriptions", '[data-testid="subscription-row"]'),
        (f"/client/subscriptions/{subscription_id}", "#subscription-summary"),
        ("/client/prepayment", "#prepay-button"),
        ("/client/quotes", '[data-testid="quote-row"]'),
        (f"/client/quotes/{quote.id}", "#quote-totals"),
        (f"/subscribe/{link_key}", "#plan-price"),
    ):
        problems += _check(page, path, ready)
    assert problems == [], "\n".join(problems)


def test_unknown_address_shows_the_styled_404_page(page: Page, make: Factory):
    """Issue 18 item 10: the sign-in frame signed out, the portal shell signed in, each with a
    way back, and no serious violation either way; a missing record looks the same."""
    account = make.account()
    page.goto("/client/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    back = page.get_by_role("link", name="Go to sign in")
    expect(back).to_have_attribute("href", "/client/login")
    expect(page.locator("#portal-shell")).to_have_count(0)
    assert _violations(page) == []

    sign_in(page, account)
    page.goto("/client/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator("#portal-shell")).to_be_visible()
    assert _violations(page) == []
    page.get_by_role("link", name="Back to your dashboard").click()
    page.wait_for_url(re.compile(r"/client/dashboard/?$"))

    page.goto("/client/invoices/987654321")
    expect(page.get_by_role("heading", name="Invoice not found")).to_be_visible()
    expect(page.locator("#not-found-back")).to_have_attribute("href", "/client/invoices")
    assert _violations(page) == []
