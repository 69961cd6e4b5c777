"""Pre-payments: amount rules per currency, an unapplied payment, repeated ones by the job."""

from datetime import date

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import Payment, PrepaymentSchedule
from portal_app.services.identity.link_scope import FullSessionRequired
from portal_app.services.payments import payments as payment_views
from portal_app.services.payments import prepayments as pre
from portal_app.services.payments.prepayment_schedules import run_schedules
from tests.conftest import CARD_DECLINED_ON_CHARGE, CARD_OK
from tests.helpers.subscriptions import saved_card, tx_for

JAN10 = date(2026, 1, 10)


def _actor(make, **company_kw):
    company = make.company(**company_kw)
    client = make.client(company, currency=company.currency)
    return company, client, make.actor(make.contact(client))


@pytest.mark.parametrize(
    ("currency", "minimum", "typed", "expected"),
    [
        ("USD", 100, "12.50", 1250),
        ("USD", 100, "1", 100),
        ("JPY", 100, "500", 500),
        ("KWD", 1000, "1.234", 1234),
    ],
)
def test_amounts_in_each_currency(make, session, currency, minimum, typed, expected):
    _, _, actor = _actor(make, currency=currency, prepayment_min_minor=minimum)
    request = pre.check_request(session, actor=actor, amount=typed, notes="  ahead  ")
    assert (request.amount_minor, request.currency, request.notes) == (expected, currency, "ahead")


@pytest.mark.parametrize(
    ("currency", "typed", "message"),
    [
        ("JPY", "500.5", "JPY allows at most 0 decimal places"),
        ("USD", "12.345", "USD allows at most 2 decimal places"),
        ("KWD", "1.2345", "KWD allows at most 3 decimal places"),
        ("USD", "0", "greater than zero"),
        ("USD", "0.00", "greater than zero"),
        ("USD", "-5", "greater than zero"),
        ("USD", "0.99", "The smallest pre-payment is $1.00"),
        ("USD", "1000.01", "The largest pre-payment is $1,000.00"),
        ("USD", "1e3", "Enter an amount such as"),
        ("USD", "12,50", "Enter an amount such as"),
        ("USD", "NaN", "Enter an amount such as"),
        ("USD", "", "Enter an amount."),
        ("USD", "9" * 30, "Enter an amount such as"),
    ],
)
def test_bad_amounts_get_a_message_for_the_field(make, session, currency, typed, message):
    _, _, actor = _actor(
        make, currency=currency, prepayment_min_minor=100, prepayment_max_minor=1000_00
    )
    with pytest.raises(ValidationError) as caught:
        pre.check_request(session, actor=actor, amount=typed)
    assert caught.value.field == "amount" and message in caught.value.message


def test_repeat_fields_are_checked(make, session):
    _, _, actor = _actor(make)
    ok = pre.check_request(
        session, actor=actor, amount="20", repeat=True, frequency="weekly", times="3"
    )
    assert (ok.repeat, ok.frequency, ok.times) == (True, "weekly", 3)
    endless = pre.check_request(session, actor=actor, amount="20", repeat=True, times=" ")
    assert endless.times is None
    for field, kw in [
        ("frequency", {"frequency": "hourly"}),
        ("times", {"times": "1"}),
        ("times", {"times": "121"}),
        ("times", {"times": "two"}),
        ("times", {"times": "-3"}),
    ]:
        with pytest.raises(ValidationError) as caught:
            pre.check_request(session, actor=actor, amount="20", repeat=True, **kw)
        assert caught.value.field == field
    with pytest.raises(ValidationError) as caught:
        pre.check_request(session, actor=actor, amount="20", notes="x" * 1001)
    assert caught.value.field == "notes"
    link_actor = actor.__class__(actor.company_id, actor.client_id, actor.contact_id, 0, "link")
    # An e-mailed link opens its document only; pre-payments ask for the password.
    with pytest.raises(FullSessionRequired):
        pre.check_request(session, actor=link_actor, amount="20", repeat=True)


def test_module_off_and_preview_are_refused(make, session):
    _, _, actor = _actor(make, enabled_modules="invoices,payments")
    with pytest.raises(NotFoundError):
        pre.check_request(session, actor=actor, amount="20")
    _, _, actor = _actor(make)
    request = pre.check_request(session, actor=actor, amount="20")
    preview = actor.__class__(
        actor.company_id, actor.client_id, actor.contact_id, 0, "staff_preview"
    )
    with pytest.raises(ReadOnlyError):
        pre.start_prepayment(session, actor=preview, request=request)


def test_a_prepayment_is_an_unapplied_payment_with_its_note(make, session, gateway, browser_card):
    _, client, actor = _actor(make)
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    request = pre.check_request(session, actor=actor, amount="75.00", notes="For March work")
    checkout_id = pre.start_prepayment(session, actor=actor, request=request)
    outcome = pre.pay(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        checkout_id=checkout_id,
        method_ref=method_ref,
        request=request,
        today=JAN10,
    )
    assert outcome.status == "succeeded"
    payment = session.get(Payment, outcome.payment_id)
    assert (payment.amount_minor, payment.applied_minor, payment.status) == (75_00, 0, "completed")
    assert payment.notes == "For March work" and payment.prepayment_schedule_id is None
    (row,) = payment_views.list_payments(session, actor=actor).rows
    assert (row.amount, row.unapplied) == ("$75.00", "$75.00")
    view = payment_views.payment_view(session, actor=actor, payment_id=payment.id)
    assert view.has_unapplied and view.unapplied == "$75.00" and view.invoices == []
    assert view.notes == "For March work"
    assert session.exec(select(PrepaymentSchedule)).all() == [] or all(
        s.client_id != client.id for s in session.exec(select(PrepaymentSchedule)).all()
    )


def test_a_declined_prepayment_records_a_failed_payment(make, session, gateway, browser_card):
    _, client, actor = _actor(make)
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    request = pre.check_request(session, actor=actor, amount="10")
    checkout_id = pre.start_prepayment(session, actor=actor, request=request)
    outcome = pre.pay(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        checkout_id=checkout_id,
        method_ref=method_ref,
        request=request,
        today=JAN10,
    )
    assert outcome.status == "failed"
    (payment,) = session.exec(select(Payment).where(Payment.client_id == client.id)).all()
    assert payment.status == "failed"


def test_repeated_prepayments_are_charged_by_the_job(make, session, gateway, browser_card):
    _, client, actor = _actor(make)
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    request = pre.check_request(
        session,
        actor=actor,
        amount="20",
        notes="Monthly top-up",
        repeat=True,
        frequency="monthly",
        times="3",
    )
    checkout_id = pre.start_prepayment(session, actor=actor, request=request)
    outcome = pre.pay(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        checkout_id=checkout_id,
        method_ref=method_ref,
        request=request,
        today=JAN10,
    )
    first = session.get(Payment, outcome.payment_id)
    schedule = session.get(PrepaymentSchedule, first.prepayment_schedule_id)
    assert (schedule.next_date, schedule.remaining_cycles, schedule.issued_count) == (
        date(2026, 2, 10),
        2,
        1,
    )
    (view,) = pre.list_schedules(session, actor=actor)
    assert (view.amount, view.frequency_label, view.left) == ("$20.00", "Monthly", "2 more")

    assert run_schedules(tx_for(session), gateway, date(2026, 2, 9)) == {}
    for day in (date(2026, 2, 10), date(2026, 3, 10)):
        assert run_schedules(tx_for(session), gateway, day) == {"paid": 1}
        assert run_schedules(tx_for(session), gateway, day) == {}
    session.refresh(schedule)
    assert (schedule.status, schedule.next_date, schedule.remaining_cycles) == (
        "completed",
        None,
        0,
    )
    assert run_schedules(tx_for(session), gateway, date(2026, 4, 10)) == {}
    payments = session.exec(
        select(Payment).where(Payment.client_id == client.id).order_by(Payment.id)
    ).all()
    assert [
        (p.amount_minor, p.applied_minor, p.notes, p.prepayment_schedule_id) for p in payments
    ] == [(20_00, 0, "Monthly top-up", schedule.id)] * 3


def test_until_cancelled_and_stopping_a_schedule(make, session, gateway, browser_card):
    _, client, actor = _actor(make)
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    request = pre.check_request(
        session, actor=actor, amount="5", repeat=True, frequency="weekly", times=""
    )
    checkout_id = pre.start_prepayment(session, actor=actor, request=request)
    pre.pay(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        checkout_id=checkout_id,
        method_ref=method_ref,
        request=request,
        today=JAN10,
    )
    (view,) = pre.list_schedules(session, actor=actor)
    assert view.left == "Until cancelled"
    stranger = make.actor(make.contact(make.client(make.company())))
    with pytest.raises(NotFoundError):
        pre.cancel_schedule(session, actor=stranger, schedule_id=view.id)
    link_actor = actor.__class__(actor.company_id, actor.client_id, actor.contact_id, 0, "link")
    with pytest.raises(ReadOnlyError):
        pre.cancel_schedule(session, actor=link_actor, schedule_id=view.id)
    assert run_schedules(tx_for(session), gateway, date(2026, 1, 17)) == {"paid": 1}
    pre.cancel_schedule(session, actor=actor, schedule_id=view.id)
    with pytest.raises(NotFoundError):
        pre.cancel_schedule(session, actor=actor, schedule_id=view.id)
    assert pre.list_schedules(session, actor=actor) == []
    assert run_schedules(tx_for(session), gateway, date(2026, 1, 24)) == {}


def test_a_removed_card_stops_the_schedule(make, session, gateway, browser_card):
    _, client, actor = _actor(make)
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    request = pre.check_request(session, actor=actor, amount="5", repeat=True, frequency="daily")
    checkout_id = pre.start_prepayment(session, actor=actor, request=request)
    outcome = pre.pay(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        checkout_id=checkout_id,
        method_ref=method_ref,
        request=request,
        today=JAN10,
    )
    schedule = session.get(
        PrepaymentSchedule, session.get(Payment, outcome.payment_id).prepayment_schedule_id
    )
    from portal_app.core.db import utcnow
    from portal_app.models import PaymentMethod

    method = session.get(PaymentMethod, schedule.payment_method_id)
    method.removed_at = utcnow()
    session.add(method)
    session.flush()
    assert run_schedules(tx_for(session), gateway, date(2026, 1, 11)) == {"stopped": 1}
    session.refresh(schedule)
    assert schedule.status == "cancelled"
