""" "Pay an amount" (issue 22 item 8): the split, oldest due first, and its checkout against
localstripe, ending with the ledger's invariant checker."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from portal_app.core.errors import ReadOnlyError, ValidationError
from portal_app.models import Checkout, Payment
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import pay_amount as pa
from portal_app.services.payments.pay_amount import DueInvoice, PaymentRules
from tests.conftest import CARD_OK
from tests.helpers.ledger import assert_client_ledger

TODAY = date(2026, 12, 6)
PART_AND_OVER = PaymentRules(allow_under_payment=True, allow_over_payment=True)


def _due(invoice_id, owed, *, days=0, currency="USD", number=None, due=None):
    return DueInvoice(
        invoice_id=invoice_id,
        number=number or f"INV-{invoice_id:03d}",
        due_date=TODAY + timedelta(days=days),
        currency=currency,
        owed_minor=owed,
        due_minor=owed if due is None else due,
    )


# -- the pure split -------------------------------------------------------------------------------


def test_oldest_due_first_and_a_partial_last_invoice():
    invoices = [_due(3, 50_00, days=5), _due(1, 100_00, days=-20), _due(2, 80_00, days=-3)]
    split = pa.allocate(invoices, amount_minor=150_00, currency="USD", rules=PART_AND_OVER)
    assert split.lines == ((1, 100_00), (2, 50_00))
    assert (split.applied_minor, split.unapplied_minor) == (150_00, 0)


def test_same_due_date_goes_by_number():
    invoices = [_due(7, 10_00, number="INV-B"), _due(8, 10_00, number="INV-A")]
    split = pa.allocate(invoices, amount_minor=15_00, currency="USD", rules=PART_AND_OVER)
    assert split.lines == ((8, 10_00), (7, 5_00))


def test_an_exact_amount_settles_whole_invoices():
    invoices = [_due(1, 100_00, days=-2), _due(2, 80_00)]
    split = pa.allocate(invoices, amount_minor=180_00, currency="USD", rules=PaymentRules())
    assert split.lines == ((1, 100_00), (2, 80_00))
    assert split.unapplied_minor == 0 and split.stopped_at is None


def test_more_than_all_due_leaves_the_rest_unapplied():
    invoices = [_due(1, 100_00), _due(2, 80_00, days=1)]
    split = pa.allocate(invoices, amount_minor=200_00, currency="USD", rules=PART_AND_OVER)
    assert split.lines == ((1, 100_00), (2, 80_00))
    assert (split.applied_minor, split.unapplied_minor) == (180_00, 20_00)


def test_jpy_has_no_decimals():
    invoices = [_due(1, 5000, currency="JPY"), _due(2, 3000, days=1, currency="JPY")]
    split = pa.allocate(invoices, amount_minor=6500, currency="JPY", rules=PART_AND_OVER)
    assert split.lines == ((1, 5000), (2, 1500))
    assert pa.parse_amount("6500", "JPY") == 6500
    with pytest.raises(ValidationError, match="JPY allows at most 0 decimal places"):
        pa.parse_amount("6500.5", "JPY")


def test_other_currencies_are_ignored():
    invoices = [_due(1, 100_00, days=-9, currency="EUR"), _due(2, 80_00)]
    split = pa.allocate(invoices, amount_minor=100_00, currency="USD", rules=PART_AND_OVER)
    assert split.lines == ((2, 80_00),) and split.unapplied_minor == 20_00


def test_without_part_payments_the_split_stops_before_the_invoice_it_cannot_settle():
    invoices = [_due(1, 100_00), _due(2, 80_00, days=1)]
    split = pa.allocate(invoices, amount_minor=150_00, currency="USD", rules=PaymentRules())
    assert split.lines == ((1, 100_00),) and split.unapplied_minor == 50_00
    assert split.stopped_at is not None and split.stopped_at.invoice_id == 2
    # The company's smallest part payment counts too.
    rules = PaymentRules(allow_under_payment=True, minimum_under_payment_minor=60_00)
    split = pa.allocate(invoices, amount_minor=150_00, currency="USD", rules=rules)
    assert split.lines == ((1, 100_00),) and split.stopped_at.invoice_id == 2


def test_a_deposit_invoice_takes_money_up_to_its_balance():
    invoices = [_due(1, 100_00, due=30_00), _due(2, 80_00, days=1)]
    split = pa.allocate(invoices, amount_minor=120_00, currency="USD", rules=PaymentRules())
    assert split.lines == ((1, 100_00),) and split.stopped_at.invoice_id == 2
    split = pa.allocate(invoices, amount_minor=40_00, currency="USD", rules=PaymentRules())
    assert split.lines == ((1, 40_00),)  # past the deposit: no part-payment rule applies


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter an amount"),
        ("0", "greater than zero"),
        ("-5", "greater than zero"),
        ("12.345", "at most 2 decimal places"),
        ("1e3", "amount such as"),
        ("1000000000", "too large"),
        ("9" * 30, "too large"),
    ],
)
def test_bad_amounts_are_refused_next_to_the_field(typed, message):
    with pytest.raises(ValidationError, match=message) as info:
        pa.parse_amount(typed, "USD")
    assert info.value.field == "amount"


# -- with the database and localstripe -----------------------------------------------------------


@pytest.fixture
def payer(make):
    company = make.company(allow_under_payment=True, allow_over_payment=True)
    client = make.client(company)
    actor = make.actor(make.contact(client))
    old = make.invoice(
        client, lines=[LineInput("Work", 1000, 100_00)], due_date=date.today() - timedelta(days=20)
    )
    new = make.invoice(client, lines=[LineInput("Work", 1000, 80_00)], due_date=date.today())
    return company, client, actor, old, new


def test_plan_sees_only_the_clients_own_invoices(make, session, payer):
    company, client, actor, old, new = payer
    other = make.client(company)
    make.invoice(other, lines=[LineInput("Work", 1000, 5_00)], due_date=date(2000, 1, 1))
    make.invoice(client, lines=[LineInput("Work", 1000, 7_00)], currency="EUR")
    plan = pa.plan(session, actor=actor, amount="150", currency="usd")
    assert plan.split == ((old.id, 100_00), (new.id, 50_00))
    assert [line.settles for line in plan.lines] == [True, False]
    assert sorted(pa.currencies(session, actor=actor)) == ["EUR", "USD"]
    with pytest.raises(ValidationError) as info:
        pa.plan(session, actor=actor, amount="10", currency="GBP")
    assert info.value.field == "currency"


def test_company_rules_give_clear_errors(session, payer):
    company, _client, actor, _old, _new = payer
    company.allow_over_payment = False
    company.allow_under_payment = False
    session.add(company)
    with pytest.raises(ValidationError, match=r"\$100.00.*\$180.00"):
        pa.plan(session, actor=actor, amount="150", currency="USD")
    with pytest.raises(ValidationError, match=r"cannot pay more.*|owe \$180.00"):
        pa.plan(session, actor=actor, amount="200", currency="USD")
    with pytest.raises(ValidationError, match=r"needs at least \$100.00"):
        pa.plan(session, actor=actor, amount="50", currency="USD")


def _card(tx, actor, gateway, browser_card):
    with tx() as session:
        customer = pa.co.customer_ref_for(session, actor=actor, gateway=gateway)
    return browser_card(customer, CARD_OK)


def test_paying_an_amount_settles_the_oldest_and_keeps_the_rest_unapplied(
    session, tx, payer, gateway, browser_card
):
    _company, client, actor, old, new = payer
    plan = pa.plan(session, actor=actor, amount="200.00", currency="USD")
    assert plan.unapplied_minor == 20_00
    started = pa.start(
        session, actor=actor, amount="200.00", currency="USD", confirmed_split=plan.split
    )
    assert started.card_minor == 200_00
    outcome = flow.pay_with_card(
        tx,
        actor=actor,
        gateway=gateway,
        checkout_id=started.checkout_id,
        method_ref=_card(tx, actor, gateway, browser_card),
    )
    assert outcome.status == "succeeded"
    payment = session.get(Payment, outcome.payment_id)
    assert (payment.amount_minor, payment.applied_minor) == (200_00, 180_00)
    session.refresh(old)
    session.refresh(new)
    assert old.status == new.status == "paid"
    assert_client_ledger(session, client, gateway)


def test_a_partial_split_and_a_double_submit_charge_once(session, tx, payer, gateway, browser_card):
    _company, client, actor, old, new = payer
    plan = pa.plan(session, actor=actor, amount="130", currency="USD")
    started = pa.start(
        session, actor=actor, amount="130", currency="USD", confirmed_split=plan.split
    )
    card = _card(tx, actor, gateway, browser_card)
    first = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=card
    )
    # The same Pay pressed again (a second click or tab) finds the checkout already paid.
    second = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=card
    )
    assert first.status == second.status == "succeeded"
    assert first.payment_id == second.payment_id
    payments = session.exec(select(Payment).where(Payment.client_id == client.id)).all()
    assert [p.amount_minor for p in payments] == [130_00]
    session.refresh(new)
    assert new.status == "partial" and new.balance_minor == 50_00
    # Starting the old split again is refused: the invoices changed (nothing charged).
    with pytest.raises(ValidationError) as info:
        pa.start(session, actor=actor, amount="130", currency="USD", confirmed_split=plan.split)
    assert info.value.field == "split"
    assert_client_ledger(session, client, gateway)


def test_staff_preview_cannot_start(make, session, payer):
    _company, client, _actor, _old, _new = payer
    preview = make.actor(make.contact(client), kind="staff_preview")
    plan = pa.plan(session, actor=preview, amount="100", currency="USD")
    with pytest.raises(ReadOnlyError):
        pa.start(session, actor=preview, amount="100", currency="USD", confirmed_split=plan.split)
    assert session.exec(select(Checkout).where(Checkout.client_id == client.id)).all() == []


def test_pressing_pay_twice_starts_one_live_checkout(session, tx, payer, gateway, browser_card):
    """Two starts of the same split (a double click before the card step) leave one checkout
    that can charge; the first is superseded and charging it takes nothing."""
    _company, client, actor, _old, _new = payer
    plan = pa.plan(session, actor=actor, amount="180", currency="USD")
    first = pa.start(session, actor=actor, amount="180", currency="USD", confirmed_split=plan.split)
    second = pa.start(
        session, actor=actor, amount="180", currency="USD", confirmed_split=plan.split
    )
    card = _card(tx, actor, gateway, browser_card)
    paid = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=second.checkout_id, method_ref=card
    )
    stale = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=first.checkout_id, method_ref=card
    )
    assert (paid.status, stale.status) == ("succeeded", "failed")
    payments = session.exec(select(Payment).where(Payment.client_id == client.id)).all()
    assert [(p.status, p.amount_minor) for p in payments] == [("completed", 180_00)]
    assert_client_ledger(session, client, gateway)
