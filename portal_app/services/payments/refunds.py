"""Refunds the gateway made, applied to our payments, allocations and invoices.

The gateway tells us the *cumulative* amount refunded on a charge (Stripe's
`charge.amount_refunded`). We keep the same figure on `Payment.refunded_minor`, so applying a
refund is "move our total up to the gateway's total": a replayed or older report (a smaller or
equal total) changes nothing, and reports may arrive in any order.

Where refunded money comes from, in this order:
1. the payment's unapplied part (an over-payment or pre-payment that reached no invoice);
2. its card allocations, latest first: `allocation.refunded_minor` goes up and that invoice's
   balance goes back up by the same amount.
Credit used in the same checkout is never refunded here: the card is what the gateway returned
money to. `Payment.applied_minor` is what is still on invoices (allocations net of refunds).
The moves themselves are `services.ledger.raise_refunded_total`.

Plan-change credits carry the payment of the period they come from (`Credit.origin_payment_id`,
and `subscription_id`). A period's refund and its credit never pay out the same money: what
may be refunded is the payment less the spent part of those credits (`refundable_minor`), and
what is left of them is voided once the payment has nothing refundable left
(`apply_refund`) or once a cancellation refunded the subscription's period (`refund_period`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal_app.core.db import id_of
from portal_app.models import Credit, Payment
from portal_app.services.identity import audit
from portal_app.services.payments import ledger

log = logging.getLogger(__name__)

# Only money that was actually received can be refunded.
REFUNDABLE_STATUSES = ledger.RECEIVED_STATUSES


def apply_refund(session: Session, *, intent_ref: str, total_refunded_minor: int) -> Payment | None:
    """Bring the payment for `intent_ref` up to the gateway's cumulative refunded total.

    Idempotent and order-safe: only an increase over `payment.refunded_minor` is applied, so a
    replay or an older report changes nothing. The total is capped at the payment's amount.
    Returns the payment, or None when no received payment has this gateway reference (the
    caller decides whether to settle it first). Never commits.
    """
    payment, _ = _apply_refund(
        session, intent_ref=intent_ref, total_refunded_minor=total_refunded_minor
    )
    return payment


def _apply_refund(
    session: Session,
    *,
    intent_ref: str,
    total_refunded_minor: int,
    from_invoices: Collection[int] = (),
) -> tuple[Payment | None, int]:
    """`apply_refund`, and the plan-change credit it voided."""
    payment = session.exec(
        select(Payment)
        .where(Payment.gateway_reference == intent_ref)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if payment is None or payment.status not in REFUNDABLE_STATUSES:
        return None, 0
    total = int(total_refunded_minor)
    if total > payment.amount_minor:
        log.warning(
            "refund total %s above payment %s amount %s; capped",
            total,
            payment.id,
            payment.amount_minor,
        )
    moved = ledger.raise_refunded_total(
        session, payment=payment, total_minor=total, from_invoices=from_invoices
    )
    if moved.increase <= 0:
        return payment, 0
    voided = void_period_credits(session, payment=payment)
    audit.record(
        session,
        company_id=payment.company_id,
        client_id=payment.client_id,
        action="payment_refunded",
        actor_type="system",
        actor_id=None,
        entity_type="payment",
        entity_id=payment.id,
        details={
            "refunded": moved.increase,
            "total_refunded": payment.refunded_minor,
            "from_unapplied": moved.from_unapplied,
            "invoices": moved.invoices,
            "credit_voided": voided,
        },
    )
    return payment, voided


@dataclass(frozen=True, slots=True)
class PeriodRefund:
    """A cancellation's refund once applied: the payment and the plan-change credit voided."""

    payment: Payment | None
    voided_minor: int


def refund_period(
    session: Session,
    *,
    intent_ref: str,
    total_refunded_minor: int,
    subscription_id: int,
    invoice_ids: Collection[int] = (),
) -> PeriodRefund:
    """Apply the refund of a subscription's period (a cancellation inside the refund period),
    then void what is left of that subscription's plan-change credits issued against the
    payment, even when the payment keeps something refundable (it also paid other invoices):
    the period they were credited from is given back. Call it once the gateway refunded
    (`refundable_minor` capped the amount, so the spent part of the credit stayed paid). The
    refund comes off the period's `invoice_ids` first, never another invoice the same payment
    paid."""
    payment, voided = _apply_refund(
        session,
        intent_ref=intent_ref,
        total_refunded_minor=total_refunded_minor,
        from_invoices=invoice_ids,
    )
    if payment is not None:
        voided += void_period_credits(
            session, payment=payment, subscription_id=subscription_id, whole_period=True
        )
    return PeriodRefund(payment, voided)


def _period_credits(payment_id: int, subscription_id: int | None):
    query = select(Credit).where(Credit.origin_payment_id == payment_id)
    if subscription_id is not None:
        query = query.where(Credit.subscription_id == subscription_id)
    return query.order_by(col(Credit.id))


def period_credit_used(
    session: Session, *, payment_id: int, subscription_id: int | None = None
) -> int:
    """What of the plan-change credits issued against this payment's period has been spent
    (or is held by a checkout); only one subscription's credits when `subscription_id` is given.

    Refunding that period gives back at most the payment less this (the rest of the credit is
    voided), so a downgrade credit and a refund never pay the same money twice.
    """
    credits = session.exec(_period_credits(payment_id, subscription_id)).all()
    return sum(c.amount_minor - c.balance_minor - c.voided_minor for c in credits)


def refundable_minor(session: Session, *, payment: Payment) -> int:
    """What of a received payment may still be refunded: its amount less what was refunded and
    less the spent part of plan-change credits issued against it."""
    if payment.status not in REFUNDABLE_STATUSES:
        return 0
    used = period_credit_used(session, payment_id=id_of(payment))
    return max(0, payment.amount_minor - payment.refunded_minor - used)


def void_period_credits(
    session: Session,
    *,
    payment: Payment,
    subscription_id: int | None = None,
    whole_period: bool = False,
) -> int:
    """Void what is left of the plan-change credits issued against a payment's period (only
    one subscription's with `subscription_id`); returns the amount voided.

    Done once the payment has nothing refundable left, or always with `whole_period` (the
    caller refunded the period those credits came from). Credit held by a checkout is not
    touched: it is spent when the checkout settles, or comes back and stays within what was
    paid (the refund already left it out).
    """
    if not whole_period and refundable_minor(session, payment=payment) > 0:
        return 0
    credits = session.exec(
        _period_credits(id_of(payment), subscription_id).where(Credit.balance_minor > 0)
    ).all()
    return sum(
        ledger.void_credit(session, credit_id=id_of(c), amount_minor=c.balance_minor)
        for c in credits
    )
