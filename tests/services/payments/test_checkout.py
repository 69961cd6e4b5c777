"""Checkout against a real localstripe: amounts, credit, declines, 3-D Secure, idempotency."""

import httpx
import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import Checkout, InvoiceLock, Payment, PaymentAllocation, PaymentMethod
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from tests.conftest import CARD_3DS, CARD_DECLINED_ON_CHARGE
from tests.helpers.ledger import (
    assert_credit_consistent,
    assert_invoices_balance,
    assert_payment_consistent,
)


@pytest.fixture
def payer(make):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    return company, client, make.actor(contact)


def _new_card(tx, actor, gateway, browser_card, number="4242424242424242", save=False):
    """Customer at the gateway, a card attached as Stripe.js would, and the SetupIntent check."""
    flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose="test")
    with tx() as session:
        customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    method_ref = browser_card(customer, number)
    if save:
        with tx() as session:
            flow.store_card(
                session, actor=actor, card=gateway.card_details(method_ref), gateway_name="stripe"
            )
    return method_ref


def _pay(tx, session, actor, gateway, method_ref, **request):
    started = co.start_checkout(session, actor=actor, request=co.CheckoutRequest(**request))
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=method_ref
    )
    return started, outcome


def test_pay_one_invoice(make, session, tx, payer, gateway, browser_card):
    _company, client, actor = payer
    invoice = make.invoice(client)
    method = _new_card(tx, actor, gateway, browser_card)
    started, outcome = _pay(tx, session, actor, gateway, method, invoice_ids=[invoice.id])
    assert outcome.status == "succeeded"
    payment = session.get(Payment, outcome.payment_id)
    assert payment.status == "completed" and payment.amount_minor == 240_00
    assert payment.method_label == "Visa •••• 4242"  # a card that was not kept
    assert payment.applied_minor == 240_00 and payment.gateway_reference.startswith("pi_")
    session.refresh(invoice)
    assert invoice.status == "paid" and invoice.balance_minor == 0
    assert session.exec(select(InvoiceLock)).all() == [] or all(
        lock.checkout_id != started.checkout_id for lock in session.exec(select(InvoiceLock))
    )
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


def test_pay_several_invoices_and_a_deposit(make, session, tx, payer, gateway, browser_card):
    _company, client, actor = payer
    first = make.invoice(client)
    deposit = make.invoice(client, partial_minor=50_00)
    method = _new_card(tx, actor, gateway, browser_card)
    _started, outcome = _pay(
        tx, session, actor, gateway, method, invoice_ids=[first.id, deposit.id]
    )
    assert outcome.status == "succeeded"
    payment = session.get(Payment, outcome.payment_id)
    # The deposit asks for its partial amount only.
    assert payment.amount_minor == 240_00 + 50_00
    session.refresh(deposit)
    assert deposit.status == "partial" and deposit.balance_minor == 190_00
    assert_invoices_balance(session, [first.id, deposit.id])


def test_partial_amount_follows_company_rules(make, session, tx, payer, gateway, browser_card):
    company, client, actor = payer
    invoice = make.invoice(client)
    with pytest.raises(ValidationError, match="full amount"):
        co.start_checkout(
            session,
            actor=actor,
            request=co.CheckoutRequest(invoice_ids=[invoice.id], amounts={invoice.id: "100.00"}),
        )
    company.allow_under_payment = True
    company.minimum_under_payment_minor = 50_00
    session.add(company)
    for bad, message in (
        ("10.00", "smallest"),
        ("0", "greater than zero"),
        ("-5", "greater than zero"),
        ("12.345", "decimal"),
        ("1e3", "amount such as"),
        ("300.00", "more than the balance"),
    ):
        with pytest.raises(ValidationError, match=message) as info:
            co.start_checkout(
                session,
                actor=actor,
                request=co.CheckoutRequest(invoice_ids=[invoice.id], amounts={invoice.id: bad}),
            )
        assert info.value.field == f"amount_{invoice.id}"
    assert session.exec(select(Checkout).where(Checkout.client_id == client.id)).all() == []
    method = _new_card(tx, actor, gateway, browser_card)
    _started, outcome = _pay(
        tx, session, actor, gateway, method, invoice_ids=[invoice.id], amounts={invoice.id: "100"}
    )
    assert outcome.status == "succeeded"
    session.refresh(invoice)
    assert invoice.status == "partial" and invoice.balance_minor == 140_00
    assert_invoices_balance(session, [invoice.id])


def test_over_payment_leaves_the_rest_unapplied(make, session, tx, payer, gateway, browser_card):
    company, client, actor = payer
    company.allow_over_payment = True
    session.add(company)
    invoice = make.invoice(client)
    method = _new_card(tx, actor, gateway, browser_card)
    _s, outcome = _pay(
        tx,
        session,
        actor,
        gateway,
        method,
        invoice_ids=[invoice.id],
        amounts={invoice.id: "300"},
        confirm_over_payment=True,  # the client said yes to paying more than is due
    )
    payment = session.get(Payment, outcome.payment_id)
    assert payment.amount_minor == 300_00 and payment.applied_minor == 240_00
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


def test_credit_pays_part_then_card(make, session, tx, payer, gateway, browser_card):
    _company, client, actor = payer
    invoice = make.invoice(client)
    credit = make.credit(client, amount_minor=40_00)
    method = _new_card(tx, actor, gateway, browser_card)
    started, outcome = _pay(
        tx, session, actor, gateway, method, invoice_ids=[invoice.id], apply_credit=True
    )
    assert started.credit_minor == 40_00 and started.card_minor == 200_00
    payment = session.get(Payment, outcome.payment_id)
    assert payment.amount_minor == 200_00
    session.refresh(credit)
    assert credit.balance_minor == 0 and credit.status == "applied"
    assert_invoices_balance(session, [invoice.id])
    assert_credit_consistent(session, credit.id)


def test_credit_alone_pays_the_invoice(make, session, payer):
    _company, client, actor = payer
    invoice = make.invoice(client)
    credit = make.credit(client, amount_minor=500_00)
    started = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[invoice.id], apply_credit=True),
    )
    assert started.card_minor == 0
    payment = co.settle_with_credit_only(session, actor=actor, checkout_id=started.checkout_id)
    assert payment.method == "credit" and payment.amount_minor == 0
    session.refresh(credit)
    assert credit.balance_minor == 260_00 and credit.status == "partial"
    assert_invoices_balance(session, [invoice.id])
    assert_credit_consistent(session, credit.id)


def test_credit_of_other_currency_or_client_is_not_used(make, session, payer):
    company, client, actor = payer
    make.credit(client, amount_minor=500_00, currency="EUR")
    make.credit(make.client(company), amount_minor=500_00)
    invoice = make.invoice(client)
    started = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[invoice.id], apply_credit=True),
    )
    assert started.credit_minor == 0 and started.card_minor == 240_00


def test_declined_card_records_nothing_paid_and_can_retry(
    make, session, tx, payer, gateway, browser_card
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    declined = _new_card(tx, actor, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    started, outcome = _pay(tx, session, actor, gateway, declined, invoice_ids=[invoice.id])
    assert outcome.status == "failed" and "declined" in outcome.message.lower()
    session.refresh(invoice)
    assert invoice.balance_minor == 240_00 and invoice.status == "sent"
    failed = session.exec(select(Payment).where(Payment.client_id == client.id)).all()
    assert [p.status for p in failed] == ["failed"]
    assert (
        session.exec(
            select(PaymentAllocation).where(PaymentAllocation.invoice_id == invoice.id)
        ).all()
        == []
    )
    # The invoice is free again: a good card pays it.
    good = _new_card(tx, actor, gateway, browser_card)
    _s, retry = _pay(tx, session, actor, gateway, good, invoice_ids=[invoice.id])
    assert retry.status == "succeeded"
    assert_invoices_balance(session, [invoice.id])


def test_three_d_secure_success_and_failure(
    make, session, tx, payer, gateway, browser_card, localstripe_url
):
    _company, client, actor = payer
    for success in (True, False):
        invoice = make.invoice(client)
        card = _new_card(tx, actor, gateway, browser_card, CARD_3DS)
        started, outcome = _pay(tx, session, actor, gateway, card, invoice_ids=[invoice.id])
        assert outcome.status == "requires_action" and outcome.client_secret
        session.refresh(invoice)
        assert invoice.balance_minor == 240_00  # nothing paid until the bank says so
        intent_ref = outcome.client_secret.split("_secret_")[0]
        # What localstripe's Stripe.js does when the buyer completes or fails the challenge.
        response = httpx.post(
            f"{localstripe_url}/v1/payment_intents/{intent_ref}/_authenticate",
            params={"success": "true" if success else "false"},
            json={"key": "pk_test_portal", "client_secret": outcome.client_secret},
        )
        assert response.status_code == 200
        after = flow.confirm_after_action(
            tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id
        )
        session.refresh(invoice)
        if success:
            assert after.status == "succeeded" and invoice.status == "paid"
        else:
            assert after.status == "failed" and invoice.balance_minor == 240_00
        assert_invoices_balance(session, [invoice.id])


def test_double_click_charges_once(make, session, tx, payer, gateway, browser_card):
    _company, client, actor = payer
    invoice = make.invoice(client)
    method = _new_card(tx, actor, gateway, browser_card)
    started, first = _pay(tx, session, actor, gateway, method, invoice_ids=[invoice.id])
    second = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=method
    )
    assert first.status == second.status == "succeeded"
    assert first.payment_id == second.payment_id
    payments = session.exec(select(Payment).where(Payment.client_id == client.id)).all()
    assert len(payments) == 1
    # The same invoice cannot start a second checkout while nothing is left to pay.
    with pytest.raises(ValidationError):
        co.start_checkout(
            session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
        )


def test_settling_twice_writes_one_payment(make, session, tx, payer, gateway, browser_card):
    _company, client, actor = payer
    invoice = make.invoice(client)
    method = _new_card(tx, actor, gateway, browser_card)
    started, outcome = _pay(tx, session, actor, gateway, method, invoice_ids=[invoice.id])
    checkout = session.get(Checkout, started.checkout_id)
    intent = gateway.retrieve_payment(checkout.gateway_intent_id)
    again = co.settle_checkout(session, checkout_id=started.checkout_id, intent=intent)
    assert again.id == outcome.payment_id
    assert len(session.exec(select(Payment).where(Payment.client_id == client.id)).all()) == 1
    assert_invoices_balance(session, [invoice.id])


def test_settle_refuses_a_mismatched_intent(make, session, tx, payer, gateway, browser_card):
    _company, client, actor = payer
    invoice = make.invoice(client)
    other = make.invoice(client, lines=[LineInput("Small", 1000, 1_00)])
    method = _new_card(tx, actor, gateway, browser_card)
    _s, paid_small = _pay(tx, session, actor, gateway, method, invoice_ids=[other.id])
    small_intent = gateway.retrieve_payment(
        session.get(Payment, paid_small.payment_id).gateway_reference
    )
    started = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    with pytest.raises(ValidationError, match="different payment"):
        co.settle_checkout(session, checkout_id=started.checkout_id, intent=small_intent)
    session.refresh(invoice)
    assert invoice.balance_minor == 240_00


def test_invoice_being_charged_cannot_start_a_second_checkout(make, session, payer):
    _company, client, actor = payer
    invoice = make.invoice(client)
    first = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    assert co.claim_for_charge(
        session, actor=actor, checkout_id=first.checkout_id, method_ref="pm_x"
    )
    with pytest.raises(ValidationError, match="already being paid"):
        co.start_checkout(
            session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
        )


def test_abandoned_checkout_is_superseded_and_cannot_charge(make, session, payer):
    _company, client, actor = payer
    invoice = make.invoice(client)
    old = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    new = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    assert new.checkout_id != old.checkout_id
    assert session.get(Checkout, old.checkout_id).status == "expired"
    # The old tab can no longer charge: claiming it fails, the new one holds the lock.
    claimed = co.claim_for_charge(
        session, actor=actor, checkout_id=old.checkout_id, method_ref="pm_x"
    )
    assert claimed is None
    assert session.get(InvoiceLock, invoice.id).checkout_id == new.checkout_id


def test_isolation_and_bad_requests(make, session, payer):
    company, client, actor = payer
    other_client = make.client(company)
    foreign = make.invoice(other_client)
    draft = make.invoice(client, status="draft")
    paid = make.invoice(client, status="paid", paid_minor=240_00)
    mine = make.invoice(client)
    euro = make.invoice(client, currency="EUR")
    for ids in ([foreign.id], [mine.id, foreign.id], [draft.id], [], [999_999_999]):
        with pytest.raises(NotFoundError):
            co.start_checkout(session, actor=actor, request=co.CheckoutRequest(invoice_ids=ids))
    with pytest.raises(ValidationError, match="nothing left"):
        co.start_checkout(session, actor=actor, request=co.CheckoutRequest(invoice_ids=[paid.id]))
    with pytest.raises(ValidationError, match="one currency"):
        co.start_checkout(
            session, actor=actor, request=co.CheckoutRequest(invoice_ids=[mine.id, euro.id])
        )
    other_contact = make.contact(other_client)
    method = PaymentMethod(
        company_id=company.id,
        client_id=other_client.id,
        customer_ref="cus_x",
        method_ref=f"pm_{other_contact.id}_x",
    )
    session.add(method)
    session.flush()
    with pytest.raises(NotFoundError):
        co.start_checkout(
            session,
            actor=actor,
            request=co.CheckoutRequest(invoice_ids=[mine.id], payment_method_id=method.id),
        )
    started = co.start_checkout(
        session,
        actor=make.actor(other_contact),
        request=co.CheckoutRequest(invoice_ids=[foreign.id]),
    )
    with pytest.raises(NotFoundError):
        co.settle_with_credit_only(session, actor=actor, checkout_id=started.checkout_id)


def test_preview_cannot_pay(make, session, payer):
    _company, client, _actor = payer
    contact = make.contact(client)
    invoice = make.invoice(client)
    with pytest.raises(ReadOnlyError):
        co.start_checkout(
            session,
            actor=make.actor(contact, kind="staff_preview"),
            request=co.CheckoutRequest(invoice_ids=[invoice.id]),
        )


def test_setup_intent_of_another_customer_is_not_found(
    make, session, tx, payer, gateway, browser_card
):
    company, _client, actor = payer
    stranger = make.actor(make.contact(make.client(company)))
    flow.setup_new_card(tx, actor=stranger, gateway=gateway, purpose="test")
    with tx() as s:
        stranger_customer = co.customer_ref_for(s, actor=stranger, gateway=gateway)
    client = browser_card.client
    intent = client.v1.setup_intents.create(
        params={"customer": stranger_customer, "payment_method_types": ["card"]}
    )
    method_ref = browser_card(stranger_customer)
    client.v1.setup_intents.confirm(intent.id, params={"payment_method": method_ref})
    with pytest.raises(NotFoundError):
        flow.card_from_setup(
            tx, actor=actor, gateway=gateway, setup_intent_ref=intent.id, save=True
        )


def test_link_session_pays_but_cannot_keep_the_card(
    make, session, tx, payer, gateway, browser_card
):
    _company, client, _actor = payer
    invoice = make.invoice(client)
    link_actor = make.actor(make.contact(client), kind="link", link_to=invoice)
    with pytest.raises(ReadOnlyError):
        flow.card_from_setup(
            tx, actor=link_actor, gateway=gateway, setup_intent_ref="seti_anything", save=True
        )
    method = _new_card(tx, link_actor, gateway, browser_card)
    _s, outcome = _pay(tx, session, link_actor, gateway, method, invoice_ids=[invoice.id])
    assert outcome.status == "succeeded"
    assert (
        session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)).all() == []
    )
