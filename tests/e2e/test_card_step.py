"""The card step of a trial sign-up in a real Chromium, against localstripe (issue 18 item 7).

A plan's trial asks for the card at sign-up (localstripe's Stripe.js runs 3-D Secure for the
3155 card once) and the trial starts with the card saved as the default the renewal charges;
a plan whose trial needs no card shows no card form and starts at once.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import PaymentLink, PaymentMethod, Subscription, SubscriptionPlan
from tests.e2e.conftest import Factory
from tests.e2e.test_pay import _type_card
from tests.e2e.test_portal import sign_in

pytestmark = pytest.mark.e2e

DETAIL_URL = re.compile(r"/client/subscriptions/\d+/?\?new=1$")


def _trial_plan(db, company_id: int, **kw) -> str:
    with db() as session:
        plan = SubscriptionPlan(
            company_id=company_id, name="Team", price_minor=49_00, currency="USD", **kw
        )
        session.add(plan)
        session.flush()
        key = f"e2e-{uuid.uuid4().hex}"
        session.add(PaymentLink(company_id=company_id, plan_id=plan.id, key=key))
        return key


def test_a_trial_asks_for_the_card_and_saves_it_with_one_3ds_step(page: Page, make: Factory, db):
    account = make.account()
    key = _trial_plan(db, account.company.id, trial_days=14)
    sign_in(page, account)
    page.goto(f"/subscribe/{key}")
    expect(page.locator("#trial-terms")).to_contain_text("charged when the trial ends")
    _type_card(page, "4000002500003155")
    page.locator("#subscribe-button").click()
    confirm = page.get_by_role("button", name="Complete authentication")
    confirm.wait_for(timeout=30_000)
    confirm.click()
    page.wait_for_url(DETAIL_URL, timeout=30_000)
    with db() as session:
        sub = session.exec(
            select(Subscription).where(Subscription.client_id == account.client.id)
        ).one()
        assert sub.status == "trialing"
        cards = session.exec(
            select(PaymentMethod).where(PaymentMethod.client_id == account.client.id)
        ).all()
        assert [(c.last4, c.is_default) for c in cards] == [("3155", True)]


def test_a_refused_card_starts_no_trial(page: Page, make: Factory, db):
    account = make.account()
    key = _trial_plan(db, account.company.id, trial_days=14)
    sign_in(page, account)
    page.goto(f"/subscribe/{key}")
    _type_card(page, "4000000000000002")  # declined when saved
    page.locator("#subscribe-button").click()
    expect(page.get_by_role("alert").filter(has_text="declined")).to_be_visible(timeout=30_000)
    with db() as session:
        assert (
            session.exec(
                select(Subscription).where(Subscription.client_id == account.client.id)
            ).all()
            == []
        )


def test_a_trial_without_a_card_starts_at_once(page: Page, make: Factory, db):
    account = make.account()
    key = _trial_plan(db, account.company.id, trial_days=14, trial_without_card=True)
    sign_in(page, account)
    page.goto(f"/subscribe/{key}")
    expect(page.locator("#trial-terms")).to_contain_text("no card needed")
    expect(page.locator("#card-element")).to_have_count(0)
    page.locator("#subscribe-button").click()
    page.wait_for_url(DETAIL_URL, timeout=30_000)
    with db() as session:
        sub = session.exec(
            select(Subscription).where(Subscription.client_id == account.client.id)
        ).one()
        assert sub.status == "trialing"
        assert (
            session.exec(
                select(PaymentMethod).where(PaymentMethod.client_id == account.client.id)
            ).all()
            == []
        )
