"""Refunds made through the Stripe API (localstripe), then applied to our books."""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.models import AuditEvent, Invoice, Payment, PaymentAllocation
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import refunds
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


def _pay(tx, session, actor, gateway, browser_card, **request) -> Payment:
    flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose="test")
    customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    card = browser_card(customer)
    started = co.start_checkout(session, actor=actor, request=co.CheckoutRequest(**request))
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=card
    )
    assert outcome.status == "succeeded"
    return session.get(Payment, outcome.payment_id)


def _refund_at_stripe(gateway, payment: Payment, amount: int, key: str) -> int:
    """Refund at the gateway; returns the cumulative refunded total Stripe now reports."""
    gateway.refund(
        intent_ref=payment.gateway_reference,
        amount_minor=amount,
        idempotency_key=f"refund-{payment.gateway_reference}-{key}",
    )
    return gateway.retrieve_payment(payment.gateway_reference).refunded_minor


def _state(session, invoice: Invoice) -> tuple[str, int, int]:
    session.refresh(invoice)
    return invoice.status, invoice.balance_minor, invoice.paid_to_date_minor


def _allocations(session, payment: Payment) -> dict[int, int]:
    rows = session.exec(
        select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id)
    ).all()
    for row in rows:
        session.refresh(row)
    return {row.invoice_id: row.refunded_minor for row in rows}


def _check(session, invoices, payment) -> None:
    assert_invoices_balance(session, [inv.id for inv in invoices])
    assert_payment_consistent(session, payment.id)


def test_partial_then_full_over_several_invoices_with_unapplied_part(
    make, session, tx, payer, gateway, browser_card
):
    company, client, actor = payer
    company.allow_over_payment = True
    session.add(company)
    first = make.invoice(client)  # 240.00
    second = make.invoice(client, lines=[LineInput("Support", 1000, 50_00)])  # 50.00
    # 240.00 + 80.00 on a 50.00 invoice: 30.00 stays on the payment, unapplied.
    payment = _pay(
        tx,
        session,
        actor,
        gateway,
        browser_card,
        invoice_ids=[first.id, second.id],
        amounts={second.id: "80"},
        confirm_over_payment=True,  # 30.00 more than it owes
    )
    assert (payment.amount_minor, payment.applied_minor) == (320_00, 290_00)
    _check(session, [first, second], payment)

    # 50.00 back: the 30.00 unapplied first, then 20.00 from the latest allocation (second).
    total = _refund_at_stripe(gateway, payment, 50_00, "a")
    assert total == 50_00
    refunds.apply_refund(session, intent_ref=payment.gateway_reference, total_refunded_minor=total)
    session.refresh(payment)
    assert payment.status == "partly_refunded" and payment.refunded_minor == 50_00
    assert _state(session, second) == ("partial", 20_00, 30_00)
    assert _state(session, first) == ("paid", 0, 240_00)
    assert _allocations(session, payment) == {first.id: 0, second.id: 20_00}
    _check(session, [first, second], payment)

    # The same report again, or an older one, changes nothing.
    for stale in (total, 30_00, 0):
        refunds.apply_refund(
            session, intent_ref=payment.gateway_reference, total_refunded_minor=stale
        )
    session.refresh(payment)
    assert payment.refunded_minor == 50_00
    assert _state(session, second) == ("partial", 20_00, 30_00)

    # The rest: 270.00 more, all of it.
    total = _refund_at_stripe(gateway, payment, 270_00, "b")
    assert total == 320_00
    refunds.apply_refund(session, intent_ref=payment.gateway_reference, total_refunded_minor=total)
    session.refresh(payment)
    assert payment.status == "refunded" and payment.refunded_minor == 320_00
    assert payment.applied_minor == 0  # nothing of it is on an invoice any more
    assert _state(session, second) == ("sent", 50_00, 0)
    assert _state(session, first) == ("sent", 240_00, 0)
    assert _allocations(session, payment) == {first.id: 240_00, second.id: 50_00}
    _check(session, [first, second], payment)
    audits = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "payment_refunded", AuditEvent.entity_id == payment.id
        )
    ).all()
    assert len(audits) == 2


def test_refund_reaches_back_across_invoices_latest_first(
    make, session, tx, payer, gateway, browser_card
):
    _company, client, actor = payer
    older = make.invoice(client)
    newer = make.invoice(client, lines=[LineInput("Support", 1000, 100_00)])  # 100.00
    payment = _pay(tx, session, actor, gateway, browser_card, invoice_ids=[older.id, newer.id])
    assert payment.amount_minor == 340_00 and payment.applied_minor == 340_00
    allocation_order = [
        row.invoice_id
        for row in session.exec(
            select(PaymentAllocation)
            .where(PaymentAllocation.payment_id == payment.id)
            .order_by(PaymentAllocation.id)
        )
    ]
    latest = session.get(Invoice, allocation_order[-1])
    earliest = session.get(Invoice, allocation_order[0])

    # More than the latest allocation holds: it empties, the earlier one gives the rest.
    extra = 15_00
    total = _refund_at_stripe(gateway, payment, latest.amount_minor + extra, "a")
    refunds.apply_refund(session, intent_ref=payment.gateway_reference, total_refunded_minor=total)
    session.refresh(payment)
    assert payment.status == "partly_refunded"
    assert _state(session, latest) == ("sent", latest.amount_minor, 0)
    assert _state(session, earliest) == (
        "partial",
        extra,
        earliest.amount_minor - extra,
    )
    _check(session, [older, newer], payment)


def test_card_refund_leaves_the_credit_part_paid(make, session, tx, payer, gateway, browser_card):
    _company, client, actor = payer
    invoice = make.invoice(client)
    credit = make.credit(client, amount_minor=40_00)
    payment = _pay(
        tx, session, actor, gateway, browser_card, invoice_ids=[invoice.id], apply_credit=True
    )
    assert payment.amount_minor == 200_00

    total = _refund_at_stripe(gateway, payment, 200_00, "all")
    refunds.apply_refund(session, intent_ref=payment.gateway_reference, total_refunded_minor=total)
    session.refresh(payment)
    assert payment.status == "refunded" and payment.refunded_minor == 200_00
    # The 40.00 of credit still pays the invoice.
    assert _state(session, invoice) == ("partial", 200_00, 40_00)
    _check(session, [invoice], payment)
    assert_credit_consistent(session, credit.id)


def test_report_above_the_amount_is_capped(make, session, tx, payer, gateway, browser_card):
    _company, client, actor = payer
    invoice = make.invoice(client)
    payment = _pay(tx, session, actor, gateway, browser_card, invoice_ids=[invoice.id])
    refunds.apply_refund(
        session, intent_ref=payment.gateway_reference, total_refunded_minor=999_999_00
    )
    session.refresh(payment)
    assert payment.refunded_minor == payment.amount_minor and payment.status == "refunded"
    assert _state(session, invoice) == ("sent", 240_00, 0)
    _check(session, [invoice], payment)


def test_unknown_or_unsettled_payment_is_not_refunded(make, session):
    company = make.company()
    client = make.client(company)
    assert (
        refunds.apply_refund(session, intent_ref="pi_does_not_exist", total_refunded_minor=1_00)
        is None
    )
    pending = Payment(
        company_id=company.id,
        client_id=client.id,
        number=f"PAY-pending-{client.id}",
        status="pending",
        currency="USD",
        amount_minor=10_00,
        gateway_reference=f"pi_pending_{client.id}_{company.id}",
    )
    session.add(pending)
    session.flush()
    assert (
        refunds.apply_refund(
            session, intent_ref=pending.gateway_reference, total_refunded_minor=5_00
        )
        is None
    )
    session.refresh(pending)
    assert pending.refunded_minor == 0 and pending.status == "pending"
