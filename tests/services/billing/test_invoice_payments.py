"""The invoice page's list of what paid it (issue 18 item 5)."""

import pytest

from portal_app.core.errors import NotFoundError
from portal_app.models import PaymentAllocation
from portal_app.services.billing import invoices
from portal_app.services.payments import ledger


def _paid(make, session, client, invoice, amount_minor, **kw):
    payment = make.payment(client, amount_minor=amount_minor, **kw)
    ledger.allocate_payment(
        session, payment=payment, invoice_id=invoice.id, amount_minor=amount_minor
    )
    return payment


def test_lists_payments_and_credits_with_links(make, session):
    client = make.client(make.company())
    me = make.contact(client)
    invoice = make.invoice(client)  # 240.00
    payment = _paid(make, session, client, invoice, 100_00, method_label="Visa •••• 4242")
    credit = make.credit(client, amount_minor=30_00)
    ledger.allocate_credit(session, credit=credit, invoice_id=invoice.id, amount_minor=30_00)

    view = invoices.open_invoice(session, actor=make.actor(me), invoice_id=invoice.id)

    assert [(p.kind, p.number, p.method, p.amount, p.refunded, p.href) for p in view.payments] == [
        (
            "payment",
            payment.number,
            "Visa •••• 4242",
            "$100.00",
            "",
            f"/client/payments/{payment.id}",
        ),
        ("credit", credit.number, "Credit", "$30.00", "", f"/client/credits/{credit.id}"),
    ]
    assert all(p.date for p in view.payments)
    assert view.balance == "$110.00"


def test_another_clients_payment_never_appears(make, session):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    me = make.contact(mine)
    invoice = make.invoice(mine)
    own = _paid(make, session, mine, invoice, 50_00)
    # A row no service writes (an allocation of a foreign payment or credit to my invoice):
    # the list reads each source under the viewer's scope, so it still stays out.
    foreign = make.payment(theirs, amount_minor=20_00)
    foreign_credit = make.credit(theirs, amount_minor=20_00)
    session.add(
        PaymentAllocation(
            company_id=company.id, payment_id=foreign.id, invoice_id=invoice.id, amount_minor=20_00
        )
    )
    session.add(
        PaymentAllocation(
            company_id=company.id,
            credit_id=foreign_credit.id,
            invoice_id=invoice.id,
            amount_minor=20_00,
        )
    )
    session.flush()

    view = invoices.invoice_view(session, actor=make.actor(me), invoice_id=invoice.id)
    assert [p.number for p in view.payments] == [own.number]
    # Their invoices stay not found, payments and all.
    with pytest.raises(NotFoundError):
        invoices.invoice_view(
            session, actor=make.actor(make.contact(theirs)), invoice_id=invoice.id
        )


def test_pending_and_failed_payments_are_not_listed(make, session):
    client = make.client(make.company())
    invoice = make.invoice(client)
    failed = make.payment(client, amount_minor=10_00, status="failed")
    session.add(
        PaymentAllocation(
            company_id=client.company_id,
            payment_id=failed.id,
            invoice_id=invoice.id,
            amount_minor=10_00,
        )
    )
    session.flush()
    view = invoices.invoice_view(
        session, actor=make.actor(make.contact(client)), invoice_id=invoice.id
    )
    assert view.payments == []


def test_refunds_are_shown_as_refunded(make, session):
    client = make.client(make.company())
    me = make.contact(client)
    invoice = make.invoice(client)
    partly = _paid(make, session, client, invoice, 100_00)
    wholly = _paid(make, session, client, invoice, 40_00)
    ledger.raise_refunded_total(session, payment=partly, total_minor=25_00)
    ledger.raise_refunded_total(session, payment=wholly, total_minor=40_00)

    view = invoices.invoice_view(session, actor=make.actor(me), invoice_id=invoice.id)
    rows = {p.number: p for p in view.payments}
    assert (rows[partly.number].amount, rows[partly.number].refunded) == ("$100.00", "$25.00")
    assert not rows[partly.number].is_refunded
    assert (rows[wholly.number].refunded, rows[wholly.number].is_refunded) == ("$40.00", True)
    assert view.paid_to_date == "$75.00"


def test_link_session_sees_the_payments_of_its_invoice(make, session):
    client = make.client(make.company())
    me = make.contact(client)
    linked, other = make.invoice(client), make.invoice(client)
    payment = _paid(make, session, client, linked, 60_00)
    _paid(make, session, client, other, 70_00)
    credit = make.credit(client, amount_minor=15_00)
    ledger.allocate_credit(session, credit=credit, invoice_id=linked.id, amount_minor=15_00)
    link = make.actor(me, kind="link", link_to=linked)

    view = invoices.open_invoice(session, actor=link, invoice_id=linked.id)
    # The payment opens (its page allows a link session); the credit is named but not linked,
    # since the credits module asks for the password first.
    assert [(p.number, p.href) for p in view.payments] == [
        (payment.number, f"/client/payments/{payment.id}"),
        (credit.number, ""),
    ]
    with pytest.raises(NotFoundError):
        invoices.invoice_view(session, actor=link, invoice_id=other.id)
