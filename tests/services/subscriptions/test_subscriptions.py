"""Subscriptions: sign-up through a payment link, list/detail, plan changes and cancellation,
against localstripe. Dates are fixed through the services' `today` argument."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import (
    Credit,
    Invoice,
    Payment,
    RecurringInvoice,
    RecurringInvoiceLine,
    Subscription,
)
from portal_app.services.subscriptions import cancel, changes, signup
from portal_app.services.subscriptions import subscriptions as subs
from tests.conftest import CARD_DECLINED_ON_CHARGE, CARD_OK
from tests.helpers.subscriptions import allow_change, link, plan, saved_card, tx_for

JAN1 = date(2026, 1, 1)


def _subscribed(make, session, gateway, browser_card, *, today=JAN1, card=CARD_OK, **plan_kw):
    """A client with a saved card, subscribed to Basic (paid for its first period)."""
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    basic = plan(session, company, name="Basic", **plan_kw)
    method_ref = saved_card(session, actor, gateway, browser_card, card)
    start = signup.subscribe(session, actor=actor, key=link(session, basic), today=today)
    outcome, _ = signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        method_ref=method_ref,
    )
    assert outcome.status == "succeeded"
    return company, client, actor, basic, session.get(Subscription, start.subscription_id)


# -- sign-up ------------------------------------------------------------------------------------


def test_subscribe_pays_the_first_period_and_makes_its_recurring_invoice(
    make, session, gateway, browser_card
):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    assert sub.status == "active"
    assert (sub.current_period_start, sub.current_period_end) == (JAN1, date(2026, 2, 1))
    recurring = session.get(RecurringInvoice, sub.recurring_invoice_id)
    assert (recurring.status, recurring.auto_bill, recurring.issued_count) == (
        "active",
        "always",
        1,
    )
    assert recurring.next_send_date == date(2026, 2, 1) and recurring.amount_minor == 10_00
    lines = session.exec(
        select(RecurringInvoiceLine).where(
            RecurringInvoiceLine.recurring_invoice_id == recurring.id
        )
    ).all()
    assert [(line.description, line.net_minor) for line in lines] == [("Basic", 10_00)]
    (invoice,) = session.exec(select(Invoice).where(Invoice.subscription_id == sub.id)).all()
    assert (invoice.status, invoice.amount_minor, invoice.balance_minor) == ("paid", 10_00, 0)
    rows = subs.list_subscriptions(session, actor=actor)
    assert [(r.plan_name, r.status_label, r.price) for r in rows] == [("Basic", "Active", "$10.00")]
    view = subs.subscription_view(session, actor=actor, subscription_id=sub.id)
    assert view.next_charge == "Feb 1, 2026" and view.current_period == "Jan 1, 2026 – Jan 31, 2026"
    assert [i.number for i in view.invoices] == [invoice.number] and view.can_cancel


def test_a_trial_starts_without_charging(make, session):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    pro = plan(session, company, name="Pro", trial_days=14, trial_without_card=True)
    start = signup.subscribe(session, actor=actor, key=link(session, pro), today=JAN1)
    assert start.trialing and start.invoice_id is None
    sub = session.get(Subscription, start.subscription_id)
    assert (sub.status, sub.trial_ends_on, sub.current_period_end) == (
        "trialing",
        date(2026, 1, 15),
        date(2026, 1, 15),
    )
    assert session.exec(select(Invoice).where(Invoice.subscription_id == sub.id)).all() == []
    view = subs.subscription_view(session, actor=actor, subscription_id=sub.id)
    assert (view.status_label, view.trial_ends, view.next_charge) == (
        "Trial",
        "Jan 15, 2026",
        "Jan 15, 2026",
    )


def test_a_declined_first_payment_can_be_retried_on_the_same_subscription(
    make, session, gateway, browser_card
):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    basic = plan(session, company)
    key = link(session, basic)
    bad = saved_card(session, actor, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    first = signup.subscribe(session, actor=actor, key=key, today=JAN1)
    outcome, _ = signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=first.subscription_id,
        method_ref=bad,
    )
    assert outcome.status == "failed"
    assert session.get(Subscription, first.subscription_id).status == "incomplete"
    # Not listed while unpaid.
    assert subs.list_subscriptions(session, actor=actor) == []
    again = signup.subscribe(session, actor=actor, key=key, today=JAN1)
    assert again == first
    good = saved_card(session, actor, gateway, browser_card, CARD_OK)
    outcome, _ = signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=first.subscription_id,
        method_ref=good,
    )
    assert outcome.status == "succeeded"
    assert session.get(Subscription, first.subscription_id).status == "active"
    with pytest.raises(ValidationError, match="already subscribe"):
        signup.subscribe(session, actor=actor, key=key, today=JAN1)


def test_links_that_are_not_usable_are_not_found(make, session):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    other_company_plan = plan(session, make.company())
    with pytest.raises(NotFoundError):
        signup.subscribe(session, actor=actor, key=link(session, other_company_plan), today=JAN1)
    for key in ("", "x" * 65, "no-such-key", None):
        with pytest.raises(NotFoundError):
            subs.plan_view(session, key=key)
    retired = plan(session, company, is_active=False)
    with pytest.raises(NotFoundError):
        subs.plan_view(session, key=link(session, retired))
    company.enabled_modules = "invoices,payments"
    session.add(company)
    live = plan(session, company)
    with pytest.raises(NotFoundError):
        subs.plan_view(session, key=link(session, live))


def test_preview_and_emailed_link_sessions_cannot_subscribe(make, session):
    company = make.company()
    contact = make.contact(make.client(company))
    key = link(session, plan(session, company))
    for kind in ("staff_preview", "link"):
        with pytest.raises(ReadOnlyError):
            signup.subscribe(session, actor=make.actor(contact, kind), key=key, today=JAN1)
    assert (
        session.exec(select(Subscription).where(Subscription.client_id == contact.client_id)).all()
        == []
    )


def test_another_clients_subscription_is_not_found(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    pro = plan(session, company, name="Pro", price_minor=30_00)
    allow_change(session, (basic, pro))
    stranger = make.actor(make.contact(make.client(company)))
    with pytest.raises(NotFoundError):
        subs.subscription_view(session, actor=stranger, subscription_id=sub.id)
    with pytest.raises(NotFoundError):
        changes.preview_change(
            session, actor=stranger, subscription_id=sub.id, target_plan_id=pro.id, today=JAN1
        )
    with pytest.raises(NotFoundError):
        cancel.cancel_subscription(
            tx_for(session),
            actor=stranger,
            gateway=gateway,
            subscription_id=sub.id,
            reason="",
            today=JAN1,
        )
    for raw in ("abc", "-1", "0", "1.5", ""):
        with pytest.raises(NotFoundError):
            subs.parse_subscription_id(raw)
    assert session.get(Subscription, sub.id).status == "active"


# -- plan changes -------------------------------------------------------------------------------


def _with_targets(session, company, basic, **pro_kw):
    pro = plan(session, company, name="Pro", price_minor=30_00, **pro_kw)
    allow_change(session, (basic, pro), (pro, basic))
    return pro


def test_mid_period_upgrade_charges_the_difference_now(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    pro = _with_targets(session, company, basic)
    today = date(2026, 1, 16)
    preview = changes.preview_change(
        session, actor=actor, subscription_id=sub.id, target_plan_id=pro.id, today=today
    )
    assert (preview.kind, preview.effective, preview.remaining_days, preview.period_days) == (
        "upgrade",
        "now",
        16,
        31,
    )
    assert (preview.credit, preview.charge, preview.net, preview.net_minor) == (
        "$5.16",
        "$15.48",
        "$10.32",
        1032,
    )
    assert "$10.32 is charged" in preview.summary
    outcome = changes.change_plan(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        target_plan_id=pro.id,
        expected_net_minor=1032,
        today=today,
    )
    assert outcome.status == "done"
    session.refresh(sub)
    assert sub.plan_id == pro.id
    invoice = session.get(Invoice, outcome.invoice_id)
    assert (invoice.status, invoice.amount_minor, invoice.subscription_id) == ("paid", 1032, sub.id)
    assert invoice.recurring_invoice_id is None
    assert session.get(RecurringInvoice, sub.recurring_invoice_id).amount_minor == 30_00
    payment = session.exec(
        select(Payment).where(Payment.client_id == client.id).order_by(Payment.id.desc())
    ).first()
    assert (payment.amount_minor, payment.status) == (1032, "completed")


def test_upgrade_with_a_declined_card_keeps_the_plan(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    pro = _with_targets(session, company, basic)
    saved_card(session, actor, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    from portal_app.models import PaymentMethod

    for method in session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)):
        method.is_default = method.last4 == "0341"
        session.add(method)
    session.flush()
    outcome = changes.change_plan(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        target_plan_id=pro.id,
        expected_net_minor=20_00,
        today=JAN1,
    )
    assert outcome.status == "failed" and "declined" in outcome.message.lower()
    session.refresh(sub)
    assert sub.plan_id == basic.id
    voided = session.exec(
        select(Invoice).where(Invoice.subscription_id == sub.id, Invoice.status == "cancelled")
    ).all()
    assert len(voided) == 1 and voided[0].balance_minor == 0


def test_downgrade_with_credit_now_leaves_a_credit_note(make, session, gateway, browser_card):
    company, client, actor, _basic, _ = (None, None, None, None, None)
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    pro = plan(session, company, name="Pro", price_minor=30_00, downgrade_mode="credit_now")
    basic = plan(session, company, name="Basic", price_minor=10_00)
    allow_change(session, (pro, basic))
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    start = signup.subscribe(session, actor=actor, key=link(session, pro), today=JAN1)
    signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        method_ref=method_ref,
    )
    today = date(2026, 1, 16)
    preview = changes.preview_change(
        session,
        actor=actor,
        subscription_id=start.subscription_id,
        target_plan_id=basic.id,
        today=today,
    )
    assert (preview.kind, preview.effective, preview.net_minor, preview.net) == (
        "downgrade",
        "now",
        -1032,
        "$10.32",
    )
    outcome = changes.change_plan(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        target_plan_id=basic.id,
        expected_net_minor=-1032,
        today=today,
    )
    credit = session.get(Credit, outcome.credit_id)
    assert (credit.status, credit.amount_minor, credit.balance_minor) == ("sent", 1032, 1032)
    assert session.get(Subscription, start.subscription_id).plan_id == basic.id


def test_downgrade_at_period_end_waits(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(
        make, session, gateway, browser_card, price_minor=50_00
    )
    cheaper = plan(session, company, name="Lite", price_minor=20_00)
    allow_change(session, (basic, cheaper))
    preview = changes.preview_change(
        session,
        actor=actor,
        subscription_id=sub.id,
        target_plan_id=cheaper.id,
        today=date(2026, 1, 31),
    )
    assert (preview.kind, preview.effective, preview.net_minor) == ("downgrade", "period_end", 0)
    assert "Feb 1, 2026" in preview.summary
    changes.change_plan(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        target_plan_id=cheaper.id,
        expected_net_minor=0,
        today=date(2026, 1, 31),
    )
    session.refresh(sub)
    assert (sub.plan_id, sub.pending_plan_id) == (basic.id, cheaper.id)
    view = subs.subscription_view(session, actor=actor, subscription_id=sub.id)
    assert view.pending_plan_name == "Lite" and view.next_charge_amount == "$20.00"
    assert not view.can_change


def test_changing_to_a_plan_not_allowed_is_refused(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    pro = _with_targets(session, company, basic)
    unlisted = plan(session, company, name="Enterprise", price_minor=99_00)
    foreign = plan(session, make.company(), name="Foreign")
    yen = plan(session, company, name="Yen", currency="JPY", price_minor=3000)
    yearly = plan(session, company, name="Yearly", frequency="yearly", price_minor=100_00)
    allow_change(session, (basic, yen), (basic, yearly), (basic, foreign))
    for target in (unlisted.id, foreign.id, yen.id, yearly.id, sub.plan_id, 0, "1", None, True):
        with pytest.raises(ValidationError, match="cannot change"):
            changes.preview_change(
                session, actor=actor, subscription_id=sub.id, target_plan_id=target, today=JAN1
            )
    # The preview's amount must match at confirmation.
    with pytest.raises(ValidationError, match="amounts changed"):
        changes.change_plan(
            tx_for(session),
            actor=actor,
            gateway=gateway,
            subscription_id=sub.id,
            target_plan_id=pro.id,
            expected_net_minor=1,
            today=JAN1,
        )
    basic.allow_plan_change = False
    session.add(basic)
    session.flush()
    with pytest.raises(ValidationError):
        changes.preview_change(
            session, actor=actor, subscription_id=sub.id, target_plan_id=pro.id, today=JAN1
        )
    assert session.get(Subscription, sub.id).plan_id == basic.id


def test_link_and_preview_sessions_cannot_change_or_cancel(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    pro = _with_targets(session, company, basic)
    contact_id = actor.contact_id
    from portal_app.models import ClientContact

    contact = session.get(ClientContact, contact_id)
    for kind in ("link", "staff_preview"):
        other = make.actor(contact, kind)
        with pytest.raises(ReadOnlyError):
            changes.change_plan(
                tx_for(session),
                actor=other,
                gateway=gateway,
                subscription_id=sub.id,
                target_plan_id=pro.id,
                expected_net_minor=20_00,
                today=JAN1,
            )
        with pytest.raises(ReadOnlyError):
            cancel.cancel_subscription(
                tx_for(session),
                actor=other,
                gateway=gateway,
                subscription_id=sub.id,
                reason="",
                today=JAN1,
            )
    session.refresh(sub)
    assert (sub.plan_id, sub.status, sub.cancel_requested_at) == (basic.id, "active", None)


def test_a_trial_changes_plan_without_charging(make, session, gateway):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    basic = plan(session, company, trial_days=30, trial_without_card=True)
    pro = _with_targets(session, company, basic)
    start = signup.subscribe(session, actor=actor, key=link(session, basic), today=JAN1)
    preview = changes.preview_change(
        session,
        actor=actor,
        subscription_id=start.subscription_id,
        target_plan_id=pro.id,
        today=JAN1,
    )
    assert preview.net_minor == 0 and "trial continues" in preview.summary
    outcome = changes.change_plan(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        target_plan_id=pro.id,
        expected_net_minor=0,
        today=JAN1,
    )
    assert outcome.status == "done"
    assert session.get(Subscription, start.subscription_id).plan_id == pro.id


# -- cancellation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("days_after", "refunded"), [(13, True), (14, True), (15, False)])
def test_refund_period_boundaries(make, session, gateway, browser_card, days_after, refunded):
    paid_on = date.today()
    company, client, actor, basic, sub = _subscribed(
        make, session, gateway, browser_card, today=paid_on, refund_period_days=14
    )
    when = paid_on + timedelta(days=days_after)
    outcome = cancel.cancel_subscription(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        reason="Too expensive",
        today=when,
    )
    session.refresh(sub)
    payment = session.exec(select(Payment).where(Payment.client_id == client.id)).one()
    (invoice,) = session.exec(select(Invoice).where(Invoice.subscription_id == sub.id)).all()
    assert sub.cancel_reason == "Too expensive"
    if refunded:
        assert outcome.kind == "refunded" and "$10.00 is refunded" in outcome.message
        assert (sub.status, sub.cancel_at) == ("cancelled", when)
        assert (payment.status, payment.refunded_minor) == ("refunded", 10_00)
        assert (invoice.status, invoice.balance_minor) == ("cancelled", 0)
        assert gateway.retrieve_payment(payment.gateway_reference).refunded_minor == 10_00
        assert session.get(RecurringInvoice, sub.recurring_invoice_id).status == "cancelled"
    else:
        assert outcome.kind == "at_period_end"
        assert (sub.status, sub.cancel_at) == ("active", sub.current_period_end)
        assert (payment.status, payment.refunded_minor) == ("completed", 0)
        assert subs.status_label(sub) == "Ending"


def test_no_refund_period_runs_to_the_end_and_cancelling_twice_is_refused(
    make, session, gateway, browser_card
):
    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    outcome = cancel.cancel_subscription(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        reason="",
        today=JAN1,
    )
    assert outcome.kind == "at_period_end" and "Feb 1, 2026" in outcome.message
    with pytest.raises(ValidationError, match="already"):
        cancel.cancel_subscription(
            tx_for(session),
            actor=actor,
            gateway=gateway,
            subscription_id=sub.id,
            reason="",
            today=JAN1,
        )
    view = subs.subscription_view(session, actor=actor, subscription_id=sub.id)
    assert (view.can_cancel, view.can_change, view.next_charge, view.cancel_at) == (
        False,
        False,
        "",
        "Feb 1, 2026",
    )


def test_request_mode_only_asks_staff(make, session, gateway, browser_card):
    company, client, actor, basic, sub = _subscribed(
        make, session, gateway, browser_card, refund_period_days=30
    )
    company.subscription_cancel_mode = "request"
    session.add(company)
    session.flush()
    outcome = cancel.cancel_subscription(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        reason="Moving",
        today=JAN1,
    )
    assert outcome.kind == "requested"
    session.refresh(sub)
    assert (sub.status, sub.cancel_at, sub.cancel_reason) == ("cancel_requested", None, "Moving")
    assert (
        session.exec(select(Payment).where(Payment.client_id == client.id)).one().refunded_minor
        == 0
    )
    with pytest.raises(ValidationError, match="already asked"):
        cancel.cancel_subscription(
            tx_for(session),
            actor=actor,
            gateway=gateway,
            subscription_id=sub.id,
            reason="",
            today=JAN1,
        )


def test_trial_cancels_now_and_a_plan_may_forbid_cancelling(make, session, gateway):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    trial = plan(session, company, trial_days=7, trial_without_card=True)
    start = signup.subscribe(session, actor=actor, key=link(session, trial), today=JAN1)
    outcome = cancel.cancel_subscription(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        reason="x" * 5000,
        today=JAN1,
    )
    sub = session.get(Subscription, start.subscription_id)
    assert outcome.kind == "cancelled" and sub.status == "cancelled"
    assert len(sub.cancel_reason) == 1000
    locked = plan(
        session,
        company,
        name="Locked",
        trial_days=7,
        trial_without_card=True,
        allow_cancellation=False,
    )
    other = signup.subscribe(session, actor=actor, key=link(session, locked), today=JAN1)
    with pytest.raises(ValidationError):
        cancel.cancel_subscription(
            tx_for(session),
            actor=actor,
            gateway=gateway,
            subscription_id=other.subscription_id,
            reason="",
            today=JAN1,
        )


def test_the_subscription_schedule_is_managed_on_the_subscriptions_tab_only(
    make, session, gateway, browser_card
):
    from portal_app.core import routes
    from portal_app.services.billing import recurring

    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    assert recurring.list_recurring(session, actor=actor, show="all").rows == []
    with pytest.raises(NotFoundError):
        recurring.recurring_view(session, actor=actor, recurring_id=sub.recurring_invoice_id)
    # Signing in from a payment link comes back to it; other places are still refused.
    assert routes.is_safe_next("/subscribe/northwind-pro")
    assert not routes.is_safe_next("//evil.example/subscribe/x")
    assert not routes.is_safe_next("https://evil.example/subscribe/x")


def test_the_last_card_cannot_be_removed_while_a_subscription_charges_it(
    make, session, gateway, browser_card
):
    from portal_app.models import PaymentMethod
    from portal_app.services.payments import payment_methods

    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    (method,) = session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id))
    with pytest.raises(ValidationError, match="Subscription Basic"):
        payment_methods.remove_method(
            tx_for(session), actor=actor, gateway=gateway, method_id=method.id
        )
    cancel.cancel_subscription(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        reason="",
        today=JAN1,
    )
    payment_methods.remove_method(
        tx_for(session), actor=actor, gateway=gateway, method_id=method.id
    )
    assert session.get(PaymentMethod, method.id).removed_at is not None


def test_an_upgrade_waiting_for_3d_secure_blocks_a_second_one_until_its_lock_lapses(
    make, session, gateway, browser_card
):
    from portal_app.models import InvoiceLock, PaymentMethod
    from tests.conftest import CARD_3DS

    company, client, actor, basic, sub = _subscribed(make, session, gateway, browser_card)
    pro = _with_targets(session, company, basic)
    saved_card(session, actor, gateway, browser_card, CARD_3DS)
    for method in session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)):
        method.is_default = method.last4 == "3155"
        session.add(method)
    session.flush()
    first = changes.change_plan(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        target_plan_id=pro.id,
        expected_net_minor=20_00,
        today=JAN1,
    )
    assert first.status == "requires_action" and first.client_secret
    with pytest.raises(ValidationError, match="already being paid"):
        changes.change_plan(
            tx_for(session),
            actor=actor,
            gateway=gateway,
            subscription_id=sub.id,
            target_plan_id=pro.id,
            expected_net_minor=20_00,
            today=JAN1,
        )
    # The window was closed: once the lock lapses the unpaid upgrade is voided and replaced.
    from datetime import UTC, datetime

    for lock in session.exec(select(InvoiceLock).where(InvoiceLock.invoice_id == first.invoice_id)):
        lock.expires_at = datetime(2000, 1, 1, tzinfo=UTC)
        session.add(lock)
    session.flush()
    again = changes.change_plan(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=sub.id,
        target_plan_id=pro.id,
        expected_net_minor=20_00,
        today=JAN1,
    )
    assert again.status == "requires_action" and again.invoice_id != first.invoice_id
    assert session.get(Invoice, first.invoice_id).status == "cancelled"
    assert session.get(Subscription, sub.id).plan_id == basic.id
