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
money to. `Payment.applied_minor` keeps what was originally applied (its allocations' gross
amounts); what is refunded out of them is on the allocations.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from portal_app.db import utcnow
from portal_app.models import Invoice, Payment, PaymentAllocation
from portal_app.services import audit

log = logging.getLogger(__name__)

# Only money that was actually received can be refunded.
REFUNDABLE_STATUSES = ("completed", "partly_refunded", "refunded")
# Invoice statuses a refund reopens; cancelled or reversed invoices keep their status.
REOPENABLE_STATUSES = ("paid", "partial", "sent")


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
        total = payment.amount_minor
    increase = total - payment.refunded_minor
    if increase <= 0:
        return payment

    now = utcnow()
    allocations = list(
        session.exec(
            select(PaymentAllocation)
            .where(
                PaymentAllocation.payment_id == payment.id,
                col(PaymentAllocation.credit_id).is_(None),
            )
            .order_by(col(PaymentAllocation.created_at).desc(), col(PaymentAllocation.id).desc())
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    )
    refunded_from_allocations = sum(a.refunded_minor for a in allocations)
    refunded_from_unapplied = payment.refunded_minor - refunded_from_allocations
    unapplied_left = max(0, payment.amount_minor - payment.applied_minor - refunded_from_unapplied)
    from_unapplied = min(increase, unapplied_left)
    left = increase - from_unapplied

    touched: list[dict[str, int]] = []
    for allocation in allocations:
        if left <= 0:
            break
        take = min(left, allocation.amount_minor - allocation.refunded_minor)
        if take <= 0:
            continue
        allocation.refunded_minor += take
        session.add(allocation)
        invoice = session.exec(
            select(Invoice)
            .where(Invoice.id == allocation.invoice_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        _reopen_invoice(invoice, take, now)
        session.add(invoice)
        touched.append({"invoice_id": invoice.id, "amount": take})
        left -= take
    if left > 0:
        # Cannot happen while amount = applied + unapplied; keep the books as they are.
        log.warning("payment %s: %s of a refund found nothing to come out of", payment.id, left)

    payment.refunded_minor = total
    payment.status = "refunded" if total >= payment.amount_minor else "partly_refunded"
    payment.updated_at = now
    session.add(payment)
    session.flush()
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
            "refunded": increase,
            "total_refunded": total,
            "from_unapplied": from_unapplied,
            "invoices": touched,
        },
    )
    return payment


def _reopen_invoice(invoice: Invoice, amount: int, now) -> None:
    """Put `amount` back on an invoice's balance (never below zero paid, never above amount)."""
    invoice.paid_to_date_minor = max(0, invoice.paid_to_date_minor - amount)
    invoice.balance_minor = min(invoice.amount_minor, invoice.balance_minor + amount)
    if invoice.status in REOPENABLE_STATUSES and invoice.balance_minor > 0:
        invoice.status = "partial" if invoice.paid_to_date_minor > 0 else "sent"
    invoice.updated_at = now
