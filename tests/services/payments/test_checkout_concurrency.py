"""Two windows paying the same invoice at the same moment: one charge, one payment."""

import threading
from contextlib import contextmanager

from sqlmodel import Session, select

from portal_app.core.errors import ValidationError
from portal_app.models import Payment
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from tests.conftest import Factory
from tests.helpers.ledger import assert_invoices_balance


def test_two_windows_paying_one_invoice_charge_once(engine, gateway, browser_card):
    with Session(engine, expire_on_commit=False) as session:
        make = Factory(session)
        company = make.company()
        client = make.client(company)
        actor = make.actor(make.contact(client))
        invoice = make.invoice(client)
        session.commit()

    @contextmanager
    def tx():
        with Session(engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    with tx() as session:
        customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    cards = [browser_card(customer), browser_card(customer)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def window(card: str) -> None:
        barrier.wait()
        try:
            with tx() as session:
                started = co.start_checkout(
                    session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
                )
            outcome = flow.pay_with_card(
                tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=card
            )
            outcomes.append(outcome.status)
        except ValidationError:
            outcomes.append("refused")

    threads = [threading.Thread(target=window, args=(card,)) for card in cards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2
    assert outcomes.count("succeeded") == 1, outcomes

    with Session(engine) as session:
        payments = session.exec(
            select(Payment).where(Payment.client_id == client.id, Payment.status == "completed")
        ).all()
        assert len(payments) == 1 and payments[0].amount_minor == invoice.amount_minor
        assert_invoices_balance(session, [invoice.id])
    # localstripe cannot filter by customer: page through every intent and keep this one's.
    intents = browser_card.client.v1.payment_intents.list(params={"limit": 100})
    mine = [pi for pi in intents.auto_paging_iter() if pi.customer == customer]
    assert [pi.status for pi in mine].count("succeeded") == 1


def test_a_window_that_read_before_another_paid_is_refused(
    engine, gateway, browser_card, monkeypatch
):
    """The interleaving that charged twice on SQLite, made to happen every time: window A reads
    the invoice as payable, then (between that read and its locks) window B starts, pays and
    finishes; A must then be refused, not charge again. On PostgreSQL A's first read locks the
    row, so B waits for A and is the one refused; either way one charge."""
    with Session(engine, expire_on_commit=False) as session:
        make = Factory(session)
        company = make.company()
        client = make.client(company)
        actor = make.actor(make.contact(client))
        invoice = make.invoice(client)
        session.commit()

    @contextmanager
    def tx():
        with Session(engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    with tx() as session:
        customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    card_a, card_b = browser_card(customer), browser_card(customer)
    outcomes: dict[str, str] = {}

    def window(name: str, card: str) -> None:
        try:
            with tx() as session:
                started = co.start_checkout(
                    session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
                )
            outcome = flow.pay_with_card(
                tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=card
            )
            outcomes[name] = outcome.status
        except ValidationError:
            outcomes[name] = "refused"

    window_b = threading.Thread(target=window, args=("B", card_b))
    work_out = co._work_out

    def work_out_after_b_ran(*args, **kwargs):
        # Called in A right after its first read of the invoices. B runs to its end here on
        # SQLite; on PostgreSQL it waits on A's row lock, so give up waiting after a moment.
        if window_b.ident is None:  # only A's first call; B's own calls pass through
            window_b.start()
            window_b.join(timeout=5)
        return work_out(*args, **kwargs)

    monkeypatch.setattr(co, "_work_out", work_out_after_b_ran)
    window("A", card_a)
    window_b.join(timeout=60)
    # The other window is refused (SQLite), or replaced by the newer one and ends "failed"
    # without a charge (PostgreSQL: B replaces A's checkout that has not reached the gateway).
    assert sorted(outcomes) == ["A", "B"], outcomes
    assert list(outcomes.values()).count("succeeded") == 1, outcomes

    with Session(engine) as session:
        payments = session.exec(
            select(Payment).where(Payment.client_id == client.id, Payment.status == "completed")
        ).all()
        assert len(payments) == 1 and payments[0].amount_minor == invoice.amount_minor
        assert_invoices_balance(session, [invoice.id])
