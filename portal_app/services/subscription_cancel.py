"""Cancelling a subscription (or asking staff to, per the company's setting).

What cancelling does, decided in this order:
1. company `subscription_cancel_mode == "request"`: only a request for staff is recorded
   (status `cancel_requested`); nothing else changes.
2. a trialing or past-due subscription ends now (nothing was paid for the current period;
   a past-due period's unpaid invoice is voided).
3. within the plan's refund period: when the last payment for the subscription was made at
   most `refund_period_days` days ago (paid on day D: refunded through day D + N, not after),
   that payment's part for the subscription is refunded through the gateway, its invoices are
   voided and the subscription ends now. `refund_period_days == 0` never refunds.
4. otherwise it runs to the end of the period (`cancel_at`) and is not charged again.
A second cancellation is refused: one conditional update claims the subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from portal_app.db import utcnow
from portal_app.gateways.base import GatewayError, PaymentGateway
from portal_app.models import (
    Company,
    Invoice,
    Payment,
    PaymentAllocation,
    RecurringInvoice,
    Subscription,
    SubscriptionPlan,
)
from portal_app.money import format_money
from portal_app.services import audit, modules, refunds
from portal_app.services.actor import Actor
from portal_app.services.checkout_flow import Tx
from portal_app.services.errors import ValidationError
from portal_app.services.invoices import client_locale
from portal_app.services.party_views import format_day
from portal_app.services.subscription_billing import open_invoices, void_invoice
from portal_app.services.subscription_changes import refuse_unless_full_session
from portal_app.services.subscriptions import LIVE_STATUSES, get_own, may_cancel

MAX_REASON = 1000
REFUNDABLE = ("completed", "partly_refunded")


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    """What happened: requested | cancelled | refunded | at_period_end, and a sentence."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class Refundable:
    """The subscription's last payment, still inside the refund period."""

    payment_id: int
    intent_ref: str
    amount_minor: int  # what of it went to the subscription's invoices and is not refunded
    total_after_minor: int  # the payment's cumulative refunded total once this is refunded
    invoice_ids: list[int]


def refundable_payment(
    session: Session, *, subscription: Subscription, plan: SubscriptionPlan, today: date
) -> Refundable | None:
    """The last card payment for the subscription if it is inside the refund period."""
    if plan.refund_period_days <= 0:
        return None
    rows = session.exec(
        select(PaymentAllocation, Payment, Invoice)
        .join(Payment, col(Payment.id) == PaymentAllocation.payment_id)
        .join(Invoice, col(Invoice.id) == PaymentAllocation.invoice_id)
        .where(
            Invoice.subscription_id == subscription.id,
            Invoice.client_id == subscription.client_id,
            col(PaymentAllocation.credit_id).is_(None),
            col(Payment.status).in_(REFUNDABLE),
            col(Payment.gateway_reference).is_not(None),
        )
        .order_by(col(Payment.paid_at).desc(), col(Payment.id).desc())
    ).all()
    if not rows or rows[0][1].paid_at is None:
        return None
    last = rows[0][1]
    days_since = (today - last.paid_at.date()).days
    if days_since < 0 or days_since > plan.refund_period_days:
        return None
    mine = [(a, inv) for a, pay, inv in rows if pay.id == last.id]
    amount = sum(a.amount_minor - a.refunded_minor for a, _ in mine)
    if amount <= 0:
        return None
    return Refundable(
        payment_id=last.id,
        intent_ref=last.gateway_reference,
        amount_minor=amount,
        total_after_minor=last.refunded_minor + amount,
        invoice_ids=sorted({inv.id for _, inv in mine}),
    )


def _end_now(session: Session, sub: Subscription, today: date) -> None:
    now = utcnow()
    sub.status = "cancelled"
    sub.cancelled_at = now
    sub.cancel_at = today
    sub.pending_plan_id = None
    sub.next_retry_on = None
    sub.updated_at = now
    session.add(sub)
    for invoice in open_invoices(session, sub, renewal=True) + open_invoices(
        session, sub, renewal=False
    ):
        void_invoice(session, invoice)
    recurring = session.get(RecurringInvoice, sub.recurring_invoice_id)
    if recurring is not None and recurring.status != "cancelled":
        recurring.status = "cancelled"
        recurring.next_send_date = None
        recurring.updated_at = now
        session.add(recurring)


def end_subscription(session: Session, *, subscription: Subscription, today: date) -> None:
    """End a subscription now (cancelled): no more invoices, open ones voided. For the job."""
    _end_now(session, subscription, today)


def _audit(session: Session, actor: Actor, sub: Subscription, action: str, **details) -> None:
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action=action,
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type="subscription",
        entity_id=sub.id,
        ip=actor.ip,
        details=details,
    )


def cancel_subscription(
    tx: Tx,
    *,
    actor: Actor,
    gateway: PaymentGateway,
    subscription_id: int,
    reason: str,
    today: date,
) -> CancelOutcome:
    """Cancel as the module docstring says; GatewayError (nothing changed) if a refund fails."""
    refuse_unless_full_session(actor)
    reason = str(reason or "").strip()[:MAX_REASON]
    with tx() as session:
        modules.require(session, actor=actor, module="subscriptions")
        sub = get_own(session, actor=actor, subscription_id=subscription_id)
        plan = session.get(SubscriptionPlan, sub.plan_id)
        if not plan.allow_cancellation:
            raise ValidationError("cancel", "This plan cannot be cancelled from the portal.")
        if not may_cancel(sub, plan):
            raise ValidationError("cancel", _already(sub))
        claimed = session.exec(
            update(Subscription)
            .where(
                Subscription.id == sub.id,
                col(Subscription.cancel_requested_at).is_(None),
                col(Subscription.cancel_at).is_(None),
                col(Subscription.status).in_(LIVE_STATUSES),
            )
            .values(cancel_requested_at=utcnow(), cancel_reason=reason, updated_at=utcnow())
        )
        if claimed.rowcount != 1:
            raise ValidationError("cancel", "This subscription is already being cancelled.")
        session.refresh(sub)
        locale = client_locale(session, actor)
        company = session.get(Company, actor.company_id)
        if company.subscription_cancel_mode == "request":
            sub.status = "cancel_requested"
            session.add(sub)
            _audit(session, actor, sub, "subscription_cancel_requested", reason=reason)
            return CancelOutcome(
                "requested", "Your cancellation request was sent. We will confirm it with you."
            )
        if sub.status in ("trialing", "past_due"):
            _end_now(session, sub, today)
            _audit(session, actor, sub, "subscription_cancelled", reason=reason)
            return CancelOutcome("cancelled", "Your subscription is cancelled.")
        refund = refundable_payment(session, subscription=sub, plan=plan, today=today)
        if refund is None:
            sub.cancel_at = sub.current_period_end
            sub.pending_plan_id = None
            session.add(sub)
            _audit(session, actor, sub, "subscription_cancel_scheduled", reason=reason)
            return CancelOutcome(
                "at_period_end",
                f"Your subscription ends on {format_day(sub.current_period_end, locale)}. "
                "You will not be charged again.",
            )
        amount_text = format_money(refund.amount_minor, plan.currency, locale)
    try:
        gateway.refund(
            intent_ref=refund.intent_ref,
            amount_minor=refund.amount_minor,
            idempotency_key=f"subscription-{subscription_id}-refund-{refund.payment_id}",
        )
    except GatewayError:
        with tx() as session:
            # Nothing was refunded: release the claim so the client can try again.
            session.exec(
                update(Subscription)
                .where(Subscription.id == subscription_id)
                .values(cancel_requested_at=None, cancel_reason="", updated_at=utcnow())
            )
        raise
    with tx() as session:
        refunds.apply_refund(
            session, intent_ref=refund.intent_ref, total_refunded_minor=refund.total_after_minor
        )
        sub = get_own(session, actor=actor, subscription_id=subscription_id)
        for invoice_id in refund.invoice_ids:
            invoice = session.get(Invoice, invoice_id)
            if invoice is not None and invoice.subscription_id == sub.id:
                void_invoice(session, invoice)
        _end_now(session, sub, today)
        _audit(
            session,
            actor,
            sub,
            "subscription_cancelled_refunded",
            reason=reason,
            payment_id=refund.payment_id,
            refunded=refund.amount_minor,
        )
    return CancelOutcome(
        "refunded",
        f"Your subscription is cancelled and {amount_text} is refunded to your card.",
    )


def _already(sub: Subscription) -> str:
    if sub.status == "cancelled":
        return "This subscription is already cancelled."
    if sub.status == "cancel_requested" or sub.cancel_requested_at is not None:
        if sub.cancel_at is not None:
            return "This subscription is already set to end."
        return "You have already asked to cancel this subscription."
    return "This subscription cannot be cancelled now."
