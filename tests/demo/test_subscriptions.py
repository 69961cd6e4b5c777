"""The demo's plans, payment links and Acme's subscription; seeding again after the portal was
used (a repeated pre-payment, a plan change) still replaces everything."""

import json
from datetime import date

from sqlmodel import select

from portal_app.demo import seed as demo
from portal_app.models import (
    Checkout,
    ClientContact,
    Payment,
    PaymentMethod,
    PrepaymentSchedule,
    SubscriptionPlan,
)
from portal_app.services.identity.actor import Actor
from portal_app.services.subscriptions import subscriptions as subs
from tests.helpers.ledger import assert_payment_consistent

TODAY = date(2026, 6, 15)


def _actor(session, email: str) -> Actor:
    contact = session.exec(select(ClientContact).where(ClientContact.email == email)).one()
    return Actor(contact.company_id, contact.client_id, contact.id, 0, "password")


def test_demo_plans_links_and_subscription(session):
    result = demo.seed_demo(session, today=TODAY)
    assert result.subscribe_link_path == "/subscribe/northwind-pro"
    plan = subs.plan_view(session, key="northwind-pro")
    assert (plan.name, plan.price, plan.frequency_label) == ("Pro", "$79.00", "Monthly")
    assert subs.plan_view(session, key="northwind-team").trial_days == 14
    acme = _actor(session, demo.CLIENT_EMAIL)
    (row,) = subs.list_subscriptions(session, actor=acme)
    assert (row.plan_name, row.status_label, row.next_charge) == ("Basic", "Active", "Jul 5, 2026")
    view = subs.subscription_view(session, actor=acme, subscription_id=row.id)
    assert [o.name for o in view.change_options] == ["Pro"] and view.can_cancel
    assert len(view.invoices) == 1 and view.invoices[0].status_label == "Paid"
    for payment in session.exec(select(Payment).where(Payment.company_id == result.company_id)):
        assert_payment_consistent(session, payment.id)
    assert subs.list_subscriptions(session, actor=_actor(session, demo.OTHER_EMAIL)) == []


def test_seeding_again_after_a_repeated_prepayment(session):
    demo.seed_demo(session, today=TODAY)
    acme = _actor(session, demo.CLIENT_EMAIL)
    method = PaymentMethod(
        company_id=acme.company_id,
        client_id=acme.client_id,
        customer_ref="cus_demo",
        method_ref="pm_demo_repeat",
        brand="visa",
        last4="4242",
        is_default=True,
    )
    session.add(method)
    session.flush()
    schedule = PrepaymentSchedule(
        company_id=acme.company_id,
        client_id=acme.client_id,
        contact_id=acme.contact_id,
        payment_method_id=method.id,
        amount_minor=20_00,
        currency="USD",
        start_date=TODAY,
    )
    session.add(schedule)
    session.flush()
    session.add(
        Checkout(
            company_id=acme.company_id,
            client_id=acme.client_id,
            contact_id=acme.contact_id,
            currency="USD",
            lines_json=json.dumps([]),
            card_minor=20_00,
        )
    )
    session.add(
        Payment(
            company_id=acme.company_id,
            client_id=acme.client_id,
            number="PAY-REPEAT",
            status="completed",
            currency="USD",
            amount_minor=20_00,
            prepayment_schedule_id=schedule.id,
        )
    )
    session.flush()
    schedule_id = schedule.id
    second = demo.seed_demo(session, today=TODAY)
    session.expunge_all()
    assert session.get(PrepaymentSchedule, schedule_id) is None
    assert session.exec(select(Payment).where(Payment.number == "PAY-REPEAT")).all() == []
    plans = session.exec(
        select(SubscriptionPlan).where(SubscriptionPlan.company_id == second.company_id)
    ).all()
    assert sorted(p.name for p in plans) == ["Basic", "Pro", "Team"]
