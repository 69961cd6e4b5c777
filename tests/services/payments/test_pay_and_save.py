"""A new card paid and kept in one confirmation (issue 18 item 3), against localstripe.

localstripe cannot do it (it refuses setup_future_usage), so the portal keeps the two steps
there; `StripeLikeGateway` adds what real Stripe does and the one-step flow runs on it.
"""

import httpx
import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError
from portal_app.gateways.base import GatewayError
from portal_app.gateways.stripe_gateway import StripeGateway
from portal_app.models import Checkout, Payment, PaymentMethod
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from tests.conftest import CARD_3DS, CARD_DECLINED_ON_CHARGE, CARD_OK, _free_port
from tests.helpers.ledger import assert_ledger_holds
from tests.helpers.stripe_like import StripeLikeGateway


@pytest.fixture(scope="module")
def stripe_like(localstripe_url):
    return StripeLikeGateway(localstripe_url)


@pytest.fixture
def payer(make):
    company = make.company()
    client = make.client(company)
    return client, make.actor(make.contact(client))


def _browser_method(browser_card, number: str) -> str:
    """What Stripe.js's createPaymentMethod gives the page: a card on no customer yet."""
    method = browser_card.client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
        }
    )
    return method.id


def _start(session, actor, invoice) -> int:
    request = co.CheckoutRequest(invoice_ids=[invoice.id], save_card=True)
    return co.start_checkout(session, actor=actor, request=request).checkout_id


def _saved(session, client) -> list[PaymentMethod]:
    return session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)).all()


def _pay_and_save(tx, actor, gateway, checkout_id, method_ref):
    checked = flow.card_for_payment(
        tx, actor=actor, gateway=gateway, method_ref=method_ref, save=True
    )
    return flow.pay_with_card(
        tx,
        actor=actor,
        gateway=gateway,
        checkout_id=checkout_id,
        method_ref=checked,
        save_for_later=True,
    )


def test_localstripe_refuses_setup_future_usage_so_the_portal_keeps_two_steps(
    make, session, tx, gateway, browser_card, payer
):
    # What was found: the default gateway on localstripe says it cannot, and localstripe
    # really refuses the parameter.
    assert gateway.pays_and_saves_in_one_step is False
    real_stripe = StripeGateway(
        secret_key="sk_test_x",
        publishable_key="pk_test_x",
        webhook_secret="whsec_x",
        api_base=None,
        js_url="",
    )
    assert real_stripe.pays_and_saves_in_one_step is True
    _client, actor = payer
    with tx() as s:
        customer = co.customer_ref_for(s, actor=actor, gateway=gateway)
    with pytest.raises(GatewayError):
        gateway.create_payment(
            amount_minor=100,
            currency="USD",
            customer_ref=customer,
            method_ref=_browser_method(browser_card, CARD_OK),
            idempotency_key="sfu-probe",
            metadata={},
            save_for_later=True,
        )


def test_3ds_card_pays_and_is_saved_in_one_confirmation(
    make, session, tx, stripe_like, browser_card, localstripe_url, payer
):
    client, actor = payer
    invoice = make.invoice(client)
    checkout_id = _start(session, actor, invoice)
    outcome = _pay_and_save(
        tx, actor, stripe_like, checkout_id, _browser_method(browser_card, CARD_3DS)
    )
    assert outcome.status == "requires_action"
    assert _saved(session, client) == []  # nothing kept before the bank's answer
    # The one confirmation: what Stripe.js does when the client completes 3-D Secure.
    intent_ref = outcome.client_secret.split("_secret_")[0]
    answer = httpx.post(
        f"{localstripe_url}/v1/payment_intents/{intent_ref}/_authenticate",
        params={"success": "true"},
        json={"key": "pk_test_portal", "client_secret": outcome.client_secret},
    )
    assert answer.status_code == 200
    after = flow.confirm_after_action(tx, actor=actor, gateway=stripe_like, checkout_id=checkout_id)
    assert after.status == "succeeded"
    method_id = flow.keep_paid_card(tx, actor=actor, gateway=stripe_like, checkout_id=checkout_id)
    # A second call (double click, reload) keeps the same single card.
    assert (
        flow.keep_paid_card(tx, actor=actor, gateway=stripe_like, checkout_id=checkout_id)
        == method_id
    )
    saved = _saved(session, client)
    assert [m.id for m in saved] == [method_id]
    assert saved[0].last4 == "3155" and saved[0].is_default
    intent = stripe_like.retrieve_payment(intent_ref)
    assert saved[0].method_ref == intent.method_ref  # what the gateway says paid, nothing else
    session.refresh(invoice)
    assert invoice.status == "paid" and invoice.balance_minor == 0
    assert_ledger_holds(
        session, company_id=client.company_id, client_id=client.id, gateway=stripe_like
    )


def test_a_card_without_3ds_pays_and_is_saved_at_once(
    make, session, tx, stripe_like, browser_card, payer
):
    client, actor = payer
    invoice = make.invoice(client)
    checkout_id = _start(session, actor, invoice)
    outcome = _pay_and_save(
        tx, actor, stripe_like, checkout_id, _browser_method(browser_card, CARD_OK)
    )
    assert outcome.status == "succeeded"
    # A double click on Pay charges once.
    again = _pay_and_save(
        tx, actor, stripe_like, checkout_id, _browser_method(browser_card, CARD_OK)
    )
    assert again.payment_id == outcome.payment_id
    flow.keep_paid_card(tx, actor=actor, gateway=stripe_like, checkout_id=checkout_id)
    assert [m.last4 for m in _saved(session, client)] == ["4242"]
    assert len(session.exec(select(Payment).where(Payment.client_id == client.id)).all()) == 1
    assert_ledger_holds(
        session, company_id=client.company_id, client_id=client.id, gateway=stripe_like
    )


def test_declined_card_saves_nothing(make, session, tx, stripe_like, browser_card, payer):
    client, actor = payer
    invoice = make.invoice(client)
    checkout_id = _start(session, actor, invoice)
    method_ref = _browser_method(browser_card, CARD_DECLINED_ON_CHARGE)
    outcome = _pay_and_save(tx, actor, stripe_like, checkout_id, method_ref)
    assert outcome.status == "failed" and "declined" in outcome.message.lower()
    with pytest.raises(NotFoundError):
        flow.keep_paid_card(tx, actor=actor, gateway=stripe_like, checkout_id=checkout_id)
    assert _saved(session, client) == []
    assert stripe_like.card_details(method_ref).customer_ref == ""  # not kept at the gateway
    session.refresh(invoice)
    assert invoice.balance_minor == invoice.amount_minor
    assert_ledger_holds(
        session, company_id=client.company_id, client_id=client.id, gateway=stripe_like
    )


def test_another_clients_card_and_checkout_are_not_found(
    make, session, tx, stripe_like, browser_card, payer
):
    client, actor = payer
    other = make.client(make.company())
    stranger = make.actor(make.contact(other))
    with tx() as s:
        their_customer = co.customer_ref_for(s, actor=stranger, gateway=stripe_like)
    their_card = browser_card(their_customer)
    with pytest.raises(NotFoundError):
        flow.card_for_payment(
            tx, actor=actor, gateway=stripe_like, method_ref=their_card, save=True
        )
    with pytest.raises(NotFoundError):
        flow.card_for_payment(
            tx, actor=actor, gateway=stripe_like, method_ref="pm_nonexistent", save=True
        )
    invoice = make.invoice(client)
    checkout_id = _start(session, actor, invoice)
    _pay_and_save(tx, actor, stripe_like, checkout_id, _browser_method(browser_card, CARD_OK))
    with pytest.raises(NotFoundError):
        flow.keep_paid_card(tx, actor=stranger, gateway=stripe_like, checkout_id=checkout_id)
    assert _saved(session, other) == []


def test_link_session_and_staff_preview_cannot_keep_a_card(
    make, session, tx, stripe_like, browser_card, payer
):
    client, _actor = payer
    invoice = make.invoice(client)
    link = make.actor(make.contact(client), kind="link", link_to=invoice)
    with pytest.raises(ReadOnlyError):
        flow.card_for_payment(
            tx,
            actor=link,
            gateway=stripe_like,
            method_ref=_browser_method(browser_card, CARD_OK),
            save=True,
        )
    # Paying the linked invoice with a new card used once is allowed.
    assert flow.card_for_payment(
        tx,
        actor=link,
        gateway=stripe_like,
        method_ref=_browser_method(browser_card, CARD_OK),
        save=False,
    ).startswith("pm_")
    preview = make.actor(make.contact(client), kind="staff_preview")
    with pytest.raises(ReadOnlyError):
        flow.card_for_payment(
            tx,
            actor=preview,
            gateway=stripe_like,
            method_ref=_browser_method(browser_card, CARD_OK),
            save=False,
        )


def test_gateway_timeout_charges_and_saves_nothing(
    make, session, tx, stripe_like, browser_card, payer
):
    client, actor = payer
    invoice = make.invoice(client)
    checkout_id = _start(session, actor, invoice)
    method_ref = flow.card_for_payment(
        tx,
        actor=actor,
        gateway=stripe_like,
        method_ref=_browser_method(browser_card, CARD_OK),
        save=True,
    )
    down = StripeGateway(
        secret_key="sk_test_portal",
        publishable_key="pk_test_portal",
        webhook_secret="whsec_x",
        api_base=f"http://127.0.0.1:{_free_port()}",  # nothing listens here
        js_url="",
        pays_and_saves_in_one_step=True,
    )
    outcome = flow.pay_with_card(
        tx,
        actor=actor,
        gateway=down,
        checkout_id=checkout_id,
        method_ref=method_ref,
        save_for_later=True,
    )
    assert outcome.status == "failed" and "could not be reached" in outcome.message
    assert session.get(Checkout, checkout_id).status == "open"  # a retry reuses its key
    with pytest.raises(NotFoundError):  # no payment reached the gateway: no card to keep
        flow.keep_paid_card(tx, actor=actor, gateway=down, checkout_id=checkout_id)
    assert _saved(session, client) == []
    session.refresh(invoice)
    assert invoice.balance_minor == invoice.amount_minor
    assert_ledger_holds(session, company_id=client.company_id, client_id=client.id)
