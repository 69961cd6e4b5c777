"""No invoice is marked paid with money that never arrived: the sequences an adversarial client
used, driven through the services the pay page uses, against localstripe, on SQLite and
PostgreSQL. Every money step ends with the ledger's invariant checker."""

from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.models import Checkout, Credit, CreditHold, Payment, PaymentAllocation
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import ledger
from tests.conftest import CARD_3DS, CARD_OK
from tests.helpers.ledger import assert_client_ledger


@pytest.fixture
def acme(make):
    """A client with $184.18 of credit and two invoices, each larger than the credit."""
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    credit = make.credit(client, amount_minor=184_18)
    first = make.invoice(client, lines=[LineInput("Work", 1000, 2078_25)])
    second = make.invoice(client, lines=[LineInput("Work", 1000, 900_00)])
    return client, actor, credit, first, second


def _card(tx, actor, gateway, browser_card, number=CARD_OK) -> str:
    with tx() as session:
        customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    return browser_card(customer, number)


def _credit_used(session, credit: Credit) -> int:
    allocations = session.exec(
        select(PaymentAllocation).where(PaymentAllocation.credit_id == credit.id)
    ).all()
    return sum(a.amount_minor for a in allocations)


def test_two_tabs_cannot_both_spend_the_same_credit(session, tx, acme, gateway, browser_card):
    client, actor, credit, first, second = acme
    card = _card(tx, actor, gateway, browser_card)
    # Both tabs press Pay with "use my credit" on, then finish their card steps in turn.
    tab_one = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[first.id], apply_credit=True),
    )
    tab_two = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[second.id], apply_credit=True),
    )
    assert (tab_one.credit_minor, tab_one.card_minor) == (184_18, first.amount_minor - 184_18)
    # The credit is held by the first tab: the second plans none of it and charges it all.
    assert (tab_two.credit_minor, tab_two.card_minor) == (0, second.amount_minor)
    for started in (tab_one, tab_two):
        outcome = flow.pay_with_card(
            tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=card
        )
        assert outcome.status == "succeeded"
        assert_client_ledger(session, client, gateway)
    assert _credit_used(session, credit) == 184_18
    for invoice in (first, second):
        session.refresh(invoice)
        assert invoice.status == "paid"
    payments = session.exec(select(Payment).where(Payment.client_id == client.id)).all()
    assert sorted(p.amount_minor for p in payments) == sorted(
        [first.amount_minor - 184_18, second.amount_minor]
    )
    assert all(p.applied_minor == p.amount_minor for p in payments)


def test_a_tab_whose_credit_went_elsewhere_is_told_and_nothing_changes(session, acme):
    client, actor, credit, first, second = acme
    co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[first.id], apply_credit=True),
    )
    before = session.exec(select(Checkout).where(Checkout.client_id == client.id)).all()
    # The second tab still shows the credit it saw when it opened.
    with pytest.raises(ValidationError) as refused, session.begin_nested():
        co.start_checkout(
            session,
            actor=actor,
            request=co.CheckoutRequest(
                invoice_ids=[second.id], apply_credit=True, expected_credit_minor=184_18
            ),
        )
    assert refused.value.field == "credit"
    assert "$0.00 can be used now" in refused.value.message
    assert session.exec(select(Checkout).where(Checkout.client_id == client.id)).all() == before
    assert_client_ledger(session, client)


def test_card_money_is_never_stretched_over_credit_that_is_gone(
    session, tx, make, acme, gateway, browser_card, localstripe_url
):
    """A 3-D Secure checkout is abandoned, its credit goes to another checkout, then the bank
    confirms after all: the invoice gets the card money only, not the credit it had planned."""
    client, actor, credit, first, second = acme
    small = make.invoice(client, lines=[LineInput("Work", 1000, 184_18)])
    card_3ds = _card(tx, actor, gateway, browser_card, CARD_3DS)
    abandoned = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[first.id], apply_credit=True),
    )
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=abandoned.checkout_id, method_ref=card_3ds
    )
    assert outcome.status == "requires_action"
    # Left alone longer than a lock lasts: the next checkout gets the credit back.
    checkout = session.get(Checkout, abandoned.checkout_id)
    checkout.updated_at = utcnow() - timedelta(minutes=co.LOCK_MINUTES + 1)
    session.add(checkout)
    session.flush()
    taker = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[small.id], apply_credit=True),
    )
    assert (taker.credit_minor, taker.card_minor) == (184_18, 0)
    co.settle_with_credit_only(session, actor=actor, checkout_id=taker.checkout_id)
    assert_client_ledger(session, client, gateway)
    # Now the client completes the old challenge after all.
    intent_ref = outcome.client_secret.split("_secret_")[0]
    response = httpx.post(
        f"{localstripe_url}/v1/payment_intents/{intent_ref}/_authenticate",
        params={"success": "true"},
        json={"key": "pk_test_portal", "client_secret": outcome.client_secret},
    )
    assert response.status_code == 200
    after = flow.confirm_after_action(
        tx, actor=actor, gateway=gateway, checkout_id=abandoned.checkout_id
    )
    assert after.status == "succeeded"
    session.refresh(first)
    paid_by_card = first.amount_minor - 184_18
    assert first.status == "partial"
    assert (first.paid_to_date_minor, first.balance_minor) == (paid_by_card, 184_18)
    payment = session.get(Payment, after.payment_id)
    assert payment.amount_minor == payment.applied_minor == paid_by_card
    assert_client_ledger(session, client, gateway)


def test_a_superseded_credit_only_checkout_never_settles(session, make, acme):
    client, actor, credit, first, second = acme
    small = make.invoice(client, lines=[LineInput("Work", 1000, 100_00)])
    request = co.CheckoutRequest(invoice_ids=[small.id], apply_credit=True)
    older = co.start_checkout(session, actor=actor, request=request)
    newer = co.start_checkout(session, actor=actor, request=request)  # another tab, same invoice
    assert session.get(Checkout, older.checkout_id).status == "expired"
    with pytest.raises(ValidationError), session.begin_nested():
        co.settle_with_credit_only(session, actor=actor, checkout_id=older.checkout_id)
    co.settle_with_credit_only(session, actor=actor, checkout_id=newer.checkout_id)
    with pytest.raises(ValidationError), session.begin_nested():
        co.settle_with_credit_only(session, actor=actor, checkout_id=older.checkout_id)
    payments = session.exec(select(Payment).where(Payment.client_id == client.id)).all()
    assert len(payments) == 1
    assert _credit_used(session, credit) == 100_00
    assert_client_ledger(session, client)


def test_a_failed_checkout_gives_its_credit_back(session, tx, acme, gateway, browser_card):
    from tests.conftest import CARD_DECLINED_ON_CHARGE

    client, actor, credit, first, _second = acme
    declined = _card(tx, actor, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    started = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[first.id], apply_credit=True),
    )
    session.refresh(credit)
    assert credit.balance_minor == 0  # held
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=declined
    )
    assert outcome.status == "failed"
    session.refresh(credit)
    assert credit.balance_minor == 184_18
    assert session.exec(select(CreditHold).where(CreditHold.credit_id == credit.id)).all() == []
    assert_client_ledger(session, client, gateway)


def test_the_ledger_refuses_to_spend_what_is_not_there(session, make):
    client = make.client(make.company())
    credit = make.credit(client, amount_minor=50_00)
    invoice = make.invoice(client)
    payment = make.payment(client, amount_minor=30_00, method="manual")
    with pytest.raises(ledger.LedgerRefused), session.begin_nested():
        ledger.allocate_credit(session, credit=credit, invoice_id=invoice.id, amount_minor=60_00)
    with pytest.raises(ledger.LedgerRefused), session.begin_nested():
        ledger.allocate_payment(session, payment=payment, invoice_id=invoice.id, amount_minor=30_01)
    with pytest.raises(ledger.LedgerRefused), session.begin_nested():
        ledger.allocate_payment(session, payment=payment, invoice_id=invoice.id, amount_minor=-1)
    ledger.allocate_payment(session, payment=payment, invoice_id=invoice.id, amount_minor=30_00)
    ledger.allocate_credit(session, credit=credit, invoice_id=invoice.id, amount_minor=50_00)
    session.refresh(invoice)
    assert invoice.paid_to_date_minor == 80_00
    assert invoice.balance_minor == invoice.amount_minor - 80_00
    # More than the invoice owes is refused even with money to spare.
    big = make.payment(client, amount_minor=10_000_00, method="manual")
    with pytest.raises(ledger.LedgerRefused), session.begin_nested():
        ledger.allocate_payment(
            session, payment=big, invoice_id=invoice.id, amount_minor=invoice.balance_minor + 1
        )
    assert_client_ledger(session, client)


def test_the_database_refuses_a_negative_balance(session, make):
    from sqlalchemy.exc import IntegrityError

    client = make.client(make.company())
    invoice = make.invoice(client)
    credit = make.credit(client, amount_minor=10_00)
    for row, column in ((invoice, "balance_minor"), (credit, "balance_minor")):
        with pytest.raises(IntegrityError), session.begin_nested():
            setattr(row, column, -1)
            session.add(row)
            session.flush()
        session.refresh(row)


def test_card_money_for_an_invoice_paid_elsewhere_stays_unapplied_for_staff(
    session, tx, make, gateway, browser_card, localstripe_url
):
    from portal_app.models import InvoiceLock
    from portal_app.services.payments import staff_payment_views
    from tests.helpers.staff import add_staff, staff_actor

    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)
    card_3ds = _card(tx, actor, gateway, browser_card, CARD_3DS)
    card_ok = _card(tx, actor, gateway, browser_card)
    slow = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=slow.checkout_id, method_ref=card_3ds
    )
    assert outcome.status == "requires_action"
    # Its lock runs out; the invoice is paid from another window meanwhile.
    for lock in session.exec(
        select(InvoiceLock).where(InvoiceLock.checkout_id == slow.checkout_id)
    ):
        lock.expires_at = utcnow() - timedelta(seconds=1)
        session.add(lock)
    session.flush()
    fast = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    assert (
        flow.pay_with_card(
            tx, actor=actor, gateway=gateway, checkout_id=fast.checkout_id, method_ref=card_ok
        ).status
        == "succeeded"
    )
    intent_ref = outcome.client_secret.split("_secret_")[0]
    httpx.post(
        f"{localstripe_url}/v1/payment_intents/{intent_ref}/_authenticate",
        params={"success": "true"},
        json={"key": "pk_test_portal", "client_secret": outcome.client_secret},
    ).raise_for_status()
    late = flow.confirm_after_action(tx, actor=actor, gateway=gateway, checkout_id=slow.checkout_id)
    assert late.status == "succeeded"
    payment = session.get(Payment, late.payment_id)
    assert (payment.amount_minor, payment.applied_minor) == (invoice.amount_minor, 0)
    session.refresh(invoice)
    assert invoice.status == "paid" and invoice.paid_to_date_minor == invoice.amount_minor
    staff = staff_actor(add_staff(session, company, password_hash="x"))
    listed = staff_payment_views.list_payments(session, actor=staff, status="unapplied")
    assert [row.id for row in listed.rows] == [payment.id]
    assert listed.rows[0].can_apply
    assert_client_ledger(session, client, gateway)


def test_a_failure_reported_after_another_worker_settled_leaves_the_checkout_paid(engine):
    """A decline or webhook failure handled by a worker that read the checkout before another
    worker settled it must not write "failed" over "succeeded"."""
    from sqlmodel import Session

    from tests.conftest import Factory

    with Session(engine, expire_on_commit=False) as setup:
        make = Factory(setup)
        client = make.client(make.company())
        actor = make.actor(make.contact(client))
        make.credit(client, amount_minor=500_00)
        invoice = make.invoice(client)
        started = co.start_checkout(
            setup,
            actor=actor,
            request=co.CheckoutRequest(invoice_ids=[invoice.id], apply_credit=True),
        )
        setup.commit()
    with Session(engine, expire_on_commit=False) as late, Session(engine) as first:
        read_before = late.get(Checkout, started.checkout_id)
        assert read_before.status == "open"
        co.settle_with_credit_only(first, actor=actor, checkout_id=started.checkout_id)
        first.commit()
        co.fail_checkout(late, checkout_id=started.checkout_id, message="declined")
        late.commit()
    with Session(engine) as check:
        assert check.get(Checkout, started.checkout_id).status == "succeeded"
        assert_client_ledger(check, client)
