"""Clients pause and resume their subscriptions (issue 22 item 7): the plan's rules, wrong
input and wrong sessions refused, and the renewals job over simulated days against localstripe
(nothing charged while paused, renewed and charged once on the resume date or on an early
resume)."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, Invoice, Payment, RecurringInvoice, Subscription
from portal_app.services.subscriptions import pausing, signup
from portal_app.services.subscriptions import staff_subscriptions as ss
from portal_app.services.subscriptions import subscriptions as subs
from portal_app.services.subscriptions.renewals import run_renewals
from tests.conftest import CARD_OK
from tests.helpers.ledger import assert_client_ledger
from tests.helpers.staff_docs import staff_actor
from tests.helpers.subscriptions import link, plan, saved_card, tx_for

FEB3 = date(2026, 2, 3)
FEB10 = date(2026, 2, 10)
MAR3 = date(2026, 3, 3)
APR3 = date(2026, 4, 3)
MAY3 = date(2026, 5, 3)
JUN3 = date(2026, 6, 3)


def _subscribed(make, session, gateway, browser_card, *, allow_pause=True, max_periods=3):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    basic = plan(
        session, company, name="Basic", allow_pause=allow_pause, max_pause_periods=max_periods
    )
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    start = signup.subscribe(session, actor=actor, key=link(session, basic), today=FEB3)
    signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        method_ref=method_ref,
    )
    return company, client, actor, session.get(Subscription, start.subscription_id)


def _pause(session, actor, sub, periods, today=FEB10):
    return pausing.pause_subscription(
        session, actor=actor, subscription_id=sub.id, periods=periods, today=today
    )


def _charges(session, client):
    return session.exec(
        select(Payment.amount_minor).where(Payment.client_id == client.id).order_by(Payment.id)
    ).all()


def _invoices(session, sub):
    return [
        (i.issue_date, i.status)
        for i in session.exec(
            select(Invoice).where(Invoice.subscription_id == sub.id).order_by(Invoice.id)
        ).all()
    ]


def _actions(session, sub):
    return session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "subscription", AuditEvent.entity_id == sub.id)
        .order_by(AuditEvent.id)
    ).all()


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def test_the_page_offers_the_pauses_the_plan_allows_in_words(make, session, gateway, browser_card):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card, max_periods=2)
    view = subs.subscription_view(session, actor=actor, subscription_id=sub.id, today=FEB10)
    assert [(o.periods, o.label) for o in view.pause_options] == [(1, "1 period"), (2, "2 periods")]
    assert view.pause_options[1].summary == (
        "No charge on Mar 3, 2026 and Apr 3, 2026; your subscription resumes on May 3, 2026."
    )
    assert (view.can_resume, view.paused_until, view.resume_summary) == (False, "", "")


def test_pause_then_the_job_skips_the_paused_periods_and_resumes_on_the_date(
    make, session, gateway, browser_card
):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card)
    outcome = _pause(session, actor, sub, "2")
    assert outcome.message == (
        "Your subscription is paused: no charge on Mar 3, 2026 and Apr 3, 2026; "
        "it resumes on May 3, 2026."
    )
    session.refresh(sub)
    assert (sub.status, sub.pause_until) == ("paused", MAY3)
    assert session.get(RecurringInvoice, sub.recurring_invoice_id).status == "paused"
    view = subs.subscription_view(session, actor=actor, subscription_id=sub.id, today=FEB10)
    assert (view.status_label, view.paused_until, view.next_charge, view.can_resume) == (
        "Paused",
        "May 3, 2026",
        "May 3, 2026",
        True,
    )
    assert view.pause_options == []
    # Every day until the resume date: nothing renewed, nothing charged.
    for day in _days(FEB10, MAY3 - timedelta(days=1)):
        assert run_renewals(tx_for(session), gateway, day) == {}, day
    assert _charges(session, client) == [10_00]
    # On the resume date: active again, renewed and charged once; a second run does nothing.
    assert run_renewals(tx_for(session), gateway, MAY3) == {"resumed": 1, "issued": 1, "paid": 1}
    assert run_renewals(tx_for(session), gateway, MAY3) == {}
    session.refresh(sub)
    assert (sub.status, sub.pause_until) == ("active", None)
    assert (sub.current_period_start, sub.current_period_end) == (MAY3, JUN3)
    assert _invoices(session, sub) == [(FEB3, "paid"), (MAY3, "paid")]
    assert _charges(session, client) == [10_00, 10_00]
    # The renewal dates moved on by the paused periods: the next one is Jun 3.
    for day in _days(MAY3 + timedelta(days=1), JUN3 - timedelta(days=1)):
        assert run_renewals(tx_for(session), gateway, day) == {}, day
    assert run_renewals(tx_for(session), gateway, JUN3) == {"issued": 1, "paid": 1}
    assert _charges(session, client) == [10_00] * 3
    assert_client_ledger(session, client, gateway)
    actions = _actions(session, sub)
    assert [a for a in actions if a != "subscription_renewed"][-2:] == [
        "subscription_paused",
        "subscription_resumed",
    ]
    assert actions[-3:] == ["subscription_resumed", "subscription_renewed", "subscription_renewed"]


def test_resume_inside_the_paid_period_keeps_the_next_charge(make, session, gateway, browser_card):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card)
    _pause(session, actor, sub, "2")
    day = date(2026, 2, 20)
    view = subs.subscription_view(session, actor=actor, subscription_id=sub.id, today=day)
    assert view.resume_summary == "Resuming now keeps your next charge on Mar 3, 2026."
    outcome = pausing.resume_subscription(session, actor=actor, subscription_id=sub.id, today=day)
    assert (
        outcome.message == "Your subscription is active again; the next charge is on Mar 3, 2026."
    )
    session.refresh(sub)
    assert (sub.status, sub.pause_until, sub.current_period_end) == ("active", None, MAR3)
    # A second click: refused, nothing changed.
    with pytest.raises(ValidationError) as refused:
        pausing.resume_subscription(session, actor=actor, subscription_id=sub.id, today=day)
    assert refused.value.field == "resume"
    for day in _days(date(2026, 2, 21), MAR3 - timedelta(days=1)):
        assert run_renewals(tx_for(session), gateway, day) == {}
    assert run_renewals(tx_for(session), gateway, MAR3) == {"issued": 1, "paid": 1}
    assert _invoices(session, sub) == [(FEB3, "paid"), (MAR3, "paid")]
    assert _actions(session, sub).count("subscription_resumed") == 1


def test_resume_after_a_paused_renewal_date_bills_that_period_once(
    make, session, gateway, browser_card
):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card)
    _pause(session, actor, sub, "3")
    for day in _days(FEB10, date(2026, 3, 10)):
        assert run_renewals(tx_for(session), gateway, day) == {}
    resumed_on = date(2026, 3, 10)
    view = subs.subscription_view(session, actor=actor, subscription_id=sub.id, today=resumed_on)
    assert view.resume_summary == (
        "Resuming now charges $10.00 for the period that began on Mar 3, 2026."
    )
    pausing.resume_subscription(session, actor=actor, subscription_id=sub.id, today=resumed_on)
    # The period under way (from Mar 3) is billed, not given away; later dates stay the same.
    assert run_renewals(tx_for(session), gateway, resumed_on) == {"issued": 1, "paid": 1}
    assert run_renewals(tx_for(session), gateway, resumed_on) == {}
    for day in _days(resumed_on + timedelta(days=1), MAY3):
        run_renewals(tx_for(session), gateway, day)
    # Charged on Mar 10 (period from Mar 3), Apr 3 and May 3, the pause's old end: once each.
    assert _invoices(session, sub) == [
        (FEB3, "paid"),
        (MAR3, "paid"),
        (APR3, "paid"),
        (MAY3, "paid"),
    ]
    assert _charges(session, client) == [10_00] * 4
    assert_client_ledger(session, client, gateway)


def test_the_plan_must_allow_pausing(make, session, gateway, browser_card):
    company, client, actor, sub = _subscribed(
        make, session, gateway, browser_card, allow_pause=False
    )
    with pytest.raises(ValidationError) as refused:
        _pause(session, actor, sub, "1")
    assert refused.value.field == "pause"
    assert subs.subscription_view(session, actor=actor, subscription_id=sub.id).pause_options == []
    session.refresh(sub)
    assert (sub.status, sub.pause_until) == ("active", None)


@pytest.mark.parametrize("periods", ["4", "0", "-1", "", "two", "1.5", None, "99999999999"])
def test_a_wrong_number_of_periods_is_refused_at_its_field(
    make, session, gateway, browser_card, periods
):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card, max_periods=3)
    with pytest.raises(ValidationError) as refused:
        _pause(session, actor, sub, periods)
    assert refused.value.field == "periods"
    assert refused.value.message == "Choose a number of periods from 1 to 3."
    session.refresh(sub)
    assert (sub.status, sub.pause_until) == ("active", None)
    assert "subscription_paused" not in _actions(session, sub)


def test_another_clients_subscription_is_not_found(make, session, gateway, browser_card):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card)
    other = make.actor(make.contact(make.client(company)))
    with pytest.raises(NotFoundError):
        _pause(session, other, sub, "1")
    _pause(session, actor, sub, "1")
    with pytest.raises(NotFoundError):
        pausing.resume_subscription(session, actor=other, subscription_id=sub.id, today=FEB10)
    with pytest.raises(NotFoundError):
        _pause(session, actor, type("Row", (), {"id": "1 OR 1=1"})(), "1")
    session.refresh(sub)
    assert sub.status == "paused"


def test_pausing_twice_makes_one_pause(make, session, gateway, browser_card):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card)
    _pause(session, actor, sub, "1")
    with pytest.raises(ValidationError) as refused:
        _pause(session, actor, sub, "3")
    assert refused.value.message == "This subscription is already paused."
    session.refresh(sub)
    assert sub.pause_until == MAR3 + (APR3 - MAR3)  # one period: resumes Apr 3
    assert _actions(session, sub).count("subscription_paused") == 1


@pytest.mark.parametrize("status", ["cancelled", "past_due", "cancel_requested"])
def test_a_cancelled_or_past_due_subscription_cannot_be_paused(
    make, session, gateway, browser_card, status
):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card)
    sub.status = status
    session.add(sub)
    session.flush()
    assert subs.subscription_view(session, actor=actor, subscription_id=sub.id).pause_options == []
    with pytest.raises(ValidationError) as refused:
        _pause(session, actor, sub, "1")
    assert refused.value.field == "pause"
    session.refresh(sub)
    assert (sub.status, sub.pause_until) == (status, None)


def test_an_ending_subscription_cannot_be_paused(make, session, gateway, browser_card):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card)
    sub.cancel_at = MAR3
    session.add(sub)
    session.flush()
    with pytest.raises(ValidationError):
        _pause(session, actor, sub, "1")


def test_previews_and_emailed_link_sessions_cannot_pause_or_resume(
    make, session, gateway, browser_card
):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card)
    contact_id = actor.contact_id
    contact = session.get(type(make.contact(client)), contact_id)
    link_actor = make.actor(contact, kind="link")
    with pytest.raises(ReadOnlyError):
        _pause(session, link_actor, sub, "1")
    _pause(session, actor, sub, "1")
    with pytest.raises(ReadOnlyError):
        pausing.resume_subscription(session, actor=link_actor, subscription_id=sub.id, today=FEB10)


def test_a_staff_pause_is_resumed_by_staff_and_staff_may_end_a_clients_pause(
    make, session, gateway, browser_card
):
    company, client, actor, sub = _subscribed(make, session, gateway, browser_card)
    staff = staff_actor(session, company)
    ss.pause_subscription(session, actor=staff, subscription_id=sub.id)
    view = subs.subscription_view(session, actor=actor, subscription_id=sub.id, today=FEB10)
    assert (view.status_label, view.can_resume, view.paused_until, view.next_charge) == (
        "Paused",
        False,
        "",
        "",
    )
    with pytest.raises(ValidationError):
        pausing.resume_subscription(session, actor=actor, subscription_id=sub.id, today=FEB10)
    # A staff pause has no end: the job never resumes it.
    assert run_renewals(tx_for(session), gateway, JUN3) == {}
    ss.resume_subscription(session, actor=staff, subscription_id=sub.id, today=FEB10)
    _pause(session, actor, sub, "2")
    ss.resume_subscription(session, actor=staff, subscription_id=sub.id, today=date(2026, 2, 11))
    session.refresh(sub)
    assert (sub.status, sub.pause_until, sub.current_period_end) == ("active", None, MAR3)
