"""Repeated pre-payments, charged by the "prepayment_schedules" job with the saved card.

Each due date is claimed by a conditional UPDATE (issued_count and next date as read) in the
same transaction that makes its checkout, so however often the job runs a date is charged at
most once; the checkout id is the gateway idempotency key. One date per schedule per run (a
missed date is caught up by the next run). A declined card is recorded as a failed payment and
the schedule goes on; a card removed since stops the schedule.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from datetime import date

from sqlalchemy import case, update
from sqlmodel import Session, col, select

from portal_app.core.card_labels import stored_card_label
from portal_app.core.db import id_of, utcnow
from portal_app.core.schedule import period_date
from portal_app.gateways.base import CardDeclinedError, GatewayError, PaymentGateway
from portal_app.models import Checkout, Payment, PaymentMethod, PrepaymentSchedule
from portal_app.models.statuses import PrepaymentScheduleStatus
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments.checkout_flow import Tx

log = logging.getLogger(__name__)

MAX_PER_RUN = 5000
NEEDS_AUTHENTICATION = "The card needs the cardholder to confirm this payment."

# The job passes a factory, so a run that has nothing due never builds a gateway client.
GatewaySource = PaymentGateway | Callable[[], PaymentGateway]


def due_schedule_ids(session: Session, today: date) -> list[int]:
    """Active schedules whose next date has come."""
    ids = session.exec(
        select(col(PrepaymentSchedule.id))
        .where(
            col(PrepaymentSchedule.status) == PrepaymentScheduleStatus.ACTIVE,
            col(PrepaymentSchedule.next_date).is_not(None),
            col(PrepaymentSchedule.next_date) <= today,
        )
        .order_by(col(PrepaymentSchedule.next_date), col(PrepaymentSchedule.id))
        .limit(MAX_PER_RUN)
    ).all()
    # A primary key is never NULL; the test narrows the column's `int | None`.
    return [schedule_id for schedule_id in ids if schedule_id is not None]


def _claim(session: Session, schedule: PrepaymentSchedule, today: date) -> bool:
    s = PrepaymentSchedule
    following = period_date(schedule.start_date, schedule.frequency, schedule.issued_count + 1)
    last = col(s.remaining_cycles) == 1
    result = session.exec(
        update(s)
        .where(
            col(s.id) == schedule.id,
            col(s.issued_count) == schedule.issued_count,
            col(s.status) == PrepaymentScheduleStatus.ACTIVE,
            col(s.next_date) <= today,
            col(s.remaining_cycles).is_(None) | (col(s.remaining_cycles) > 0),
        )
        .values(
            issued_count=s.issued_count + 1,
            remaining_cycles=case(
                (col(s.remaining_cycles).is_(None), None), else_=col(s.remaining_cycles) - 1
            ),
            status=case((last, "completed"), else_=s.status),
            next_date=case((last, None), else_=following),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _stop(session: Session, schedule: PrepaymentSchedule, reason: str) -> None:
    schedule.status = PrepaymentScheduleStatus.CANCELLED
    schedule.next_date = None
    schedule.updated_at = utcnow()
    session.add(schedule)
    audit.record(
        session,
        company_id=schedule.company_id,
        client_id=schedule.client_id,
        action="prepayment_schedule_stopped",
        actor_type="system",
        actor_id=None,
        entity_type="prepayment_schedule",
        entity_id=schedule.id,
        details={"reason": reason},
    )


def charge_schedule(
    tx: Tx, gateway: GatewaySource, schedule_id: int, today: date, counts: Counter[str]
) -> None:
    """Claim one due date of a schedule and charge it. `gateway` may be a callable."""
    with tx() as session:
        # Read afresh: the claim below compares against what is stored now.
        schedule = session.get(PrepaymentSchedule, schedule_id, populate_existing=True)
        if schedule is None or schedule.status != "active":
            return
        method = (
            session.get(PaymentMethod, schedule.payment_method_id)
            if schedule.payment_method_id
            else None
        )
        if (
            method is None
            or method.removed_at is not None
            or method.client_id != schedule.client_id
        ):
            _stop(session, schedule, "no_card")
            counts["stopped"] += 1
            return
        if not _claim(session, schedule, today):
            counts["already_charged"] += 1
            return
        actor = Actor(schedule.company_id, schedule.client_id, schedule.contact_id, 0, "system")
        checkout = Checkout(
            company_id=schedule.company_id,
            client_id=schedule.client_id,
            contact_id=schedule.contact_id,
            currency=schedule.currency,
            lines_json=json.dumps([]),
            card_minor=schedule.amount_minor,
            payment_method_id=method.id,
            gateway_payment_method=method.method_ref,
        )
        session.add(checkout)
        session.flush()
        claimed = co.claim_for_charge(
            session,
            actor=actor,
            checkout_id=id_of(checkout),
            method_ref=method.method_ref,
            method_label=stored_card_label(method.brand, method.last4),
        )
        if claimed is None:  # made just above, so no other caller can have claimed it
            raise RuntimeError(f"checkout {id_of(checkout)} was claimed by another caller")
        checkout_id = id_of(claimed)
        amount_minor, currency = schedule.amount_minor, schedule.currency
        customer_ref, method_ref = method.customer_ref, method.method_ref
        notes = schedule.notes
    gw = gateway() if callable(gateway) else gateway
    try:
        intent = gw.create_payment(
            amount_minor=amount_minor,
            currency=currency,
            customer_ref=customer_ref,
            method_ref=method_ref,
            idempotency_key=f"checkout-{checkout_id}-charge",
            metadata={
                "checkout_id": str(checkout_id),
                "client_id": str(schedule.client_id),
                "prepayment_schedule_id": str(schedule_id),
            },
            off_session=True,
        )
    except GatewayError as exc:
        # A decline, or an unknown outcome (a webhook settles the checkout if money was taken).
        with tx() as session:
            co.fail_checkout(session, checkout_id=checkout_id, message=exc.message)
        counts["declined" if isinstance(exc, CardDeclinedError) else "errors"] += 1
        return
    with tx() as session:
        if intent.status == "requires_action":
            co.fail_checkout(session, checkout_id=checkout_id, message=NEEDS_AUTHENTICATION)
            counts["declined"] += 1
            return
        outcome = co.record_intent(session, checkout_id=checkout_id, intent=intent)
        if outcome.status == "succeeded" and outcome.payment_id:
            payment = session.get_one(Payment, outcome.payment_id)
            payment.notes = notes
            payment.prepayment_schedule_id = schedule_id
            session.add(payment)
            counts["paid"] += 1
        else:
            counts["declined" if outcome.status == "failed" else "waiting"] += 1


def run_schedules(tx: Tx, gateway: GatewaySource, today: date) -> dict[str, int]:
    """Charge every repeated pre-payment due on `today`."""
    counts: Counter[str] = Counter()
    with tx() as session:
        ids = due_schedule_ids(session, today)
    for schedule_id in ids:
        try:
            charge_schedule(tx, gateway, schedule_id, today, counts)
        except Exception:  # noqa: BLE001 - one broken schedule must not stop the others
            log.exception("pre-payment schedule %s could not be charged", schedule_id)
            counts["errors"] += 1
    return dict(counts)
