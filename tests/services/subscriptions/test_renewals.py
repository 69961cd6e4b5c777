"""Renewals job against localstripe: charge on the period's end, past due on a decline, retries
on the company's schedule, cancel after the last; every day run twice (idempotent)."""

from datetime import date, timedelta

from sqlmodel import select

from portal_app.jobs.runner import JobContext
from portal_app.jobs.subscriptions import renew_subscriptions
from portal_app.models import Invoice, Payment, PaymentMethod, RecurringInvoice, Subscription
from portal_app.services.subscriptions import changes, signup
from portal_app.services.subscriptions.renewals import retry_days, run_renewals
from tests.conftest import CARD_DECLINED_ON_CHARGE, CARD_OK
from tests.helpers.subscriptions import allow_change, link, plan, saved_card, tx_for

JAN1 = date(2026, 1, 1)
FEB1 = date(2026, 2, 1)


def _subscribed(make, session, gateway, browser_card, **plan_kw):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    basic = plan(session, company, name="Basic", **plan_kw)
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    start = signup.subscribe(session, actor=actor, key=link(session, basic), today=JAN1)
    signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        method_ref=method_ref,
    )
    return company, client, actor, basic, session.get(Subscription, start.subscription_id)


def _run_twice(session, gateway, today):
    first = run_renewals(tx_for(session), gateway, today)
    second = run_renewals(tx_for(session), gateway, today)
    return first, second


def _make_default(session, client, last4):
    for method in session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)):
        method.is_default = method.last4 == last4
        session.add(method)
    session.flush()


def _payments(session, client):
    return session.exec(
        select(Payment).where(Payment.client_id == client.id).order_by(Payment.id)
    ).all()


def test_renewal_on_the_period_end_charges_once(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    assert run_renewals(tx_for(session), gateway, date(2026, 1, 31)) == {}
    ctx = JobContext(tx=tx_for(session), today=FEB1, gateway=gateway)
    first, second = renew_subscriptions(ctx), renew_subscriptions(ctx)
    assert first == {"issued": 1, "paid": 1} and second == {}
    session.refresh(sub)
    assert (sub.status, sub.current_period_start, sub.current_period_end) == (
        "active",
        FEB1,
        date(2026, 3, 1),
    )
    invoices = session.exec(
        select(Invoice).where(Invoice.subscription_id == sub.id).order_by(Invoice.id)
    ).all()
    assert [(i.issue_date, i.status, i.amount_minor) for i in invoices] == [
        (JAN1, "paid", 10_00),
        (FEB1, "paid", 10_00),
    ]
    assert [p.amount_minor for p in _payments(session, client)] == [10_00, 10_00]
    assert session.get(RecurringInvoice, sub.recurring_invoice_id).next_send_date == date(
        2026, 3, 1
    )


def test_declines_retry_on_schedule_then_cancel(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    assert retry_days(company.renewal_retry_days) == [1, 3, 7]
    saved_card(session, actor, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    _make_default(session, client, "0341")

    first, second = _run_twice(session, gateway, FEB1)
    assert first == {"issued": 1, "declined": 1} and second == {}
    session.refresh(sub)
    assert (sub.status, sub.failed_attempts, sub.next_retry_on) == ("past_due", 1, date(2026, 2, 2))
    for day, attempts, retry_on in [
        (date(2026, 2, 2), 2, date(2026, 2, 4)),
        (date(2026, 2, 4), 3, date(2026, 2, 8)),
    ]:
        # Nothing happens the day before a retry.
        assert run_renewals(tx_for(session), gateway, day - timedelta(days=1)) == {}
        first, second = _run_twice(session, gateway, day)
        assert first == {"declined": 1} and second == {}
        session.refresh(sub)
        assert (sub.status, sub.failed_attempts, sub.next_retry_on) == (
            "past_due",
            attempts,
            retry_on,
        )
    first, second = _run_twice(session, gateway, date(2026, 2, 8))
    assert first == {"declined": 1, "cancelled_unpaid": 1} and second == {}
    session.refresh(sub)
    assert sub.status == "cancelled" and sub.failed_attempts == 4
    renewal = session.exec(
        select(Invoice).where(Invoice.subscription_id == sub.id, Invoice.issue_date == FEB1)
    ).one()
    assert (renewal.status, renewal.balance_minor) == ("cancelled", 0)
    assert [p.status for p in _payments(session, client)] == ["completed"] + ["failed"] * 4
    assert session.get(RecurringInvoice, sub.recurring_invoice_id).status == "cancelled"
    # A cancelled subscription is never charged again.
    assert run_renewals(tx_for(session), gateway, date(2026, 3, 1)) == {}


def test_a_retry_with_a_good_card_makes_it_active_again(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    saved_card(session, actor, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    _make_default(session, client, "0341")
    run_renewals(tx_for(session), gateway, FEB1)
    _make_default(session, client, "4242")
    first, second = _run_twice(session, gateway, date(2026, 2, 2))
    assert first == {"paid": 1} and second == {}
    session.refresh(sub)
    assert (sub.status, sub.failed_attempts, sub.next_retry_on) == ("active", 0, None)


def test_without_cancelling_after_retries_it_stays_past_due(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    company.renewal_retry_days = "2"
    company.cancel_after_failed_retries = False
    session.add(company)
    saved_card(session, actor, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    _make_default(session, client, "0341")
    run_renewals(tx_for(session), gateway, FEB1)
    run_renewals(tx_for(session), gateway, date(2026, 2, 3))
    session.refresh(sub)
    assert (sub.status, sub.failed_attempts, sub.next_retry_on) == ("past_due", 2, None)
    assert run_renewals(tx_for(session), gateway, date(2026, 2, 20)) == {}


def test_a_trial_without_a_card_ends_instead_of_going_past_due(make, session, gateway):
    # Issue 18 item 7: it used to issue an invoice nobody could be charged for (past due).
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    trial = plan(session, company, trial_days=14, trial_without_card=True)
    start = signup.subscribe(session, actor=actor, key=link(session, trial), today=JAN1)
    assert run_renewals(tx_for(session), gateway, date(2026, 1, 14)) == {}
    first, second = _run_twice(session, gateway, date(2026, 1, 15))
    assert first == {"trial_ended_no_card": 1} and second == {}
    sub = session.get(Subscription, start.subscription_id)
    assert sub.status == "cancelled"
    assert session.exec(select(Invoice).where(Invoice.subscription_id == sub.id)).all() == []


def test_a_scheduled_cancellation_and_a_pending_downgrade(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(
        make, session, gateway, browser_card, price_minor=50_00
    )
    lite = plan(session, company, name="Lite", price_minor=20_00)
    allow_change(session, (basic, lite))
    changes.change_plan(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        target_plan_id=lite.id,
        expected_net_minor=0,
        today=date(2026, 1, 20),
    )
    first, second = _run_twice(session, gateway, FEB1)
    assert first == {"downgraded": 1, "issued": 1, "paid": 1} and second == {}
    session.refresh(sub)
    assert (sub.plan_id, sub.pending_plan_id) == (lite.id, None)
    assert [p.amount_minor for p in _payments(session, client)] == [50_00, 20_00]

    sub.cancel_at = date(2026, 3, 1)
    sub.cancel_requested_at = sub.updated_at
    session.add(sub)
    session.flush()
    first, second = _run_twice(session, gateway, date(2026, 3, 1))
    assert first == {"ended": 1} and second == {}
    session.refresh(sub)
    assert sub.status == "cancelled"
    assert len(_payments(session, client)) == 2


def test_an_abandoned_sign_up_is_given_up_and_a_webhook_paid_one_activates(make, session, gateway):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    key = link(session, plan(session, company))
    start = signup.subscribe(session, actor=actor, key=key, today=date.today())
    assert run_renewals(tx_for(session), gateway, date.today()) == {}
    later = date.today() + timedelta(days=2)
    assert run_renewals(tx_for(session), gateway, later) == {"abandoned": 1}
    sub = session.get(Subscription, start.subscription_id)
    assert sub.status == "cancelled"
    assert session.get(Invoice, start.invoice_id).status == "cancelled"

    other = make.actor(make.contact(make.client(company)))
    paid = signup.subscribe(session, actor=other, key=key, today=date.today())
    invoice = session.get(Invoice, paid.invoice_id)
    invoice.status, invoice.balance_minor = "paid", 0  # as if a webhook settled it
    session.add(invoice)
    session.flush()
    assert run_renewals(tx_for(session), gateway, date.today()) == {"activated": 1}
    assert session.get(Subscription, paid.subscription_id).status == "active"


def test_the_recurring_invoice_job_leaves_subscription_schedules_to_renewals(
    make, session, gateway, browser_card
):
    from portal_app.jobs import runner
    from portal_app.jobs.recurring import due_schedules

    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    assert sub.recurring_invoice_id not in [d.id for d in due_schedules(session, date(2026, 3, 1))]
    names = runner.load_builtin_jobs()
    assert names.index("recurring_invoices") < names.index("subscription_renewals")
    assert "prepayment_schedules" in names


def test_a_cancellation_request_keeps_renewing_until_staff_act(
    make, session, gateway, browser_card
):
    from portal_app.services.subscriptions import cancel

    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    company.subscription_cancel_mode = "request"
    session.add(company)
    session.flush()
    cancel.cancel_subscription(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        reason="",
        today=JAN1,
    )
    first, second = _run_twice(session, gateway, FEB1)
    assert first == {"issued": 1, "paid": 1} and second == {}
    session.refresh(sub)
    assert (sub.status, sub.current_period_end) == ("cancel_requested", date(2026, 3, 1))
