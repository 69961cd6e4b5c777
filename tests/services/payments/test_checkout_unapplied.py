"""Unapplied payment money at checkout (issue 18 item 6): a pre-payment or over-payment is
offered like credit, held while the checkout runs, and spent once."""

import threading
from contextlib import contextmanager

import pytest
from sqlmodel import Session, select

from portal_app.core.errors import ReadOnlyError, ValidationError
from portal_app.models import Checkout, Payment, PaymentAllocation, PaymentHold
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import ledger
from tests.conftest import Factory
from tests.helpers.ledger import assert_client_ledger


@pytest.fixture
def payer(make):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    return company, client, make.actor(contact)


def _start(session, actor, **request):
    return co.start_checkout(session, actor=actor, request=co.CheckoutRequest(**request))


def _card(tx, actor, gateway, browser_card):
    flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose="test")
    with tx() as session:
        customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    return browser_card(customer, "4242424242424242")


def test_unapplied_money_pays_part_and_the_card_the_rest(
    make, session, tx, payer, gateway, browser_card
):
    _company, client, actor = payer
    prepaid = make.payment(client, amount_minor=100_00)
    invoice = make.invoice(client)
    summary = co.payment_summary(
        session,
        actor=actor,
        invoice_ids=[invoice.id],
        amounts={},
        apply_credit=False,
        apply_unapplied=True,
    )
    assert (summary.unapplied_applied_minor, summary.card_minor) == (100_00, 140_00)
    assert summary.button_label == "Pay $140.00"
    started = _start(
        session,
        actor,
        invoice_ids=[invoice.id],
        apply_unapplied=True,
        expected_unapplied_minor=100_00,
        expected_card_minor=140_00,
    )
    assert (started.prepaid_minor, started.card_minor) == (100_00, 140_00)
    session.refresh(prepaid)
    assert prepaid.held_minor == 100_00  # set aside while the card step runs
    assert_client_ledger(session, client)
    outcome = flow.pay_with_card(
        tx,
        actor=actor,
        gateway=gateway,
        checkout_id=started.checkout_id,
        method_ref=_card(tx, actor, gateway, browser_card),
    )
    assert outcome.status == "succeeded"
    card_payment = session.get(Payment, outcome.payment_id)
    assert card_payment.amount_minor == 140_00  # what localstripe charged
    session.refresh(prepaid)
    session.refresh(invoice)
    assert (prepaid.applied_minor, prepaid.held_minor) == (100_00, 0)
    assert invoice.status == "paid" and invoice.balance_minor == 0
    assert not session.exec(select(PaymentHold)).all()
    assert_client_ledger(session, client, gateway=gateway)


def test_credit_first_then_unapplied_then_nothing_on_the_card(make, session, payer):
    _company, client, actor = payer
    make.credit(client, amount_minor=40_00)
    old = make.payment(client, amount_minor=150_00, applied_minor=0)
    newer = make.payment(client, amount_minor=300_00)
    invoice = make.invoice(client)
    summary = co.payment_summary(
        session,
        actor=actor,
        invoice_ids=[invoice.id],
        amounts={},
        apply_credit=True,
        apply_unapplied=True,
    )
    assert (summary.credit_applied_minor, summary.unapplied_applied_minor) == (40_00, 200_00)
    assert summary.card_minor == 0
    assert summary.button_label == "Pay with my credit and unapplied payments"
    started = _start(
        session, actor, invoice_ids=[invoice.id], apply_credit=True, apply_unapplied=True
    )
    assert (started.credit_minor, started.prepaid_minor, started.card_minor) == (40_00, 200_00, 0)
    receipt = co.settle_with_credit_only(session, actor=actor, checkout_id=started.checkout_id)
    assert receipt.amount_minor == 0 and receipt.method_label == "Credit"
    session.refresh(old)
    session.refresh(newer)
    # Oldest payment first.
    assert (old.applied_minor, newer.applied_minor) == (150_00, 50_00)
    assert session.get(type(invoice), invoice.id).status == "paid"
    assert_client_ledger(session, client)


def test_unapplied_alone_pays_the_invoice(make, session, payer):
    _company, client, actor = payer
    prepaid = make.payment(client, amount_minor=500_00)
    invoice = make.invoice(client)
    started = _start(session, actor, invoice_ids=[invoice.id], apply_unapplied=True)
    assert (started.prepaid_minor, started.card_minor) == (240_00, 0)
    receipt = co.settle_with_credit_only(session, actor=actor, checkout_id=started.checkout_id)
    assert receipt.method_label == "Unapplied payments"
    allocations = session.exec(
        select(PaymentAllocation).where(PaymentAllocation.invoice_id == invoice.id)
    ).all()
    assert [(a.payment_id, a.credit_id, a.amount_minor) for a in allocations] == [
        (prepaid.id, None, 240_00)
    ]
    session.refresh(prepaid)
    assert ledger.unapplied_minor(prepaid) == 260_00
    assert_client_ledger(session, client)


def test_only_the_clients_own_received_unapplied_money_of_the_currency_counts(make, session, payer):
    company, client, actor = payer
    make.payment(make.client(company), amount_minor=100_00)  # another client's
    make.payment(client, amount_minor=100_00, currency="EUR")  # another currency
    make.payment(client, amount_minor=100_00, refunded_minor=100_00, status="refunded")
    make.payment(client, amount_minor=100_00, status="failed")
    make.payment(client, amount_minor=100_00, status="pending")
    make.payment(client, amount_minor=100_00, applied_minor=100_00)  # all on invoices
    invoice = make.invoice(client)
    view = co.preview(session, actor=actor, invoice_ids=[invoice.id])
    assert view.unapplied_available_minor == 0
    started = _start(session, actor, invoice_ids=[invoice.id], apply_unapplied=True)
    assert (started.prepaid_minor, started.card_minor) == (0, 240_00)
    assert not session.exec(select(PaymentHold)).all()


def test_over_payment_does_not_spend_unapplied_money_on_more_unapplied_money(make, session, payer):
    company, client, actor = payer
    company.allow_over_payment = True
    session.add(company)
    make.payment(client, amount_minor=500_00)
    invoice = make.invoice(client)
    started = _start(
        session,
        actor,
        invoice_ids=[invoice.id],
        amounts={invoice.id: "300"},
        apply_unapplied=True,
        confirm_over_payment=True,
    )
    assert (started.prepaid_minor, started.card_minor) == (240_00, 60_00)


def test_money_used_in_another_tab_is_refused_with_the_new_figure(make, session, payer):
    _company, client, actor = payer
    prepaid = make.payment(client, amount_minor=100_00)
    first, second = make.invoice(client), make.invoice(client)
    # Both tabs showed $100.00; the first one takes it.
    _start(
        session,
        actor,
        invoice_ids=[first.id],
        apply_unapplied=True,
        expected_unapplied_minor=100_00,
    )
    # begin_nested: the page's transaction rolls back.
    with (
        pytest.raises(ValidationError, match=r"\$0\.00 can be used now") as refused,
        session.begin_nested(),
    ):
        _start(
            session,
            actor,
            invoice_ids=[second.id],
            apply_unapplied=True,
            expected_unapplied_minor=100_00,
        )
    assert refused.value.field == "unapplied"
    session.refresh(prepaid)
    assert prepaid.held_minor == 100_00
    assert len(session.exec(select(PaymentHold)).all()) == 1
    assert_client_ledger(session, client)


def test_double_click_holds_the_money_once(make, session, payer):
    _company, client, actor = payer
    prepaid = make.payment(client, amount_minor=100_00)
    invoice = make.invoice(client)
    old = _start(session, actor, invoice_ids=[invoice.id], apply_unapplied=True)
    new = _start(session, actor, invoice_ids=[invoice.id], apply_unapplied=True)
    # The first, never charged, is superseded and gives its money back to the second.
    assert session.get(Checkout, old.checkout_id).status == "expired"
    assert new.prepaid_minor == 100_00
    session.refresh(prepaid)
    assert prepaid.held_minor == 100_00
    holds = session.exec(select(PaymentHold)).all()
    assert [h.checkout_id for h in holds] == [new.checkout_id]
    assert_client_ledger(session, client)


def test_a_given_up_checkout_frees_the_money(make, session, payer):
    _company, client, actor = payer
    prepaid = make.payment(client, amount_minor=100_00)
    invoice = make.invoice(client)
    started = _start(session, actor, invoice_ids=[invoice.id], apply_unapplied=True)
    co.fail_checkout(session, checkout_id=started.checkout_id, message="Cancelled.")
    session.refresh(prepaid)
    assert prepaid.held_minor == 0 and prepaid.applied_minor == 0
    view = co.preview(session, actor=actor, invoice_ids=[invoice.id])
    assert view.unapplied_available_minor == 100_00
    assert_client_ledger(session, client)


def test_held_money_cannot_be_applied_by_staff_and_a_refund_takes_it_back(make, session, payer):
    _company, client, actor = payer
    prepaid = make.payment(client, amount_minor=300_00)
    invoice, other = make.invoice(client), make.invoice(client)
    started = _start(session, actor, invoice_ids=[invoice.id], apply_unapplied=True)
    assert started.prepaid_minor == 240_00
    ledger.allocate_payment(session, payment=prepaid, invoice_id=other.id, amount_minor=60_00)
    # The rest is held by the checkout.
    with pytest.raises(ledger.LedgerRefused), session.begin_nested():
        ledger.allocate_payment(session, payment=prepaid, invoice_id=other.id, amount_minor=1)
    # The gateway refunded 40.00 of it (e.g. from Stripe's dashboard): with no free unapplied
    # money left, it comes out of the checkout's hold.
    refund = ledger.raise_refunded_total(session, payment=prepaid, total_minor=40_00)
    assert refund.from_unapplied == 40_00 and refund.invoices == []
    session.refresh(prepaid)
    assert (prepaid.refunded_minor, prepaid.held_minor) == (40_00, 200_00)
    assert_client_ledger(session, client)
    # Settling applies only what is still held; the rest of the invoice stays open.
    co.settle_with_credit_only(session, actor=actor, checkout_id=started.checkout_id)
    session.refresh(invoice)
    assert invoice.balance_minor == 40_00 and invoice.status == "partial"
    assert_client_ledger(session, client)


def test_two_tabs_at_the_same_moment_spend_the_money_once(engine):
    with Session(engine, expire_on_commit=False) as session:
        make = Factory(session)
        client = make.client(make.company())
        actor = make.actor(make.contact(client))
        prepaid = make.payment(client, amount_minor=100_00)
        invoices = [make.invoice(client), make.invoice(client)]
        session.commit()

    @contextmanager
    def tx():
        with Session(engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def tab(invoice_id: int) -> None:
        barrier.wait()
        try:
            with tx() as session:
                started = co.start_checkout(
                    session,
                    actor=actor,
                    request=co.CheckoutRequest(
                        invoice_ids=[invoice_id],
                        apply_unapplied=True,
                        expected_unapplied_minor=100_00,
                    ),
                )
            outcomes.append(f"held {started.prepaid_minor}")
        except ValidationError as exc:
            outcomes.append(exc.field)
        except Exception as exc:  # SQLite's single writer may refuse the loser outright
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=tab, args=(inv.id,)) for inv in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2 and outcomes.count("held 10000") == 1, outcomes
    with Session(engine) as session:
        assert session.get(Payment, prepaid.id).held_minor == 100_00
        holds = session.exec(select(PaymentHold).where(PaymentHold.payment_id == prepaid.id))
        assert sum(h.amount_minor for h in holds) == 100_00
        assert_client_ledger(session, client)


def test_staff_preview_holds_and_spends_nothing(make, session, payer):
    _company, client, _actor = payer
    prepaid = make.payment(client, amount_minor=100_00)
    invoice = make.invoice(client)
    preview_actor = make.actor(make.contact(client), kind="staff_preview")
    view = co.preview(session, actor=preview_actor, invoice_ids=[invoice.id])
    assert view.unapplied_available_minor == 100_00  # shown, read-only
    with pytest.raises(ReadOnlyError):
        _start(session, preview_actor, invoice_ids=[invoice.id], apply_unapplied=True)
    session.refresh(prepaid)
    # (This payment's holds only: the threaded test above commits rows of its own.)
    holds = session.exec(select(PaymentHold).where(PaymentHold.payment_id == prepaid.id)).all()
    assert prepaid.held_minor == 0 and not holds
