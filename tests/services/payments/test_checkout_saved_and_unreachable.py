"""Checkout with a card saved first, and with Stripe unreachable."""

from sqlmodel import select

from portal_app.gateways.stripe_gateway import StripeGateway
from portal_app.models import Checkout, Payment
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from tests.conftest import _free_port
from tests.helpers.ledger import assert_invoices_balance, assert_payment_consistent


def test_card_saved_first_then_paid_by_its_id(make, session, tx, gateway, browser_card):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)
    with tx() as s:
        customer = co.customer_ref_for(s, actor=actor, gateway=gateway)
    method_ref = browser_card(customer)
    with tx() as s:
        saved = flow.store_card(
            s, actor=actor, card=gateway.card_details(method_ref), gateway_name="stripe"
        )
    assert saved.is_default
    options = co.saved_cards(session, actor=actor)
    assert [o.id for o in options] == [saved.id] and "4242" in options[0].label
    started = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[invoice.id], payment_method_id=saved.id),
    )
    outcome = flow.pay_with_card(
        tx,
        actor=actor,
        gateway=gateway,
        checkout_id=started.checkout_id,
        method_ref=co.method_ref_of(session, actor=actor, method_id=saved.id),
    )
    assert outcome.status == "succeeded"
    payment = session.get(Payment, outcome.payment_id)
    assert payment.method_label == "Visa •••• 4242"
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


def test_unreachable_stripe_charges_nothing_and_the_same_checkout_can_retry(
    make, session, tx, gateway, browser_card
):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)
    with tx() as s:
        customer = co.customer_ref_for(s, actor=actor, gateway=gateway)
    method_ref = browser_card(customer)
    down = StripeGateway(
        secret_key="sk_test_portal",
        publishable_key="pk_test_portal",
        webhook_secret="whsec_x",
        api_base=f"http://127.0.0.1:{_free_port()}",  # nothing listens here
        js_url="",
    )
    started = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=down, checkout_id=started.checkout_id, method_ref=method_ref
    )
    assert outcome.status == "failed" and "could not be reached" in outcome.message
    session.refresh(invoice)
    assert invoice.balance_minor == invoice.amount_minor
    assert session.exec(select(Payment).where(Payment.client_id == client.id)).all() == []
    # The checkout is open again. Its request may have reached Stripe with the answer lost, so
    # the page's retry reuses it, and so its idempotency key: a lost charge is never repeated.
    assert session.get(Checkout, started.checkout_id).status == "open"
    request = co.CheckoutRequest(invoice_ids=[invoice.id])
    reused = co.reusable_checkout(
        session, actor=actor, checkout_id=started.checkout_id, request=request
    )
    assert reused is not None and reused.checkout_id == started.checkout_id
    retry = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=method_ref
    )
    assert retry.status == "succeeded"
    assert_invoices_balance(session, [invoice.id])


def test_a_checkout_that_reached_stripe_is_reused_for_the_same_invoices(make, session):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)
    request = co.CheckoutRequest(invoice_ids=[invoice.id])
    started = co.start_checkout(session, actor=actor, request=request)
    # As if the PaymentIntent was created but the answer was lost: same checkout, same key.
    checkout = session.get(Checkout, started.checkout_id)
    checkout.gateway_intent_id = "pi_lost_answer"
    session.add(checkout)
    session.flush()
    assert (
        co.reusable_checkout(session, actor=actor, checkout_id=started.checkout_id, request=request)
        == started
    )
    other = co.CheckoutRequest(invoice_ids=[make.invoice(client).id])
    assert (
        co.reusable_checkout(session, actor=actor, checkout_id=started.checkout_id, request=other)
        is None
    )
    stranger = make.actor(make.contact(make.client(make.company())))
    assert (
        co.reusable_checkout(
            session, actor=stranger, checkout_id=started.checkout_id, request=request
        )
        is None
    )
