"""Auto-charging an invoice to the client's default card, against localstripe."""

from contextlib import contextmanager

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError
from portal_app.models import AuditEvent, Checkout, Payment
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments.autobill import autobill_invoice
from tests.conftest import CARD_DECLINED_ON_CHARGE
from tests.helpers.ledger import assert_invoices_balance, assert_payment_consistent


@pytest.fixture
def tx(session):
    @contextmanager
    def scope():
        with session.begin_nested():
            yield session

    return scope


def _with_default_card(make, session, gateway, browser_card, number=None):
    client = make.client(make.company())
    actor = make.actor(make.contact(client, is_primary=True))
    customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    method_ref = browser_card(customer, number) if number else browser_card(customer)
    method = flow.store_card(
        session, actor=actor, card=gateway.card_details(method_ref), gateway_name="stripe"
    )
    assert method.is_default
    return client, actor


def _audit(session, invoice_id, action):
    return session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_type == "invoice",
            AuditEvent.entity_id == invoice_id,
            AuditEvent.action == action,
        )
    ).all()


def test_success_pays_the_invoice(make, session, tx, gateway, browser_card):
    client, _ = _with_default_card(make, session, gateway, browser_card)
    invoice = make.invoice(client)
    result = autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway, source_id=7)
    assert result.status == "paid", result
    session.refresh(invoice)
    assert invoice.status == "paid" and invoice.balance_minor == 0
    payment = session.get(Payment, result.payment_id)
    assert payment.status == "completed" and payment.amount_minor == invoice.amount_minor
    assert payment.method_label == "Visa •••• 4242"
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)
    assert _audit(session, invoice.id, "autobill_paid")
    # Charged off-session at the gateway, exactly this amount.
    intent = gateway.retrieve_payment(payment.gateway_reference)
    assert intent.succeeded and intent.amount_minor == invoice.amount_minor


def test_second_call_charges_nothing_more(make, session, tx, gateway, browser_card):
    client, _ = _with_default_card(make, session, gateway, browser_card)
    invoice = make.invoice(client)
    assert autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway).status == "paid"
    again = autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway)
    assert again.status == "skipped"
    payments = session.exec(
        select(Payment).where(Payment.client_id == client.id, Payment.status == "completed")
    ).all()
    assert len(payments) == 1


def test_declined_card_leaves_the_invoice_unpaid_and_is_recorded(
    make, session, tx, gateway, browser_card
):
    client, _ = _with_default_card(
        make, session, gateway, browser_card, number=CARD_DECLINED_ON_CHARGE
    )
    invoice = make.invoice(client)
    result = autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway)
    assert result.status == "declined" and result.message
    session.refresh(invoice)
    assert invoice.status == "sent" and invoice.balance_minor == invoice.amount_minor
    failed = session.exec(
        select(Payment).where(Payment.client_id == client.id, Payment.status == "failed")
    ).all()
    assert len(failed) == 1 and failed[0].failure_message
    checkout = session.get(Checkout, result.checkout_id)
    assert checkout.status == "failed"
    [event] = _audit(session, invoice.id, "autobill_failed")
    assert "declined" in event.details
    # The invoice is free again: the client can pay it in the portal.
    started = co.start_checkout(
        session,
        actor=make.actor(_contact(session, client)),
        request=co.CheckoutRequest(invoice_ids=[invoice.id]),
    )
    assert started.total_minor == invoice.amount_minor


def _contact(session, client):
    from portal_app.models import ClientContact

    return session.exec(select(ClientContact).where(ClientContact.client_id == client.id)).first()


def test_no_default_card_is_recorded_and_charges_nothing(make, session, tx, gateway):
    client = make.client(make.company())
    make.contact(client)
    invoice = make.invoice(client)
    result = autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway)
    assert result.status == "no_card"
    session.refresh(invoice)
    assert invoice.status == "sent"
    assert _audit(session, invoice.id, "autobill_failed")


def test_removed_default_card_is_not_used(make, session, tx, gateway, browser_card):
    from portal_app.core.db import utcnow
    from portal_app.models import PaymentMethod

    client, _ = _with_default_card(make, session, gateway, browser_card)
    for method in session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)):
        method.removed_at = utcnow()
        session.add(method)
    session.flush()
    invoice = make.invoice(client)
    assert autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway).status == "no_card"


def test_paid_or_cancelled_invoice_is_skipped(make, session, tx, gateway, browser_card):
    client, _ = _with_default_card(make, session, gateway, browser_card)
    paid = make.invoice(client, status="paid", paid_minor=120_00)
    cancelled = make.invoice(client, status="cancelled")
    assert autobill_invoice(tx, invoice_id=paid.id, gateway=gateway).status == "skipped"
    assert autobill_invoice(tx, invoice_id=cancelled.id, gateway=gateway).status == "skipped"


def test_invoice_being_paid_in_a_window_is_skipped(make, session, tx, gateway, browser_card):
    client, actor = _with_default_card(make, session, gateway, browser_card)
    invoice = make.invoice(client)
    started = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    co.claim_for_charge(
        session, actor=actor, checkout_id=started.checkout_id, method_ref="pm_x", method_label=""
    )
    result = autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway)
    assert result.status == "skipped"


def test_unknown_invoice_is_not_found(session, tx, gateway):
    with pytest.raises(NotFoundError):
        autobill_invoice(tx, invoice_id=999_999_999, gateway=gateway)
