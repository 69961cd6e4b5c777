"""Clients' subscriptions from the staff console: the list (past due first) and cancelling for
the client with the client side's rules and the refund choice, against localstripe."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, Invoice, Payment, RecurringInvoice, Subscription
from portal_app.services.subscriptions import signup
from portal_app.services.subscriptions import staff_subscriptions as ss
from portal_app.services.subscriptions.renewals import run_renewals
from tests.conftest import CARD_OK
from tests.helpers.ledger import assert_client_ledger
from tests.helpers.staff_docs import staff_actor
from tests.helpers.subscriptions import link, plan, saved_card, tx_for


def _subscribed(make, session, gateway, browser_card, company=None, *, today, **plan_kw):
    company = company or make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    basic = plan(session, company, name="Basic", **plan_kw)
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    start = signup.subscribe(session, actor=actor, key=link(session, basic), today=today)
    outcome, _ = signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        method_ref=method_ref,
    )
    assert outcome.status == "succeeded"
    return company, client, session.get(Subscription, start.subscription_id)


def _cancel(session, staff, gateway, sub, *, refund, today):
    return ss.cancel_subscription(
        tx_for(session),
        actor=staff,
        gateway=gateway,
        subscription_id=str(sub.id),
        refund=refund,
        reason="Asked by phone",
        today=today,
    )


def test_list_puts_past_due_first_and_offers_the_refund(
    make, session, gateway, browser_card, today
):
    company, client, paid = _subscribed(
        make, session, gateway, browser_card, refund_period_days=14, today=today
    )
    _, other_client, late = _subscribed(
        make, session, gateway, browser_card, company=company, today=today
    )
    late.status = "past_due"
    late.next_retry_on = today + timedelta(days=2)
    session.add(late)
    _subscribed(make, session, gateway, browser_card, today=today)  # another company's
    staff = staff_actor(session, company)
    result = ss.list_subscriptions(session, actor=staff, today=today)
    assert [r.id for r in result.rows] == [late.id, paid.id]
    first, second = result.rows
    assert (first.status_label, first.client_name) == ("Past due", other_client.name)
    assert first.next_renewal and first.refund_offer == ""
    assert (second.plan_name, second.refund_offer, second.can_cancel) == ("Basic", "$10.00", True)
    only = ss.list_subscriptions(session, actor=staff, status="active", today=today)
    assert [r.id for r in only.rows] == [paid.id]


def test_staff_cancel_with_refund_refunds_and_keeps_the_ledger(
    make, session, gateway, browser_card, today
):
    company, client, sub = _subscribed(
        make, session, gateway, browser_card, refund_period_days=14, today=today
    )
    # Refunds are for owners and admins: a staff role is refused and nothing changes.
    with pytest.raises(ReadOnlyError):
        _cancel(
            session,
            staff_actor(session, company, role="staff"),
            gateway,
            sub,
            refund=True,
            today=today,
        )
    session.refresh(sub)
    assert (sub.status, sub.cancel_at) == ("active", None)
    owner = staff_actor(session, company, role="owner")
    outcome = _cancel(session, owner, gateway, sub, refund=True, today=today + timedelta(days=3))
    assert outcome.kind == "refunded" and "$10.00" in outcome.message
    session.refresh(sub)
    assert sub.status == "cancelled"
    payment = session.exec(select(Payment).where(Payment.client_id == client.id)).one()
    assert (payment.status, payment.refunded_minor) == ("refunded", 10_00)
    assert gateway.retrieve_payment(payment.gateway_reference).refunded_minor == 10_00
    (invoice,) = session.exec(select(Invoice).where(Invoice.subscription_id == sub.id)).all()
    assert invoice.status == "cancelled"
    assert session.get(RecurringInvoice, sub.recurring_invoice_id).status == "cancelled"
    assert_client_ledger(session, client, gateway)
    [event] = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == sub.id, AuditEvent.action == "subscription_cancelled_by_staff"
        )
    ).all()
    assert event.actor_type == "staff"
    with pytest.raises(ValidationError):
        _cancel(session, owner, gateway, sub, refund=True, today=today)


def test_staff_cancel_without_refund_runs_to_period_end(
    make, session, gateway, browser_card, today
):
    company, client, sub = _subscribed(
        make, session, gateway, browser_card, refund_period_days=14, today=today
    )
    staff = staff_actor(session, company, role="staff")
    outcome = _cancel(session, staff, gateway, sub, refund=False, today=today)
    assert outcome.kind == "at_period_end"
    session.refresh(sub)
    assert (sub.status, sub.cancel_at) == ("active", sub.current_period_end)
    payment = session.exec(select(Payment).where(Payment.client_id == client.id)).one()
    assert payment.refunded_minor == 0
    assert_client_ledger(session, client, gateway)
    [row] = ss.list_subscriptions(session, actor=staff, today=today).rows
    assert (row.status_label, row.can_cancel, row.next_renewal) == ("Ending", False, "")
    with pytest.raises(ValidationError, match="already"):
        _cancel(session, staff, gateway, sub, refund=False, today=today)


def test_outside_the_refund_period_a_refund_is_not_given(
    make, session, gateway, browser_card, today
):
    company, client, sub = _subscribed(
        make, session, gateway, browser_card, refund_period_days=0, today=today
    )
    owner = staff_actor(session, company, role="owner")
    outcome = _cancel(session, owner, gateway, sub, refund=True, today=today)
    assert outcome.kind == "at_period_end"
    payment = session.exec(select(Payment).where(Payment.client_id == client.id)).one()
    assert payment.refunded_minor == 0
    assert_client_ledger(session, client, gateway)


def test_a_trial_ends_now(make, session, today):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    trial = plan(session, company, trial_days=14, trial_without_card=True)
    start = signup.subscribe(session, actor=actor, key=link(session, trial), today=today)
    staff = staff_actor(session, company)
    outcome = ss.cancel_subscription(
        tx_for(session),
        actor=staff,
        gateway=None,
        subscription_id=start.subscription_id,
        refund=True,
        today=today,
    )
    assert outcome.kind == "cancelled"
    assert session.get(Subscription, start.subscription_id).status == "cancelled"


def test_another_companys_subscription_is_not_found(make, session, gateway, browser_card, today):
    company, client, sub = _subscribed(make, session, gateway, browser_card, today=today)
    outsider = staff_actor(session, make.company(), role="owner")
    for raw in (sub.id, "abc", -1, 2**40):
        with pytest.raises(NotFoundError):
            _cancel(
                session, outsider, gateway, type("S", (), {"id": raw})(), refund=False, today=today
            )
    assert ss.list_subscriptions(session, actor=outsider).rows == []
    with pytest.raises(ReadOnlyError):
        ss.list_subscriptions(session, actor=make.actor(make.contact(client)))
    session.refresh(sub)
    assert (sub.status, sub.cancel_at) == ("active", None)


JAN1 = date(2026, 1, 1)
FEB1 = date(2026, 2, 1)


def _subscribed_on(make, session, gateway, browser_card, today):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    basic = plan(session, company, name="Basic")
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    start = signup.subscribe(session, actor=actor, key=link(session, basic), today=today)
    signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        method_ref=method_ref,
    )
    return company, client, session.get(Subscription, start.subscription_id)


def test_a_paused_subscription_is_not_renewed_and_resumes_skipping_paused_periods(
    make, session, gateway, browser_card
):
    company, client, sub = _subscribed_on(make, session, gateway, browser_card, JAN1)
    staff = staff_actor(session, company)
    ss.pause_subscription(session, actor=staff, subscription_id=str(sub.id))
    session.refresh(sub)
    assert sub.status == "paused"
    assert session.get(RecurringInvoice, sub.recurring_invoice_id).status == "paused"
    with pytest.raises(ValidationError):
        ss.pause_subscription(session, actor=staff, subscription_id=sub.id)
    # The job neither renews nor charges it, on the period's end or later.
    for day in (FEB1, date(2026, 3, 1), date(2026, 3, 15)):
        assert run_renewals(tx_for(session), gateway, day) == {}
    assert len(session.exec(select(Payment).where(Payment.client_id == client.id)).all()) == 1
    [row] = ss.list_subscriptions(session, actor=staff, today=FEB1).rows
    assert (row.status_label, row.can_resume, row.can_pause, row.next_renewal) == (
        "Paused",
        True,
        False,
        "",
    )
    # Resumed on Mar 15: February and the first half of March are skipped; Apr 1 renews.
    ss.resume_subscription(session, actor=staff, subscription_id=sub.id, today=date(2026, 3, 15))
    session.refresh(sub)
    assert (sub.status, sub.current_period_end) == ("active", date(2026, 4, 1))
    assert run_renewals(tx_for(session), gateway, date(2026, 3, 20)) == {}
    assert run_renewals(tx_for(session), gateway, date(2026, 4, 1)) == {"issued": 1, "paid": 1}
    session.refresh(sub)
    assert (sub.current_period_start, sub.current_period_end) == (
        date(2026, 4, 1),
        date(2026, 5, 1),
    )
    invoices = session.exec(
        select(Invoice).where(Invoice.subscription_id == sub.id).order_by(Invoice.id)
    ).all()
    assert [(i.issue_date, i.status) for i in invoices] == [
        (JAN1, "paid"),
        (date(2026, 4, 1), "paid"),
    ]
    assert_client_ledger(session, client, gateway)
    with pytest.raises(ValidationError):
        ss.resume_subscription(session, actor=staff, subscription_id=sub.id)
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity_id == sub.id)).all()
    assert {"subscription_paused", "subscription_resumed"} <= set(actions)


def test_pause_is_refused_for_a_trial_and_another_company(
    make, session, gateway, browser_card, today
):
    company, client, sub = _subscribed_on(make, session, gateway, browser_card, today)
    with pytest.raises(NotFoundError):
        ss.pause_subscription(
            session, actor=staff_actor(session, make.company()), subscription_id=sub.id
        )
    trial = plan(session, company, name="Trial", trial_days=7, trial_without_card=True)
    actor = make.actor(make.contact(make.client(company)))
    start = signup.subscribe(session, actor=actor, key=link(session, trial), today=today)
    with pytest.raises(ValidationError):
        ss.pause_subscription(
            session, actor=staff_actor(session, company), subscription_id=start.subscription_id
        )
    # A paused subscription cancelled by staff ends now (resume it first to refund).
    staff = staff_actor(session, company)
    ss.pause_subscription(session, actor=staff, subscription_id=sub.id)
    outcome = _cancel(session, staff, gateway, sub, refund=True, today=today)
    assert outcome.kind == "cancelled"
    session.refresh(sub)
    assert sub.status == "cancelled"
    assert_client_ledger(session, client, gateway)
