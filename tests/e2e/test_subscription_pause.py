"""A client pauses a subscription for two periods and resumes it early, in a real Chromium
(issue 22 item 7): the dialog says which renewal dates are not charged and when it resumes, the
page shows the pause, and "Resume now" keeps the next charge of the period already paid."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.core.locale import format_day
from portal_app.core.schedule import period_date
from portal_app.models import AuditEvent, RecurringInvoice, Subscription, SubscriptionPlan
from portal_app.models.statuses import RecurringStatus, SubscriptionStatus
from tests.e2e.conftest import Factory
from tests.e2e.test_portal import sign_in

pytestmark = pytest.mark.e2e


def _subscription(db, account) -> tuple[int, date]:
    """An active monthly subscription whose paid period started today (no card needed: nothing
    is charged while pausing and resuming inside it)."""
    today = date.today()
    end = period_date(today, "monthly", 1)
    with db() as session:
        plan = SubscriptionPlan(
            company_id=account.company.id,
            name="Basic",
            price_minor=10_00,
            currency="USD",
            allow_pause=True,
            max_pause_periods=2,
        )
        session.add(plan)
        session.flush()
        recurring = RecurringInvoice(
            company_id=account.company.id,
            client_id=account.client.id,
            number=f"R-{plan.id}",
            status=RecurringStatus.ACTIVE,
            frequency="monthly",
            currency="USD",
            start_date=today,
            next_send_date=end,
            issued_count=1,
            auto_bill="always",
            auto_bill_enabled=True,
        )
        session.add(recurring)
        session.flush()
        sub = Subscription(
            company_id=account.company.id,
            client_id=account.client.id,
            contact_id=account.contact.id,
            plan_id=plan.id,
            status=SubscriptionStatus.ACTIVE,
            current_period_start=today,
            current_period_end=end,
            recurring_invoice_id=recurring.id,
        )
        session.add(sub)
        session.flush()
        return sub.id, today


def test_pause_for_two_periods_then_resume_now(page: Page, make: Factory, db):
    account = make.account()
    sub_id, today = _subscription(db, account)
    first, second, back = (period_date(today, "monthly", n) for n in (1, 2, 3))
    day = lambda d: format_day(d, "en_US")  # noqa: E731

    sign_in(page, account, next_path=f"/client/subscriptions/{sub_id}")
    page.locator("#pause-subscription").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Pause subscription")).to_be_visible()
    expect(dialog.locator("#confirm-pause")).to_be_disabled()
    dialog.get_by_role("radio", name="2 periods").click()
    expect(dialog.locator("#pause-summary")).to_have_text(
        f"No charge on {day(first)} and {day(second)}; your subscription resumes on {day(back)}."
    )
    dialog.locator("#confirm-pause").click()
    expect(page.locator("#subscription-notice")).to_have_text(
        f"Your subscription is paused: no charge on {day(first)} and {day(second)}; "
        f"it resumes on {day(back)}."
    )
    expect(page.get_by_role("dialog")).to_have_count(0)
    summary = page.locator("#subscription-summary")
    expect(summary).to_contain_text("Paused until")
    expect(summary).to_contain_text(day(back))
    expect(page.locator("#pause-subscription")).to_have_count(0)
    with db() as session:
        sub = session.get(Subscription, sub_id)
        assert (sub.status, sub.pause_until) == ("paused", back)

    expect(page.locator("#resume-summary")).to_have_text(
        f"Resuming now keeps your next charge on {day(first)}."
    )
    page.locator("#resume-subscription").click()
    expect(page.locator("#subscription-notice")).to_have_text(
        f"Your subscription is active again; the next charge is on {day(first)}."
    )
    expect(page.locator("#resume-subscription")).to_have_count(0)
    expect(page.locator("#pause-subscription")).to_be_visible()
    with db() as session:
        sub = session.get(Subscription, sub_id)
        assert (sub.status, sub.pause_until, sub.current_period_end) == ("active", None, first)
        actions = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "subscription", AuditEvent.entity_id == sub_id)
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["subscription_paused", "subscription_resumed"]
