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
"""

from __future__ import annotations

import logging

from sqlmodel import Session, select

from portal_app.models import Credit, Payment
from portal_app.services import audit, ledger

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
    payment = session.exec(
        select(Payment)
        .where(Payment.gateway_reference == intent_ref)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if payment is None or payment.status not in REFUNDABLE_STATUSES:
        return None
    total = int(total_refunded_minor)
    if total > payment.amount_minor:
        log.warning(
            "refund total %s above payment %s amount %s; capped",
            total,
            payment.id,
            payment.amount_minor,
        )
    moved = ledger.raise_refunded_total(session, payment=payment, total_minor=total)
    if moved.increase <= 0:
        return payment
    void_period_credits(session, payment=payment)
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
        },
    )
    return payment


def period_credit_used(session: Session, *, payment_id: int) -> int:
    """What of the plan-change credits issued against this payment's period has been spent.

    Refunding that period gives back at most the payment less this (the rest of the credit is
    voided), so a downgrade credit and a refund never pay the same money twice.
    """
    credits = session.exec(select(Credit).where(Credit.origin_payment_id == payment_id)).all()
    return sum(c.amount_minor - c.balance_minor - c.voided_minor for c in credits)


def refundable_minor(session: Session, *, payment: Payment) -> int:
    """What of a received payment may still be refunded: its amount less what was refunded and
    less the spent part of plan-change credits issued against it."""
    if payment.status not in REFUNDABLE_STATUSES:
        return 0
    used = period_credit_used(session, payment_id=payment.id)
    return max(0, payment.amount_minor - payment.refunded_minor - used)


def void_period_credits(session: Session, *, payment: Payment) -> int:
    """Void what is left of the plan-change credits issued against a payment's period once the
    period is refunded (nothing refundable is left); returns the amount voided."""
    if refundable_minor(session, payment=payment) > 0:
        return 0
    credits = session.exec(
        select(Credit).where(Credit.origin_payment_id == payment.id, Credit.balance_minor > 0)
    ).all()
    return sum(
        ledger.void_credit(session, credit_id=c.id, amount_minor=c.balance_minor) for c in credits
    )
