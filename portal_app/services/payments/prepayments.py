"""Client-initiated pre-payments (the "prepayment" module): money paid ahead of any invoice.

A pre-payment is a checkout with no invoice lines: settling it (services.checkout) writes a
payment whose `applied_minor` is 0, so all of it is unapplied until staff apply it to
invoices. The amount is in the company's currency, parsed with money.py rules and held to the
company's minimum and maximum. "Repeat" saves the card and creates a PrepaymentSchedule; the
"prepayment_schedules" job charges it off-session on each later date (the first payment is the
one made now, so a schedule of N times has N - 1 left).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from portal_app.core.db import id_of, utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext, ngettext
from portal_app.core.locale import format_day
from portal_app.core.money import currency_exponent, format_money, parse_major
from portal_app.core.pickling import positional_pickle
from portal_app.core.schedule import FREQUENCY_LABELS, period_date
from portal_app.gateways.base import PaymentGateway
from portal_app.models import Checkout, Company, Payment, PaymentMethod, PrepaymentSchedule
from portal_app.models.recurring import FREQUENCIES
from portal_app.models.statuses import PrepaymentScheduleStatus
from portal_app.schemas.subscription import PrepaymentLimits
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import payment_methods
from portal_app.services.payments.checkout_flow import Tx

MAX_NOTES = 1000
MAX_TIMES = 120


@dataclass(frozen=True, slots=True)
class PrepaymentRequest:
    """A checked pre-payment: amount in minor units of `currency`; times None = until cancelled."""

    amount_minor: int
    currency: str
    notes: str
    repeat: bool = False
    frequency: str = "monthly"
    times: int | None = None


@positional_pickle
@dataclass(frozen=True, slots=True)
class ScheduleView:
    """A repeated pre-payment as the client sees it."""

    id: int
    amount: str
    frequency_label: str
    next_date: str
    left: str  # "3 more" or "Until cancelled"
    status: str


def _company(session: Session, actor: Actor) -> Company:
    modules.require(session, actor=actor, module="prepayment")
    return session.get_one(Company, actor.company_id)


def limits(session: Session, *, actor: Actor) -> PrepaymentLimits:
    """The currency, minimum and maximum the pre-payment form states."""
    company = _company(session, actor)
    locale = client_locale(session, actor)
    return PrepaymentLimits(
        currency=company.currency,
        minimum=format_money(company.prepayment_min_minor, company.currency, locale),
        maximum=format_money(_maximum(company), company.currency, locale),
        decimals=currency_exponent(company.currency),
    )


def _maximum(company: Company) -> int:
    return min(company.prepayment_max_minor, co.MAX_CHARGE_MINOR)


def check_request(
    session: Session,
    *,
    actor: Actor,
    amount: object,
    notes: object = "",
    repeat: bool = False,
    frequency: object = "monthly",
    times: object = "",
) -> PrepaymentRequest:
    """Check what the form sent; ValidationError names the first bad field."""
    company = _company(session, actor)
    currency = company.currency
    locale = client_locale(session, actor)
    text = str(amount if amount is not None else "").strip()[:40]
    if not text:
        raise ValidationError("amount", gettext("Enter an amount."))
    try:
        minor = parse_major(text, currency)
    except ValueError as exc:
        raise ValidationError("amount", str(exc)) from exc
    if minor <= 0:
        raise ValidationError("amount", gettext("Enter an amount greater than zero."))
    if minor < company.prepayment_min_minor:
        smallest = format_money(company.prepayment_min_minor, currency, locale)
        raise ValidationError(
            "amount", gettext("The smallest pre-payment is %(amount)s.") % {"amount": smallest}
        )
    if minor > _maximum(company):
        largest = format_money(_maximum(company), currency, locale)
        raise ValidationError(
            "amount", gettext("The largest pre-payment is %(amount)s.") % {"amount": largest}
        )
    note = str(notes or "").strip()
    if len(note) > MAX_NOTES:
        raise ValidationError(
            "notes",
            gettext("Keep the note under %(num)d characters.") % {"num": MAX_NOTES},
        )
    if not repeat:
        return PrepaymentRequest(minor, currency, note)
    freq = str(frequency or "")
    if freq not in FREQUENCIES:
        raise ValidationError("frequency", gettext("Choose how often to repeat the payment."))
    count_text = str(times if times is not None else "").strip()
    count = None
    if count_text:
        if not count_text.isdigit() or not 2 <= int(count_text) <= MAX_TIMES:
            raise ValidationError(
                "times",
                gettext(
                    "Enter how many times in all, from 2 to %(most)d, or leave it empty to "
                    "repeat until you cancel."
                )
                % {"most": MAX_TIMES},
            )
        count = int(count_text)
    if actor.is_link_session:
        raise ReadOnlyError(gettext("Sign in with your password to set up repeated pre-payments."))
    return PrepaymentRequest(minor, currency, note, True, freq, count)


def start_prepayment(
    session: Session,
    *,
    actor: Actor,
    request: PrepaymentRequest,
    payment_method_id: int | None = None,
) -> int:
    """A checkout for the pre-payment (no invoices); returns its id. Never for a preview."""
    if not actor.may_move_money:
        raise ReadOnlyError(gettext("Staff preview cannot make payments."))
    company = _company(session, actor)
    if request.currency != company.currency or request.amount_minor <= 0:
        raise ValidationError("amount", gettext("Enter the amount again."))
    method = (
        payment_methods.owned_method(session, actor=actor, method_id=payment_method_id)
        if payment_method_id is not None
        else None
    )
    checkout = Checkout(
        company_id=actor.company_id,
        client_id=actor.client_id,
        contact_id=actor.contact_id,
        currency=request.currency,
        lines_json=json.dumps([]),
        card_minor=request.amount_minor,
        payment_method_id=method.id if method else None,
        gateway_payment_method=method.method_ref if method else "",
    )
    session.add(checkout)
    session.flush()
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action="prepayment_started",
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type="checkout",
        entity_id=checkout.id,
        ip=actor.ip,
        details={"amount": request.amount_minor, "repeat": request.repeat},
    )
    return id_of(checkout)


def finish_prepayment(
    session: Session,
    *,
    actor: Actor,
    checkout_id: int,
    request: PrepaymentRequest,
    method_ref: str,
    today: date,
) -> Payment:
    """Once the checkout's payment succeeded: keep the note, and make the schedule if asked."""
    checkout = session.get(Checkout, checkout_id)
    if checkout is None or checkout.client_id != actor.client_id or not checkout.payment_id:
        raise NotFoundError("checkout")
    payment = session.get_one(Payment, checkout.payment_id)
    payment.notes = request.notes[:MAX_NOTES]
    if request.repeat and payment.prepayment_schedule_id is None:
        method = session.exec(
            select(PaymentMethod).where(
                PaymentMethod.method_ref == method_ref,
                client_scope(PaymentMethod, actor),
                col(PaymentMethod.removed_at).is_(None),
            )
        ).first()
        if method is not None:
            schedule = PrepaymentSchedule(
                company_id=actor.company_id,
                client_id=actor.client_id,
                contact_id=actor.contact_id,
                payment_method_id=method.id,
                amount_minor=checkout.card_minor,
                currency=checkout.currency,
                notes=payment.notes,
                frequency=request.frequency,
                start_date=today,
                next_date=period_date(today, request.frequency, 1),
                issued_count=1,
                remaining_cycles=request.times - 1 if request.times else None,
            )
            session.add(schedule)
            session.flush()
            payment.prepayment_schedule_id = schedule.id
    payment.updated_at = utcnow()
    session.add(payment)
    return payment


def pay(
    tx: Tx,
    *,
    actor: Actor,
    gateway: PaymentGateway,
    checkout_id: int,
    method_ref: str,
    request: PrepaymentRequest,
    today: date,
) -> co.ChargeOutcome:
    """Charge the pre-payment's checkout and, on success, finish it (note, schedule)."""
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=checkout_id, method_ref=method_ref
    )
    return _finish(tx, actor, outcome, checkout_id, method_ref, request, today)


def finish_after_action(
    tx: Tx,
    *,
    actor: Actor,
    gateway: PaymentGateway,
    checkout_id: int,
    method_ref: str,
    request: PrepaymentRequest,
    today: date,
) -> co.ChargeOutcome:
    """After 3-D Secure in the browser: read the payment back and finish it."""
    outcome = flow.confirm_after_action(tx, actor=actor, gateway=gateway, checkout_id=checkout_id)
    return _finish(tx, actor, outcome, checkout_id, method_ref, request, today)


def _finish(
    tx: Tx,
    actor: Actor,
    outcome: co.ChargeOutcome,
    checkout_id: int,
    method_ref: str,
    request: PrepaymentRequest,
    today: date,
) -> co.ChargeOutcome:
    if outcome.status == "succeeded":
        with tx() as session:
            finish_prepayment(
                session,
                actor=actor,
                checkout_id=checkout_id,
                request=request,
                method_ref=method_ref,
                today=today,
            )
    return outcome


# -- schedules ----------------------------------------------------------------------------------


def list_schedules(session: Session, *, actor: Actor) -> list[ScheduleView]:
    """The client's active repeated pre-payments."""
    _company(session, actor)
    locale = client_locale(session, actor)
    rows = session.exec(
        select(PrepaymentSchedule)
        .where(
            client_scope(PrepaymentSchedule, actor),
            PrepaymentSchedule.status == PrepaymentScheduleStatus.ACTIVE,
        )
        .order_by(col(PrepaymentSchedule.id).desc())
        .limit(100)
    ).all()
    return [
        ScheduleView(
            id=id_of(s),
            amount=format_money(s.amount_minor, s.currency, locale),
            frequency_label=gettext(FREQUENCY_LABELS.get(s.frequency, s.frequency)),
            next_date=format_day(s.next_date, locale),
            left=(
                gettext("Until cancelled")
                if s.remaining_cycles is None
                else ngettext("%(num)d more", "%(num)d more", s.remaining_cycles)
                % {"num": s.remaining_cycles}
            ),
            status=s.status,
        )
        for s in rows
    ]


def cancel_schedule(session: Session, *, actor: Actor, schedule_id: object) -> None:
    """Stop one of the client's repeated pre-payments (nothing more is charged)."""
    if actor.is_preview:
        raise ReadOnlyError(gettext("Staff preview cannot change pre-payments."))
    if actor.is_link_session:
        raise ReadOnlyError(gettext("Sign in with your password to change repeated pre-payments."))
    _company(session, actor)
    schedule = None
    if isinstance(schedule_id, int) and not isinstance(schedule_id, bool):
        schedule = session.get(PrepaymentSchedule, schedule_id)
    if (
        schedule is None
        or schedule.company_id != actor.company_id
        or schedule.client_id != actor.client_id
        or schedule.status != "active"
    ):
        raise NotFoundError("schedule")
    schedule.status = PrepaymentScheduleStatus.CANCELLED
    schedule.next_date = None
    schedule.updated_at = utcnow()
    session.add(schedule)
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action="prepayment_schedule_cancelled",
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type="prepayment_schedule",
        entity_id=schedule.id,
        ip=actor.ip,
    )
