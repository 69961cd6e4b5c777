"""The pre-payment, payment-methods and subscription pages in the contact's language: German
labels, server messages and money (a German company in euros), then the subscriptions page in
Arabic, right to left and axe-clean."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from portal_app.models import PaymentLink, PaymentMethod, SubscriptionPlan
from portal_app.services.identity.actor import Actor
from portal_app.services.subscriptions import signup
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_languages import _set_language, sign_in
from tests.e2e.test_portal import wait_interactive

pytestmark = pytest.mark.e2e


def _trial_and_card(db, account) -> int:
    """A 14-day trial of a 49,00 € plan (no card needed) and a saved Visa; the subscription's id."""
    company, client, contact = account.company, account.client, account.contact
    with db() as session:
        plan = SubscriptionPlan(
            company_id=company.id,
            name="Team",
            price_minor=49_00,
            currency="EUR",
            trial_days=14,
            trial_without_card=True,
        )
        session.add(plan)
        session.flush()
        key = f"lang-{client.id}-{plan.id}"
        session.add(PaymentLink(company_id=company.id, plan_id=plan.id, key=key))
        session.flush()
        actor = Actor(company.id, client.id, contact.id, 0, "password")
        start = signup.subscribe(session, actor=actor, key=key, today=date.today())
        session.add(
            PaymentMethod(
                company_id=company.id,
                client_id=client.id,
                customer_ref=f"cus_lang_{client.id}",
                method_ref=f"pm_lang_{client.id}",
                brand="visa",
                last4="4242",
                is_default=True,
                exp_month=12,
                exp_year=date.today().year + 3,
            )
        )
        return start.subscription_id


def test_prepayment_cards_and_subscriptions_in_german_then_arabic(new_context, make, db):
    account = make.account(locale="de_DE", currency="EUR", prepayment_min_minor=5_00)
    subscription_id = _trial_and_card(db, account)
    page = new_context(locale="de-DE").new_page()
    sign_in(page, account)

    page.goto("/client/prepayment")
    wait_interactive(page, "#amount")
    expect(page.get_by_role("heading", name="Vorauszahlung", level=1)).to_be_visible()
    expect(page.get_by_text("Betrag (EUR)")).to_be_visible()
    expect(page.get_by_text("Notiz (optional)")).to_be_visible()
    expect(page.locator("#amount-limits")).to_have_text(re.compile(r"^Mindestens 5,00\s€, "))
    page.locator("#amount").fill("2")
    page.locator("#prepay-button").click()
    # The service's refusal, in German with German money.
    expect(
        page.get_by_text(re.compile(r"Die kleinste Vorauszahlung beträgt 5,00\s€\."))
    ).to_be_visible()

    page.goto("/client/payment_methods")
    expect(page.get_by_role("heading", name="Zahlungsmethoden", level=1)).to_be_visible()
    row = page.locator('[data-testid="payment-method-row"]')
    expect(row).to_contain_text("Visa")
    expect(row).to_contain_text("Gültig bis")
    expect(row.get_by_text("Standard", exact=True)).to_be_visible()
    expect(row.get_by_role("button", name="Visa mit Endziffern 4242 entfernen")).to_be_visible()
    expect(page.get_by_role("heading", name="Karte hinzufügen", level=2)).to_be_visible()

    page.goto("/client/subscriptions")
    expect(page.get_by_role("heading", name="Abonnements", level=1)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Nächste Belastung")).to_be_visible()
    sub_row = page.locator('[data-testid="subscription-row"]')
    expect(sub_row).to_contain_text(re.compile(r"49,00\s€ / Monatlich"))
    expect(sub_row.get_by_text("Testphase", exact=True)).to_be_visible()

    page.goto(f"/client/subscriptions/{subscription_id}")
    summary = page.locator("#subscription-summary")
    expect(summary).to_contain_text("Aktueller Zeitraum")
    expect(summary).to_contain_text("Testphase endet")
    expect(page.get_by_role("heading", name="Rechnungen", level=2)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")

    _set_language(db, account.contact.id, "ar")
    page.goto("/client/subscriptions")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.get_by_role("heading", name="الاشتراكات", level=1)).to_be_visible()
    expect(page.get_by_role("columnheader", name="الخصم التالي")).to_be_visible()
    expect(
        page.locator('[data-testid="subscription-row"]').get_by_text("فترة تجريبية", exact=True)
    ).to_be_visible()
    assert _violations(page) == []


def test_the_register_page_follows_accept_language_de(new_context, make):
    company = make.company(allow_registration=True, name="Beispiel GmbH")
    page = new_context(locale="de-DE").new_page()
    page.goto(f"/client/register?company={company.id}")
    expect(
        page.get_by_role("heading", name="Für das Portal von Beispiel GmbH registrieren", level=1)
    ).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    wait_interactive(page, "#first_name")
    expect(page.get_by_text("Organisation (optional)")).to_be_visible()
    page.get_by_role("button", name="Konto erstellen").click()
    # The service's refusals, in the page's language.
    expect(page.locator("#first_name-error")).to_have_text("Geben Sie Ihren Vornamen ein.")
    expect(page.locator("#email-error")).to_have_text("Geben Sie eine gültige E-Mail-Adresse ein.")


def test_a_plans_sign_up_page_follows_accept_language_de(new_context, make, db):
    company = make.company(allow_registration=True, locale="de_DE", currency="EUR")
    with db() as session:
        plan = SubscriptionPlan(
            company_id=company.id, name="Team", price_minor=49_00, currency="EUR"
        )
        session.add(plan)
        session.flush()
        key = f"lang-visitor-{plan.id}"
        session.add(PaymentLink(company_id=company.id, plan_id=plan.id, key=key))
    page = new_context(locale="de-DE").new_page()
    page.goto(f"/subscribe/{key}")
    expect(page.get_by_role("heading", name="Team", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_text("/ Monatlich")).to_be_visible()
    expect(
        page.get_by_text("Melden Sie sich an, um mit Ihrem Konto zu abonnieren.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Neu hier? Registrieren", level=2)).to_be_visible()
