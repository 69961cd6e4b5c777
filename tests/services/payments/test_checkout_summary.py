"""The pay page's summary (`payment_summary`): the same amounts `start_checkout` then charges."""

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.models import Checkout, Payment
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from tests.helpers.ledger import assert_client_ledger


@pytest.fixture
def payer(make):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    return company, client, make.actor(contact)


def _card(tx, actor, gateway, browser_card) -> str:
    with tx() as session:
        customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    return browser_card(customer)


def _summary(session, actor, invoice, amount=None, *, credit=False):
    amounts = {invoice.id: amount} if amount is not None else {}
    return co.payment_summary(
        session, actor=actor, invoice_ids=[invoice.id], amounts=amounts, apply_credit=credit
    )


def test_credit_applied_is_taken_off_what_the_card_pays(
    make, session, tx, payer, gateway, browser_card
):
    _company, client, actor = payer
    invoice = make.invoice(client)  # 240.00
    make.credit(client, amount_minor=40_00)
    without = _summary(session, actor, invoice)
    assert (without.due, without.credit_applied, without.card) == ("$240.00", "$0.00", "$240.00")
    shown = _summary(session, actor, invoice, credit=True)
    assert (shown.due, shown.credit_applied, shown.card) == ("$240.00", "$40.00", "$200.00")
    assert shown.button_label == "Pay $200.00" and shown.over_payment_minor == 0
    request = co.CheckoutRequest(
        invoice_ids=[invoice.id],
        apply_credit=True,
        expected_credit_minor=shown.credit_applied_minor,
        expected_card_minor=shown.card_minor,
    )
    started = co.start_checkout(session, actor=actor, request=request)
    assert (started.credit_minor, started.card_minor) == (40_00, 200_00)
    outcome = flow.pay_with_card(
        tx,
        actor=actor,
        gateway=gateway,
        checkout_id=started.checkout_id,
        method_ref=_card(tx, actor, gateway, browser_card),
    )
    # What the gateway charged is what the page said.
    payment = session.get(Payment, outcome.payment_id)
    assert gateway.retrieve_payment(payment.gateway_reference).amount_minor == shown.card_minor
    assert_client_ledger(session, client, gateway)


def test_partial_amount_changes_the_summary(make, session, payer):
    company, client, actor = payer
    company.allow_under_payment = True
    session.add(company)
    invoice = make.invoice(client)
    make.credit(client, amount_minor=300_00)
    shown = _summary(session, actor, invoice, "100")
    assert (shown.paying, shown.paying_differs, shown.card) == ("$100.00", True, "$100.00")
    # Credit pays the typed amount, not the whole balance: nothing left for the card.
    with_credit = _summary(session, actor, invoice, "100", credit=True)
    assert (with_credit.credit_applied, with_credit.card_minor) == ("$100.00", 0)
    assert with_credit.button_label == "Pay with my credit"


def test_over_payment_is_shown_and_needs_confirmation(
    make, session, tx, payer, gateway, browser_card
):
    company, client, actor = payer
    company.allow_over_payment = True
    session.add(company)
    invoice = make.invoice(client)
    make.credit(client, amount_minor=40_00)
    shown = _summary(session, actor, invoice, "300", credit=True)
    # Credit pays only what the invoice owes; the extra is card money kept as unapplied.
    assert (shown.paying, shown.credit_applied, shown.card) == ("$300.00", "$40.00", "$260.00")
    assert (shown.over_payment, shown.over_payment_minor) == ("$60.00", 60_00)
    request = dict(invoice_ids=[invoice.id], amounts={invoice.id: "300"}, apply_credit=True)
    with pytest.raises(ValidationError, match=r"\$60.00 more than") as info:
        co.start_checkout(session, actor=actor, request=co.CheckoutRequest(**request))
    assert info.value.field == "over_payment"
    assert session.exec(select(Checkout).where(Checkout.client_id == client.id)).all() == []
    started = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(
            **request, confirm_over_payment=True, expected_card_minor=shown.card_minor
        ),
    )
    outcome = flow.pay_with_card(
        tx,
        actor=actor,
        gateway=gateway,
        checkout_id=started.checkout_id,
        method_ref=_card(tx, actor, gateway, browser_card),
    )
    payment = session.get(Payment, outcome.payment_id)
    assert (payment.amount_minor, payment.applied_minor) == (260_00, 200_00)
    session.refresh(invoice)
    assert invoice.balance_minor == 0
    assert_client_ledger(session, client, gateway)


def test_another_clients_invoice_is_not_found(make, session, payer):
    company, _client, actor = payer
    foreign = make.invoice(make.client(company))
    with pytest.raises(NotFoundError):
        _summary(session, actor, foreign)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "greater than zero"),
        ("0", "greater than zero"),
        ("1000000", "too large"),
        ("999999999999999", "too large"),
        ("1e3", "amount such as"),
        ("12.345", "decimal places"),
    ],
)
def test_bad_typed_amounts_are_refused_with_the_fields_message(
    make, session, payer, typed, message
):
    company, client, actor = payer
    company.allow_under_payment = company.allow_over_payment = True
    session.add(company)
    invoice = make.invoice(client)
    with pytest.raises(ValidationError, match=message) as info:
        _summary(session, actor, invoice, typed)
    assert info.value.field == f"amount_{invoice.id}"


def test_credit_spent_in_another_tab_refuses_the_start(make, session, payer):
    _company, client, actor = payer
    first = make.invoice(client)
    second = make.invoice(client)
    make.credit(client, amount_minor=40_00)
    shown = _summary(session, actor, first, credit=True)
    assert shown.credit_applied_minor == 40_00
    # The other tab uses the credit on another invoice.
    co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[second.id], apply_credit=True),
    )
    with pytest.raises(ValidationError, match=r"credit changed.*\$0.00 can be used") as info:
        co.start_checkout(
            session,
            actor=actor,
            request=co.CheckoutRequest(
                invoice_ids=[first.id],
                apply_credit=True,
                expected_credit_minor=shown.credit_applied_minor,
                expected_card_minor=shown.card_minor,
            ),
        )
    assert info.value.field == "credit"
    # Shown again, the summary now says what the card pays.
    assert _summary(session, actor, first, credit=True).card == "$240.00"


def test_a_stale_card_amount_is_refused(make, session, payer):
    _company, client, actor = payer
    invoice = make.invoice(client)
    with pytest.raises(ValidationError, match=r"now \$240.00") as info:
        co.start_checkout(
            session,
            actor=actor,
            request=co.CheckoutRequest(invoice_ids=[invoice.id], expected_card_minor=135_00),
        )
    assert info.value.field == "amounts"
