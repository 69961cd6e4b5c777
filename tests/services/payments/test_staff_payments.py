"""Staff money actions: mark paid, cancel, apply unapplied payments, refund through Stripe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import Checkout, InvoiceLock, Payment, PaymentAllocation
from portal_app.services.billing import invoices as client_invoices
from portal_app.services.billing.staff_records import INVOICE, create_record, mark_sent
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments.staff_payments import (
    Application,
    apply_unapplied,
    cancel_invoice,
    mark_paid,
    payment_unapplied,
    refund_card_payment,
)
from tests.helpers.ledger import assert_invoices_balance, assert_payment_consistent
from tests.helpers.staff_docs import invoice_form, staff_actor


@pytest.fixture
def setup(session, make):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    return company, client, contact, staff_actor(session, company)


def _prepayment(session, client, amount: int, currency: str = "USD") -> Payment:
    payment = Payment(
        company_id=client.company_id,
        client_id=client.id,
        number=f"PAY-T{amount}-{client.id}",
        status="completed",
        currency=currency,
        amount_minor=amount,
        method="manual",
    )
    session.add(payment)
    session.flush()
    return payment


def test_mark_paid_records_a_manual_payment_and_the_portal_shows_paid(session, make, setup):
    _, client, contact, actor = setup
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    mark_sent(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    payment = mark_paid(session, actor=actor, invoice_id=invoice.id, reference="Bank transfer")
    assert payment.method == "manual" and payment.status == "completed"
    assert payment.amount_minor == payment.applied_minor == 240_00
    assert payment.number == f"PAY-{payment.id:06d}"
    assert invoice.status == "paid" and invoice.balance_minor == 0
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)
    view = client_invoices.invoice_view(session, actor=make.actor(contact), invoice_id=invoice.id)
    assert view.status == "paid"
    # A second click records nothing more.
    with pytest.raises(ValidationError):
        mark_paid(session, actor=actor, invoice_id=invoice.id)
    count = session.exec(select(Payment).where(Payment.client_id == client.id)).all()
    assert len(count) == 1


def test_mark_paid_refusals(session, make, setup):
    _, client, contact, actor = setup
    invoice = make.invoice(client)
    with pytest.raises(NotFoundError):
        mark_paid(session, actor=staff_actor(session, make.company()), invoice_id=invoice.id)
    with pytest.raises(ValidationError):
        mark_paid(session, actor=actor, invoice_id=invoice.id, reference="x" * 101)
    # While a client checkout holds the invoice, staff wait.
    checkout = Checkout(
        company_id=client.company_id,
        client_id=client.id,
        contact_id=contact.id,
        currency="USD",
        lines_json="[]",
    )
    session.add(checkout)
    session.flush()
    session.add(
        InvoiceLock(
            invoice_id=invoice.id,
            checkout_id=checkout.id,
            expires_at=utcnow() + timedelta(minutes=5),
        )
    )
    session.flush()
    with pytest.raises(ValidationError, match="paying"):
        mark_paid(session, actor=actor, invoice_id=invoice.id)


def test_cancel(session, make, setup):
    _, client, _, actor = setup
    draft = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    with pytest.raises(ValidationError):
        cancel_invoice(session, actor=actor, invoice_id=draft.id)
    sent = make.invoice(client)
    cancel_invoice(session, actor=actor, invoice_id=sent.id)
    assert sent.status == "cancelled" and sent.balance_minor == 0
    paid = make.invoice(client)
    mark_paid(session, actor=actor, invoice_id=paid.id)
    with pytest.raises(ValidationError):
        cancel_invoice(session, actor=actor, invoice_id=paid.id)
    with pytest.raises(ValidationError):
        mark_paid(session, actor=actor, invoice_id=sent.id)


def test_apply_a_prepayment_to_several_invoices(session, make, setup):
    _, client, _, actor = setup
    first, second = make.invoice(client), make.invoice(client)  # 240.00 each
    payment = _prepayment(session, client, 300_00)
    apply_unapplied(
        session,
        actor=actor,
        payment_id=payment.id,
        applications=[Application(first.id, ""), Application(second.id, "50.00")],
    )
    assert first.status == "paid" and first.balance_minor == 0
    assert second.status == "partial" and second.balance_minor == 190_00
    assert payment.applied_minor == 290_00
    assert payment_unapplied(session, payment) == 10_00
    assert_invoices_balance(session, [first.id, second.id])
    assert_payment_consistent(session, payment.id)


def test_over_application_is_refused_and_changes_nothing(session, make, setup):
    company, client, _, actor = setup
    first, second = make.invoice(client), make.invoice(client)
    payment = _prepayment(session, client, 300_00)

    def refused(applications, match=None):
        with pytest.raises(ValidationError, match=match):
            apply_unapplied(session, actor=actor, payment_id=payment.id, applications=applications)

    refused([Application(first.id, ""), Application(second.id, "")], "more than")
    refused([Application(first.id, "240.01")], "owes less")
    refused([Application(first.id, "-1")])
    refused([Application(first.id, "0")])
    refused([Application(first.id, "1.001")])
    refused([Application(first.id, "1"), Application(first.id, "1")], "twice")
    refused([])
    euro = make.invoice(client, currency="EUR")
    refused([Application(euro.id, "1")], "EUR")
    draft = make.invoice(client, status="draft")
    refused([Application(draft.id, "1")])
    # Another client's invoice, even of the same company, is not found.
    other = make.invoice(make.client(company))
    with pytest.raises(NotFoundError):
        apply_unapplied(
            session, actor=actor, payment_id=payment.id, applications=[Application(other.id, "1")]
        )
    allocations = session.exec(
        select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id)
    ).all()
    assert allocations == [] and payment.applied_minor == 0
    assert first.balance_minor == second.balance_minor == 240_00
    # Another company's staff cannot see the payment at all.
    with pytest.raises(NotFoundError):
        apply_unapplied(
            session,
            actor=staff_actor(session, make.company()),
            payment_id=payment.id,
            applications=[Application(first.id, "1")],
        )


def test_applied_money_cannot_be_applied_twice(session, make, setup):
    _, client, _, actor = setup
    first, second = make.invoice(client), make.invoice(client)
    payment = _prepayment(session, client, 240_00)
    apply_unapplied(
        session, actor=actor, payment_id=payment.id, applications=[Application(first.id, "")]
    )
    with pytest.raises(ValidationError, match="nothing left"):
        apply_unapplied(
            session, actor=actor, payment_id=payment.id, applications=[Application(second.id, "")]
        )


# -- refunds through localstripe ----------------------------------------------------------------


def _card_payment(tx, session, make, gateway, browser_card, client, contact) -> Payment:
    invoice = make.invoice(client)
    actor = make.actor(contact)
    flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose="test")
    card = browser_card(co.customer_ref_for(session, actor=actor, gateway=gateway))
    started = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=card
    )
    assert outcome.status == "succeeded"
    return session.get(Payment, outcome.payment_id)


def test_refund_in_part_then_the_rest(session, make, tx, gateway, browser_card):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    payment = _card_payment(tx, session, make, gateway, browser_card, client, contact)
    owner = staff_actor(session, company, role="owner")
    refund_card_payment(tx, actor=owner, gateway=gateway, payment_id=payment.id, amount="40.00")
    assert payment.refunded_minor == 40_00 and payment.status == "partly_refunded"
    assert gateway.retrieve_payment(payment.gateway_reference).refunded_minor == 40_00
    with pytest.raises(ValidationError, match="more than"):
        refund_card_payment(
            tx, actor=owner, gateway=gateway, payment_id=payment.id, amount="200.01"
        )
    refund_card_payment(tx, actor=owner, gateway=gateway, payment_id=payment.id, amount="")
    assert payment.refunded_minor == 240_00 and payment.status == "refunded"
    invoice_id = session.exec(
        select(PaymentAllocation.invoice_id).where(PaymentAllocation.payment_id == payment.id)
    ).one()
    assert_invoices_balance(session, [invoice_id])
    with pytest.raises(ValidationError, match="cannot be refunded"):
        refund_card_payment(tx, actor=owner, gateway=gateway, payment_id=payment.id, amount="1")


def test_refund_roles_and_scope(session, make, tx, gateway):
    company = make.company()
    client = make.client(company)
    manual = _prepayment(session, client, 50_00)
    with pytest.raises(ReadOnlyError):
        refund_card_payment(
            tx,
            actor=staff_actor(session, company, role="staff"),
            gateway=gateway,
            payment_id=manual.id,
            amount="1",
        )
    admin = staff_actor(session, company, role="admin")
    with pytest.raises(ValidationError, match="cannot be refunded"):  # not a card payment
        refund_card_payment(tx, actor=admin, gateway=gateway, payment_id=manual.id, amount="1")
    with pytest.raises(NotFoundError):
        refund_card_payment(
            tx,
            actor=staff_actor(session, make.company(), role="owner"),
            gateway=gateway,
            payment_id=manual.id,
            amount="1",
        )


def test_money_a_client_checkout_holds_is_not_offered_to_staff(session, make, setup):
    """A client paying with their unapplied money holds it while the checkout runs: staff
    see only the free part as applicable, and applying more is refused beside the field
    with words a person would say, not a ledger error."""
    from portal_app.services.payments.staff_payment_views import list_payments, open_invoices

    _, client, contact, actor = setup
    payment = _prepayment(session, client, 300_00)
    paying, other = make.invoice(client), make.invoice(client)  # 240.00 each
    client_actor = make.actor(contact)
    co.start_checkout(
        session,
        actor=client_actor,
        request=co.CheckoutRequest(invoice_ids=[paying.id], apply_unapplied=True),
    )
    assert payment.held_minor == 240_00
    assert payment_unapplied(session, payment) == 60_00
    offered = open_invoices(session, actor=actor, payment_id=payment.id)
    assert [row.applicable_major for row in offered if row.id == other.id] == ["60.00"]
    with pytest.raises(ValidationError) as refused:
        apply_unapplied(
            session,
            actor=actor,
            payment_id=payment.id,
            applications=[Application(other.id, "100.00")],
        )
    assert refused.value.field == "applications"
    assert payment.applied_minor == 0 and other.balance_minor == 240_00
    # The free part can be applied; then nothing is left to apply.
    apply_unapplied(
        session,
        actor=actor,
        payment_id=payment.id,
        applications=[Application(other.id, "60.00")],
    )
    assert other.balance_minor == 180_00 and payment.applied_minor == 60_00
    row = next(r for r in list_payments(session, actor=actor).rows if r.id == payment.id)
    assert row.can_apply is False
    assert_payment_consistent(session, payment.id)
