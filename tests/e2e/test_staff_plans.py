"""Staff subscription plans and payment links in a real Chromium: create a plan (a wrong price
first), create a link, and in a second browser context the link's /subscribe page shows the
plan; a disabled link no longer does. The subscriptions list and its cancel dialog."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import PaymentLink, Subscription, SubscriptionPlan
from tests.e2e.conftest import Factory
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_staff_documents import _staff, _staff_sign_in
from tests.helpers.subscriptions import plan

pytestmark = pytest.mark.e2e


def test_staff_create_a_plan_and_a_link_a_visitor_can_open(
    page: Page, new_context, make: Factory, db
):
    account = make.account()
    staff = _staff(db, account.company, role="admin")  # plans are for owners and admins
    _staff_sign_in(page, staff.email, "/staff/plans")
    expect(page.get_by_role("link", name="Plans").first).to_be_visible()
    expect(page.get_by_text("No plans")).to_be_visible()
    assert _violations(page) == []

    page.locator("#new-plan").click()
    page.wait_for_url("**/staff/plans/new")
    expect(page.locator("#save-plan")).to_be_visible()
    page.locator("#field-name").fill("Gold support")
    page.locator("#field-price").fill("-5")
    page.locator("#save-plan").click()
    expect(page.get_by_text("Enter a price such as 12.50.")).to_be_visible()
    with db() as session:
        assert (
            session.exec(
                select(SubscriptionPlan).where(SubscriptionPlan.company_id == account.company.id)
            ).all()
            == []
        )
    assert _violations(page) == []

    page.locator("#field-price").fill("49.90")
    page.get_by_role("combobox", name="Billed").click()
    page.get_by_role("option", name="Quarterly").click()
    page.locator("#field-trial-days").fill("7")
    page.locator("#save-plan").click()
    page.wait_for_url(re.compile(r"/staff/plans/?$"))
    row = page.get_by_role("row").filter(has_text="Gold support")
    expect(row).to_contain_text("$49.90")
    expect(row).to_contain_text("Quarterly")
    with db() as session:
        stored = session.exec(
            select(SubscriptionPlan).where(SubscriptionPlan.company_id == account.company.id)
        ).one()
        assert (stored.price_minor, stored.frequency, stored.trial_days) == (
            49_90,
            "three_months",
            7,
        )

    page.locator("#create-link").click()
    expect(page.locator("#plans-notice")).to_contain_text("Payment link created")
    with db() as session:
        link = session.exec(
            select(PaymentLink).where(PaymentLink.company_id == account.company.id)
        ).one()
        key = link.key
    expect(page.locator("#links-table")).to_contain_text(f"/subscribe/{key}")
    assert _violations(page) == []

    # A visitor, in a browser of its own, opens the link and sees the plan.
    visitor = new_context().new_page()
    visitor.goto(f"/subscribe/{key}")
    expect(visitor.get_by_role("heading", name="Gold support")).to_be_visible()
    expect(visitor.locator("#plan-price")).to_have_text("$49.90")

    # Disabled, the link no longer shows the plan.
    page.get_by_role("button", name="Disable link for Gold support").click()
    expect(page.locator("#plans-notice")).to_contain_text("Link disabled")
    visitor.reload()
    expect(visitor.get_by_text("Gold support")).to_have_count(0)


def test_subscriptions_list_cancel_dialog_pause_and_resume(page: Page, make: Factory, db):
    account = make.account()
    staff = _staff(db, account.company)
    page.goto("/staff/subscriptions")
    page.wait_for_url(re.compile(r"/staff/login"))
    with db() as session:
        trial = plan(session, account.company, name="Starter", trial_days=14)
        sub = Subscription(
            company_id=account.company.id,
            client_id=account.client.id,
            plan_id=trial.id,
            status="trialing",
            current_period_start=date.today(),
            current_period_end=date.today() + timedelta(days=14),
            trial_ends_on=date.today() + timedelta(days=14),
        )
        session.add(sub)
        pro = plan(session, account.company, name="Pro plan")
        live = Subscription(
            company_id=account.company.id,
            client_id=account.client.id,
            plan_id=pro.id,
            status="active",
            current_period_start=date.today(),
            current_period_end=date.today() + timedelta(days=30),
        )
        session.add(live)
        session.flush()
        sub_id, live_id = sub.id, live.id
    _staff_sign_in(page, staff.email, "/staff/subscriptions")
    row = page.get_by_role("row").filter(has_text="Starter")
    expect(row).to_contain_text("Trial")
    assert _violations(page) == []
    row.get_by_role("button", name=re.compile("Cancel")).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Cancel this subscription?")
    assert _violations(page) == []
    dialog.get_by_role("button", name="Cancel subscription").click()
    expect(page.locator("#subs-notice")).to_contain_text("cancelled")
    with db() as session:
        assert session.get(Subscription, sub_id).status == "cancelled"
    expect(page.get_by_role("row").filter(has_text="Starter")).to_contain_text("Cancelled")

    # Pause and resume: the job leaves a paused one alone (tests/services/...staff_subscriptions).
    pro_row = page.get_by_role("row").filter(has_text="Pro plan")
    pro_row.get_by_role("button", name=re.compile("^Pause")).click()
    expect(page.locator("#subs-notice")).to_contain_text("Paused")
    expect(pro_row).to_contain_text("Paused")
    with db() as session:
        assert session.get(Subscription, live_id).status == "paused"
    pro_row.get_by_role("button", name=re.compile("^Resume")).click()
    expect(page.locator("#subs-notice")).to_contain_text("Resumed")
    with db() as session:
        assert session.get(Subscription, live_id).status == "active"
