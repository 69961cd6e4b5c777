"""Cancelling a payment attempt left waiting for 3-D Secure (`checkout_flow.cancel_attempt`)."""

import httpx
import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.gateways import messages
from portal_app.models import Checkout, CreditHold, InvoiceLock
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from tests.conftest import CARD_3DS
from tests.helpers.ledger import assert_client_ledger


@pytest.fixture
def payer(make):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    return company, client, make.actor(contact)


def _waiting_for_bank(session, tx, actor, gateway, browser_card, invoice, *, credit=False):
    """A checkout whose card asked for 3-D Secure, then the client walked away."""
    started = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[invoice.id], apply_credit=credit),
    )
    with tx() as s:
        customer = co.customer_ref_for(s, actor=actor, gateway=gateway)
    outcome = flow.pay_with_card(
        tx,
        actor=actor,
        gateway=gateway,
        checkout_id=started.checkout_id,
        method_ref=browser_card(customer, CARD_3DS),
    )
    assert outcome.status == "requires_action"
    return started, outcome


def test_abandoned_attempt_says_how_long_and_cancel_frees_it_at_once(
    make, session, tx, payer, gateway, browser_card
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    credit = make.credit(client, amount_minor=40_00)
    started, outcome = _waiting_for_bank(
        session, tx, actor, gateway, browser_card, invoice, credit=True
    )
    held = co.held_attempt(session, actor=actor, invoice_ids=[invoice.id])
    assert held is not None and held.cancellable and held.checkout_id == started.checkout_id
    assert held.minutes_left == co.LOCK_MINUTES and "15 minutes" in held.message
    with pytest.raises(ValidationError, match="held for 15 minutes more"):
        co.start_checkout(
            session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
        )
    session.refresh(credit)
    assert credit.balance_minor == 0  # held for the attempt

    ended = flow.cancel_attempt(tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id)
    assert ended.status == "failed" and ended.message == flow.CANCELLED
    intent_ref = outcome.client_secret.split("_secret_")[0]
    assert gateway.retrieve_payment(intent_ref).status == "canceled"
    assert session.exec(select(InvoiceLock).where(InvoiceLock.invoice_id == invoice.id)).all() == []
    assert (
        session.exec(select(CreditHold).where(CreditHold.checkout_id == started.checkout_id)).all()
        == []
    )
    session.refresh(credit)
    assert credit.balance_minor == 40_00
    assert co.held_attempt(session, actor=actor, invoice_ids=[invoice.id]) is None
    # A double click: the attempt is already over, the same answer and nothing else changes.
    again = flow.cancel_attempt(tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id)
    assert again.status == "failed" and again.message == flow.CANCELLED
    assert session.get(Checkout, started.checkout_id).status == "failed"
    assert_client_ledger(session, client, gateway)
    # The invoice can be paid again right away.
    co.start_checkout(session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id]))


def test_only_the_owner_can_cancel(make, session, tx, payer, gateway, browser_card):
    company, client, actor = payer
    invoice = make.invoice(client)
    started, outcome = _waiting_for_bank(session, tx, actor, gateway, browser_card, invoice)
    stranger = make.actor(make.contact(make.client(company)))
    with pytest.raises(NotFoundError):
        flow.cancel_attempt(tx, actor=stranger, gateway=gateway, checkout_id=started.checkout_id)
    other_company = make.actor(make.contact(make.client(make.company())))
    with pytest.raises(NotFoundError):
        flow.cancel_attempt(
            tx, actor=other_company, gateway=gateway, checkout_id=started.checkout_id
        )
    preview = make.actor(make.contact(client), kind="staff_preview")
    with pytest.raises(ReadOnlyError):
        flow.cancel_attempt(tx, actor=preview, gateway=gateway, checkout_id=started.checkout_id)
    intent_ref = outcome.client_secret.split("_secret_")[0]
    assert gateway.retrieve_payment(intent_ref).status == "requires_action"
    assert session.get(InvoiceLock, invoice.id).checkout_id == started.checkout_id


def test_a_confirmed_attempt_is_not_cancelled_and_settles(
    make, session, tx, payer, gateway, browser_card, localstripe_url
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    make.credit(client, amount_minor=40_00)
    started, outcome = _waiting_for_bank(
        session, tx, actor, gateway, browser_card, invoice, credit=True
    )
    intent_ref = outcome.client_secret.split("_secret_")[0]
    # The bank confirmed it in the browser, but the page never heard back.
    httpx.post(
        f"{localstripe_url}/v1/payment_intents/{intent_ref}/_authenticate",
        params={"success": "true"},
        json={"key": "pk_test_portal", "client_secret": outcome.client_secret},
    ).raise_for_status()
    ended = flow.cancel_attempt(tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id)
    assert ended.status == "succeeded" and ended.payment_id
    assert gateway.retrieve_payment(intent_ref).status == "succeeded"
    session.refresh(invoice)
    assert invoice.status == "paid" and invoice.balance_minor == 0
    again = flow.cancel_attempt(tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id)
    assert again.status == "succeeded" and again.payment_id == ended.payment_id
    assert_client_ledger(session, client, gateway)


def test_an_attempt_being_charged_cannot_be_cancelled(make, session, payer, tx, gateway):
    _company, client, actor = payer
    invoice = make.invoice(client)
    started = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    co.claim_for_charge(session, actor=actor, checkout_id=started.checkout_id, method_ref="pm_x")
    held = co.held_attempt(session, actor=actor, invoice_ids=[invoice.id])
    assert held is not None and not held.cancellable and "already being paid" in held.message
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        flow.cancel_attempt(tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id)


@pytest.mark.parametrize(
    ("raw", "code", "plain"),
    [
        (
            "The latest attempt to set up the payment method has failed because "
            "authentication failed.",
            "",
            messages.NOT_AUTHENTICATED,
        ),
        ("The provided PaymentMethod has failed authentication.", "", messages.NOT_AUTHENTICATED),
        ("anything", "payment_intent_authentication_failure", messages.NOT_AUTHENTICATED),
        ("Your card was declined.", "", messages.DECLINED),
        ("Your card has expired.", "expired_card", messages.EXPIRED),
        ("The card form is not available.", "", "The card form is not available."),
    ],
)
def test_gateway_texts_in_plain_words(raw, code, plain):
    assert messages.plain_card_message(raw, code) == plain


def test_failed_authentication_reads_as_plain_words(
    make, session, tx, payer, gateway, browser_card, localstripe_url
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    started, outcome = _waiting_for_bank(session, tx, actor, gateway, browser_card, invoice)
    intent_ref = outcome.client_secret.split("_secret_")[0]
    httpx.post(
        f"{localstripe_url}/v1/payment_intents/{intent_ref}/_authenticate",
        params={"success": "false"},
        json={"key": "pk_test_portal", "client_secret": outcome.client_secret},
    ).raise_for_status()
    after = flow.confirm_after_action(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id
    )
    assert after.status == "failed" and after.message == messages.NOT_AUTHENTICATED
