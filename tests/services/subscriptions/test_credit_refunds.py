"""Credit farming through a subscription (money-integrity bug 3).

Subscribe to Pro ($79 charged), downgrade to Basic on the first day (the plan is in
`credit_now` mode: a $50 credit note), cancel inside the refund period. The refund of that
period and its plan-change credit must never both pay out the same money: the refund is the
payment less the credit already spent, and whatever is left of the credit is voided.
Driven through the services the pages use, against localstripe; the ledger checker runs
after every money step (with the gateway read-back).
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.core.errors import ValidationError
from portal_app.models import Client, Company, Credit, Invoice, Payment, Subscription
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments.staff_payments import refund_card_payment
from portal_app.services.subscriptions import cancel, changes, signup
from portal_app.services.subscriptions import staff_cancellations as sc
from tests.conftest import CARD_OK
from tests.helpers.ledger import assert_client_ledger
from tests.helpers.staff_docs import staff_actor
from tests.helpers.subscriptions import allow_change, link, plan, saved_card, tx_for


@dataclass
class Farm:
    company: Company
    client: Client
    actor: Actor
    method_ref: str
    sub: Subscription
    payment: Payment  # the $79 that paid Pro's first period
    credit: Credit  # the $50 plan-change credit


def _downgraded(
    make, session, gateway, browser_card, *, cancel_mode: str = "immediate", today
) -> Farm:
    """Pro paid by card today, then changed to Basic today: a $50.00 credit note."""
    company = make.company(subscription_cancel_mode=cancel_mode)
    client = make.client(company)
    actor = make.actor(make.contact(client))
    pro = plan(
        session,
        company,
        name="Pro",
        price_minor=79_00,
        downgrade_mode="credit_now",
        refund_period_days=14,
    )
    basic = plan(session, company, name="Basic", price_minor=29_00, refund_period_days=14)
    allow_change(session, (pro, basic))
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    start = signup.subscribe(session, actor=actor, key=link(session, pro), today=today)
    paid, _ = signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        method_ref=method_ref,
    )
    assert paid.status == "succeeded"
    assert_client_ledger(session, client, gateway)
    payment = session.exec(select(Payment).where(Payment.client_id == client.id)).one()
    assert payment.amount_minor == 79_00

    preview = changes.preview_change(
        session,
        actor=actor,
        subscription_id=start.subscription_id,
        target_plan_id=basic.id,
        today=today,
    )
    assert (preview.kind, preview.effective, preview.net_minor) == ("downgrade", "now", -50_00)
    changed = changes.change_plan(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        target_plan_id=basic.id,
        expected_net_minor=-50_00,
        today=today,
    )
    assert changed.status == "done" and changed.credit_id
    assert_client_ledger(session, client, gateway)
    sub = session.get(Subscription, start.subscription_id)
    credit = session.get(Credit, changed.credit_id)
    assert (credit.amount_minor, credit.balance_minor) == (50_00, 50_00)
    return Farm(company, client, actor, method_ref, sub, payment, credit)


def _spend_credit(make, session, gateway, farm: Farm, invoice_minor: int) -> Invoice:
    """Pay an ordinary invoice with the credit first (and the card for the rest), as the
    invoices page does."""
    invoice = make.invoice(farm.client, lines=[LineInput("Consulting", 1000, invoice_minor)])
    (card,) = [c for c in co.saved_cards(session, actor=farm.actor) if c.is_default]
    started = co.start_checkout(
        session,
        actor=farm.actor,
        request=co.CheckoutRequest(
            invoice_ids=[invoice.id], apply_credit=True, payment_method_id=card.id
        ),
    )
    assert started.credit_minor == min(invoice_minor, 50_00)
    if started.card_minor == 0:
        co.settle_with_credit_only(session, actor=farm.actor, checkout_id=started.checkout_id)
    else:
        outcome = flow.pay_with_card(
            tx_for(session),
            actor=farm.actor,
            gateway=gateway,
            checkout_id=started.checkout_id,
            method_ref=farm.method_ref,
        )
        assert outcome.status == "succeeded"
    session.refresh(invoice)
    assert invoice.status == "paid"
    assert_client_ledger(session, farm.client, gateway)
    return invoice


def _after(session, gateway, farm: Farm) -> tuple[Payment, Credit, int]:
    session.refresh(farm.payment)
    session.refresh(farm.credit)
    at_gateway = gateway.retrieve_payment(farm.payment.gateway_reference).refunded_minor
    return farm.payment, farm.credit, at_gateway


def _usable_credit(session, client: Client) -> int:
    return sum(
        c.balance_minor
        for c in session.exec(select(Credit).where(Credit.client_id == client.id)).all()
    )


def test_the_plan_change_credit_is_tied_to_the_subscription_and_the_payment_of_its_period(
    make, session, gateway, browser_card, today
):
    farm = _downgraded(make, session, gateway, browser_card, today=today)
    assert farm.credit.subscription_id == farm.sub.id
    assert farm.credit.origin_payment_id == farm.payment.id


# -- (a) the credit was not used ---------------------------------------------------------------


def test_cancelling_in_the_refund_period_refunds_the_payment_and_voids_the_unused_credit(
    make, session, gateway, browser_card, today
):
    farm = _downgraded(make, session, gateway, browser_card, today=today)
    outcome = cancel.cancel_subscription(
        tx_for(session),
        actor=farm.actor,
        gateway=gateway,
        subscription_id=farm.sub.id,
        reason="Changed my mind",
        today=today + timedelta(days=2),
    )
    assert_client_ledger(session, farm.client, gateway)
    payment, credit, at_gateway = _after(session, gateway, farm)
    assert (payment.status, payment.refunded_minor, at_gateway) == ("refunded", 79_00, 79_00)
    assert (credit.status, credit.balance_minor, credit.voided_minor) == ("cancelled", 0, 50_00)
    assert _usable_credit(session, farm.client) == 0
    assert outcome.kind == "refunded"
    assert "$79.00 is refunded to your card" in outcome.message
    assert "credit of $50.00 is cancelled" in outcome.message
    assert session.get(Subscription, farm.sub.id).status == "cancelled"


# -- (b) the credit was spent (partly or wholly) on an invoice first -----------------------------


@pytest.mark.parametrize(
    ("invoice_minor", "spent", "refund", "voided"),
    [
        (20_00, 20_00, 59_00, 30_00),  # partly spent: credit-only checkout
        (60_00, 50_00, 29_00, 0),  # wholly spent: $50 credit + $10 card
    ],
)
def test_credit_spent_before_cancelling_is_kept_out_of_the_refund(
    make, session, gateway, browser_card, invoice_minor, spent, refund, voided, today
):
    farm = _downgraded(make, session, gateway, browser_card, today=today)
    paid_with_credit = _spend_credit(make, session, gateway, farm, invoice_minor)
    outcome = cancel.cancel_subscription(
        tx_for(session),
        actor=farm.actor,
        gateway=gateway,
        subscription_id=farm.sub.id,
        reason="",
        today=today + timedelta(days=3),
    )
    assert_client_ledger(session, farm.client, gateway)
    payment, credit, at_gateway = _after(session, gateway, farm)
    assert (payment.status, payment.refunded_minor, at_gateway) == (
        "partly_refunded",
        refund,
        refund,
    )
    assert credit.amount_minor - credit.voided_minor == spent
    assert (credit.balance_minor, credit.voided_minor) == (0, voided)
    assert outcome.kind == "refunded"
    assert f"${refund / 100:.2f} is refunded to your card" in outcome.message
    if voided:
        assert f"credit of ${voided / 100:.2f} is cancelled" in outcome.message
    else:
        assert "credit of" not in outcome.message
    assert _usable_credit(session, farm.client) == 0
    # What the credit paid stays paid: the client keeps that, and not the refund of it too.
    session.refresh(paid_with_credit)
    assert paid_with_credit.status == "paid"
    # Net: the client paid $79 (+ the card part of the invoice) and got back $79 - spent.
    assert payment.amount_minor - payment.refunded_minor == spent


# -- (c) the staff side ------------------------------------------------------------------------


def test_staff_approving_a_cancellation_nets_the_spent_credit_and_voids_the_rest(
    make, session, gateway, browser_card, today
):
    farm = _downgraded(make, session, gateway, browser_card, cancel_mode="request", today=today)
    _spend_credit(make, session, gateway, farm, 20_00)
    asked = cancel.cancel_subscription(
        tx_for(session),
        actor=farm.actor,
        gateway=gateway,
        subscription_id=farm.sub.id,
        reason="Moving",
        today=today + timedelta(days=1),
    )
    assert asked.kind == "requested"
    staff = staff_actor(session, farm.company, role="owner")
    outcome = sc.approve_request(
        tx_for(session),
        actor=staff,
        gateway=gateway,
        kind="subscription",
        record_id=farm.sub.id,
        today=today + timedelta(days=3),
    )
    assert_client_ledger(session, farm.client, gateway)
    payment, credit, at_gateway = _after(session, gateway, farm)
    assert (payment.refunded_minor, at_gateway) == (59_00, 59_00)
    assert (credit.balance_minor, credit.voided_minor) == (0, 30_00)
    assert _usable_credit(session, farm.client) == 0
    assert outcome.kind == "refunded"
    assert "$59.00 is refunded" in outcome.message
    assert "credit of $30.00 is cancelled" in outcome.message


def test_a_staff_card_refund_is_capped_by_the_spent_credit_and_voids_the_rest(
    make, session, gateway, browser_card, today
):
    farm = _downgraded(make, session, gateway, browser_card, today=today)
    _spend_credit(make, session, gateway, farm, 20_00)
    owner = staff_actor(session, farm.company, role="owner")
    with pytest.raises(ValidationError, match="more than is left"):
        refund_card_payment(
            tx_for(session),
            actor=owner,
            gateway=gateway,
            payment_id=farm.payment.id,
            amount="79.00",
        )
    assert_client_ledger(session, farm.client, gateway)
    refund_card_payment(
        tx_for(session), actor=owner, gateway=gateway, payment_id=farm.payment.id, amount=""
    )
    assert_client_ledger(session, farm.client, gateway)
    payment, credit, at_gateway = _after(session, gateway, farm)
    assert (payment.refunded_minor, at_gateway) == (59_00, 59_00)
    assert (credit.balance_minor, credit.voided_minor) == (0, 30_00)
    assert _usable_credit(session, farm.client) == 0


def test_a_period_paid_together_with_another_invoice_still_voids_its_credit_on_cancelling(
    make, session, gateway, browser_card, today
):
    """The first period paid in one checkout with an ordinary invoice: after the period's
    refund the payment keeps refundable money (the other invoice's part), yet the credit of
    the refunded period is voided."""
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    pro = plan(
        session,
        company,
        name="Pro",
        price_minor=79_00,
        downgrade_mode="credit_now",
        refund_period_days=14,
    )
    basic = plan(session, company, name="Basic", price_minor=29_00, refund_period_days=14)
    allow_change(session, (pro, basic))
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    start = signup.subscribe(session, actor=actor, key=link(session, pro), today=today)
    other = make.invoice(client, lines=[LineInput("Setup", 1000, 21_00)])
    started = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[start.invoice_id, other.id]),
    )
    paid = flow.pay_with_card(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        checkout_id=started.checkout_id,
        method_ref=method_ref,
    )
    assert paid.status == "succeeded"
    assert signup.activate_if_paid(session, subscription_id=start.subscription_id)
    assert_client_ledger(session, client, gateway)
    changed = changes.change_plan(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        target_plan_id=basic.id,
        expected_net_minor=-50_00,
        today=today,
    )
    credit = session.get(Credit, changed.credit_id)
    assert credit.origin_payment_id == paid.payment_id
    outcome = cancel.cancel_subscription(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        reason="",
        today=today + timedelta(days=1),
    )
    assert_client_ledger(session, client, gateway)
    payment = session.get(Payment, paid.payment_id)
    session.refresh(payment)
    session.refresh(credit)
    assert outcome.kind == "refunded" and "$79.00 is refunded" in outcome.message
    assert payment.refunded_minor == 79_00
    assert gateway.retrieve_payment(payment.gateway_reference).refunded_minor == 79_00
    assert (credit.balance_minor, credit.voided_minor) == (0, 50_00)
    assert "credit of $50.00 is cancelled" in outcome.message
    # The refund came off the period's invoice, not the setup invoice paid alongside it.
    session.refresh(other)
    assert (other.status, other.balance_minor) == ("paid", 0)
