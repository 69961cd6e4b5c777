"""Staff approving and declining clients' cancellation requests (recurring invoices and
subscriptions in request mode), against localstripe for refunds."""

from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, Invoice, Payment, RecurringInvoice, Subscription
from portal_app.services.billing import recurring as recurring_service
from portal_app.services.identity.actor import StaffActor
from portal_app.services.subscriptions import cancel, signup
from portal_app.services.subscriptions import staff_cancellations as sc
from tests.conftest import CARD_OK
from tests.helpers.recurring import add_recurring
from tests.helpers.staff_docs import staff_actor
from tests.helpers.subscriptions import link, plan, saved_card, tx_for


def _requested_schedule(make, session, company=None, reason="Closing the shop", *, today):
    company = company or make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    schedule = add_recurring(session, client, number="R-1", start_date=today)
    recurring_service.request_cancellation(
        session, actor=actor, recurring_id=schedule.id, reason=reason
    )
    return company, client, schedule


def _requested_subscription(make, session, gateway, browser_card, *, today, **plan_kw):
    company = make.company(subscription_cancel_mode="request")
    client = make.client(company)
    actor = make.actor(make.contact(client))
    basic = plan(session, company, name="Basic", **plan_kw)
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    start = signup.subscribe(session, actor=actor, key=link(session, basic), today=today)
    signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        method_ref=method_ref,
    )
    outcome = cancel.cancel_subscription(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        reason="Moving",
        today=today,
    )
    assert outcome.kind == "requested"
    return company, client, session.get(Subscription, start.subscription_id)


def _actions(session, entity_id, action):
    return session.exec(
        select(AuditEvent).where(AuditEvent.entity_id == entity_id, AuditEvent.action == action)
    ).all()


def test_open_requests_lists_both_kinds_of_the_company_only(
    make, session, gateway, browser_card, today
):
    company, client, sub = _requested_subscription(
        make, session, gateway, browser_card, today=today
    )
    _, _, schedule = _requested_schedule(make, session, company=company, today=today)
    _requested_schedule(make, session, today=today)  # another company's
    staff = staff_actor(session, company)
    views = sc.open_requests(session, actor=staff)
    assert {(v.kind, v.record_id) for v in views} == {
        ("subscription", sub.id),
        ("recurring", schedule.id),
    }
    [mine] = sc.open_requests(session, actor=staff, client_id=client.id)
    assert (mine.kind, mine.reason, mine.amount, mine.title) == (
        "subscription",
        "Moving",
        "$10.00",
        "Subscription Basic",
    )
    assert mine.requested_on
    with pytest.raises(NotFoundError):
        sc.open_requests(session, actor=staff, client_id=schedule.client_id + 10_000)


def test_approving_a_recurring_request_cancels_the_schedule_once(make, session, gateway, today):
    company, client, schedule = _requested_schedule(make, session, today=today)
    staff = staff_actor(session, company)
    outcome = sc.approve_request(
        tx_for(session),
        actor=staff,
        gateway=gateway,
        kind="recurring",
        record_id=str(schedule.id),
        today=today,
    )
    assert outcome.kind == "cancelled"
    session.refresh(schedule)
    assert (schedule.status, schedule.next_send_date) == ("cancelled", None)
    assert _actions(session, schedule.id, "recurring_cancellation_approved")
    assert sc.open_requests(session, actor=staff) == []
    with pytest.raises(ValidationError, match="already handled"):
        sc.approve_request(
            tx_for(session),
            actor=staff,
            gateway=gateway,
            kind="recurring",
            record_id=schedule.id,
            today=today,
        )


def test_declining_a_recurring_request_clears_it_and_is_audited(make, session, today):
    company, client, schedule = _requested_schedule(make, session, today=today)
    staff = staff_actor(session, company, role="staff")
    outcome = sc.decline_request(
        session, actor=staff, kind="recurring", record_id=schedule.id, note="Contract", today=today
    )
    assert outcome.kind == "declined"
    session.refresh(schedule)
    assert (schedule.status, schedule.cancel_requested_at, schedule.cancel_reason) == (
        "active",
        None,
        "",
    )
    [event] = _actions(session, schedule.id, "recurring_cancellation_declined")
    assert "Closing the shop" in event.details and event.actor_type == "staff"
    with pytest.raises(ValidationError):
        sc.decline_request(
            session, actor=staff, kind="recurring", record_id=schedule.id, today=today
        )


def test_approving_a_subscription_inside_the_refund_period_refunds_and_ends_it(
    make, session, gateway, browser_card, today
):
    company, client, sub = _requested_subscription(
        make, session, gateway, browser_card, refund_period_days=14, today=today
    )
    staff = staff_actor(session, company, role="owner")
    outcome = sc.approve_request(
        tx_for(session),
        actor=staff,
        gateway=gateway,
        kind="subscription",
        record_id=sub.id,
        today=today + timedelta(days=3),
    )
    assert outcome.kind == "refunded" and "$10.00" in outcome.message
    session.refresh(sub)
    assert sub.status == "cancelled"
    payment = session.exec(select(Payment).where(Payment.client_id == client.id)).one()
    assert (payment.status, payment.refunded_minor) == ("refunded", 10_00)
    assert gateway.retrieve_payment(payment.gateway_reference).refunded_minor == 10_00
    (invoice,) = session.exec(select(Invoice).where(Invoice.subscription_id == sub.id)).all()
    assert invoice.status == "cancelled"
    assert session.get(RecurringInvoice, sub.recurring_invoice_id).status == "cancelled"
    assert _actions(session, sub.id, "subscription_cancellation_approved")


def test_approving_a_subscription_outside_the_refund_period_ends_it_at_period_end(
    make, session, gateway, browser_card, today
):
    company, client, sub = _requested_subscription(
        make, session, gateway, browser_card, refund_period_days=0, today=today
    )
    staff = staff_actor(session, company)
    outcome = sc.approve_request(
        tx_for(session),
        actor=staff,
        gateway=gateway,
        kind="subscription",
        record_id=sub.id,
        today=today,
    )
    assert outcome.kind == "at_period_end"
    session.refresh(sub)
    assert (sub.status, sub.cancel_at) == ("active", sub.current_period_end)
    payment = session.exec(select(Payment).where(Payment.client_id == client.id)).one()
    assert payment.refunded_minor == 0
    assert sc.open_requests(session, actor=staff) == []
    with pytest.raises(ValidationError, match="already handled"):
        sc.decline_request(session, actor=staff, kind="subscription", record_id=sub.id, today=today)


def test_declining_a_subscription_request_makes_it_active_again(
    make, session, gateway, browser_card, today
):
    company, client, sub = _requested_subscription(
        make, session, gateway, browser_card, today=today
    )
    staff = staff_actor(session, company)
    sc.decline_request(session, actor=staff, kind="subscription", record_id=sub.id, today=today)
    session.refresh(sub)
    assert (sub.status, sub.cancel_requested_at, sub.cancel_at) == ("active", None, None)
    assert _actions(session, sub.id, "subscription_cancellation_declined")


def test_another_company_bad_ids_and_non_staff_are_refused(
    make, session, gateway, browser_card, today
):
    company, client, schedule = _requested_schedule(make, session, today=today)
    outsider = staff_actor(session, make.company())
    for kind, record_id in [
        ("recurring", schedule.id),
        ("recurring", "abc"),
        ("recurring", -1),
        ("recurring", 2**40),
        ("invoice", schedule.id),
    ]:
        with pytest.raises(NotFoundError):
            sc.approve_request(
                tx_for(session),
                actor=outsider,
                gateway=gateway,
                kind=kind,
                record_id=record_id,
                today=today,
            )
        with pytest.raises(NotFoundError):
            sc.decline_request(session, actor=outsider, kind=kind, record_id=record_id, today=today)
    contact_actor = make.actor(make.contact(client))
    with pytest.raises(ReadOnlyError):
        sc.open_requests(session, actor=contact_actor)
    fake = StaffActor(company_id=company.id, staff_user_id=0, role="owner", session_id=0)
    with pytest.raises(ReadOnlyError):
        sc.decline_request(
            session, actor=fake, kind="recurring", record_id=schedule.id, today=today
        )
    session.refresh(schedule)
    assert schedule.cancel_requested_at is not None and schedule.status == "active"


def test_a_refund_the_gateway_refuses_leaves_the_request_open(
    make, session, gateway, browser_card, today
):
    from portal_app.gateways.base import GatewayError

    company, client, sub = _requested_subscription(
        make, session, gateway, browser_card, refund_period_days=14, today=today
    )

    class Down:
        def refund(self, **kw):
            raise GatewayError("Stripe is unreachable")

    staff = staff_actor(session, company)
    with pytest.raises(GatewayError):
        sc.approve_request(
            tx_for(session),
            actor=staff,
            gateway=Down(),
            kind="subscription",
            record_id=sub.id,
            today=today,
        )
    session.refresh(sub)
    assert (sub.status, sub.cancel_at) == ("cancel_requested", None)
    assert [v.record_id for v in sc.open_requests(session, actor=staff)] == [sub.id]
    payment = session.exec(select(Payment).where(Payment.client_id == client.id)).one()
    assert payment.refunded_minor == 0
    # Once the gateway answers, approving works and refunds once.
    outcome = sc.approve_request(
        tx_for(session),
        actor=staff,
        gateway=gateway,
        kind="subscription",
        record_id=sub.id,
        today=today,
    )
    assert outcome.kind == "refunded"
    session.refresh(payment)
    assert payment.refunded_minor == 10_00


def test_a_trialing_request_ends_now_without_charging(make, session, gateway, today):
    company = make.company(subscription_cancel_mode="request")
    client = make.client(company)
    actor = make.actor(make.contact(client))
    trial = plan(session, company, name="Trial", trial_days=14, trial_without_card=True)
    start = signup.subscribe(session, actor=actor, key=link(session, trial), today=today)
    sub = session.get(Subscription, start.subscription_id)
    assert sub.status == "trialing"
    cancel.cancel_subscription(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        reason="",
        today=today,
    )
    staff = staff_actor(session, company)
    outcome = sc.approve_request(
        tx_for(session),
        actor=staff,
        gateway=gateway,
        kind="subscription",
        record_id=sub.id,
        today=today + timedelta(days=1),
    )
    assert outcome.kind == "cancelled"
    session.refresh(sub)
    assert sub.status == "cancelled"
    assert session.exec(select(Payment).where(Payment.client_id == client.id)).all() == []
