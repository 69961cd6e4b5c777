"""The staff payment dialogs' figures: what the apply dialog pre-fills, what a refund shows."""

from __future__ import annotations

import uuid

import pytest

from portal_app.core.errors import NotFoundError
from portal_app.models import Payment
from portal_app.services.payments.staff_payment_views import open_invoices, refund_view
from tests.helpers.staff_docs import staff_actor


def _payment(session, client, amount: int, **kw) -> Payment:
    payment = Payment(
        company_id=client.company_id,
        client_id=client.id,
        number=f"PAY-{uuid.uuid4().hex[:8]}",
        status=kw.pop("status", "completed"),
        currency="USD",
        amount_minor=amount,
        method=kw.pop("method", "card"),
        gateway_reference=kw.pop("gateway_reference", f"pi_{uuid.uuid4().hex[:12]}"),
        **kw,
    )
    session.add(payment)
    session.flush()
    return payment


def test_apply_prefills_the_smaller_of_payment_left_and_balance(session, make):
    company = make.company()
    client = make.client(company)
    big = make.invoice(client)  # 240.00
    small = make.invoice(client, paid_minor=210_00)  # 30.00 left to pay
    actor = staff_actor(session, company)
    payment = _payment(session, client, 100_00, applied_minor=0, refunded_minor=20_00)
    by_id = {row.id: row for row in open_invoices(session, actor=actor, payment_id=payment.id)}
    assert by_id[big.id].applicable_major == "80.00"  # 100 - 20 refunded, less than 240
    assert by_id[big.id].balance_major == "240.00"
    assert by_id[small.id].applicable_major == "30.00"  # the balance, less than 80


def test_refund_view_shows_what_was_refunded_and_what_is_left(session, make):
    company = make.company()
    client = make.client(company)
    actor = staff_actor(session, company, role="owner")
    fresh = _payment(session, client, 100_00)
    view = refund_view(session, actor=actor, payment_id=fresh.id)
    assert (view.amount, view.refunded, view.refundable) == ("$100.00", "$0.00", "$100.00")
    assert not view.has_refunds and view.held_back == ""
    part = _payment(session, client, 100_00, refunded_minor=35_00, status="partly_refunded")
    view = refund_view(session, actor=actor, payment_id=part.id)
    assert (view.refunded, view.refundable, view.has_refunds) == ("$35.00", "$65.00", True)
    done = _payment(session, client, 100_00, refunded_minor=100_00, status="refunded")
    view = refund_view(session, actor=actor, payment_id=done.id)
    assert (view.refunded, view.refundable) == ("$100.00", "$0.00")


def test_another_companys_payment_is_not_found(session, make):
    client = make.client(make.company())
    payment = _payment(session, client, 50_00)
    stranger = staff_actor(session, make.company(), role="owner")
    for call in (refund_view, open_invoices):
        with pytest.raises(NotFoundError):
            call(session, actor=stranger, payment_id=payment.id)
        with pytest.raises(NotFoundError):
            call(session, actor=stranger, payment_id="x")
