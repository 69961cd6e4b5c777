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
   Plan-change credit issued against that payment (a `credit_now` downgrade) is netted: the
   part already spent is kept out of the refund and the rest of the credit is voided.
4. otherwise it runs to the end of the period (`cancel_at`) and is not charged again.
A second cancellation is refused: one conditional update claims the subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col

from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.core.i18n import gettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.gateways.base import GatewayError, PaymentGateway
from portal_app.models import (
    Company,
    Invoice,
    RecurringInvoice,
    Subscription,
    SubscriptionPlan,
)
from portal_app.models.statuses import RecurringStatus, SubscriptionStatus
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import refunds
from portal_app.services.payments.checkout_flow import Tx
from portal_app.services.subscriptions import subscription_mail
from portal_app.services.subscriptions.billing import (
    last_card_payment,
    open_invoices,
    void_invoice,
)
from portal_app.services.subscriptions.changes import refuse_unless_full_session
from portal_app.services.subscriptions.subscriptions import LIVE_STATUSES, get_own, may_cancel

MAX_REASON = 1000


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
    amount_minor: int  # what is refunded now: see `refundable_payment`
    total_after_minor: int  # the payment's cumulative refunded total once this is refunded
    invoice_ids: list[int]
    paid_minor: int  # what of the payment went to the subscription's invoices, not refunded
    credit_used_minor: int  # the spent part of plan-change credits issued against it


def refundable_payment(
    session: Session, *, subscription: Subscription, plan: SubscriptionPlan, today: date
) -> Refundable | None:
    """The last card payment for the subscription if it is inside the refund period.

    What is refunded is its part for the subscription's invoices less what of the plan-change
    credits issued against it was already spent (that money stays paid), never more than the
    payment has refundable (`refunds.refundable_minor`); None when that leaves nothing.
    """
    if plan.refund_period_days <= 0:
        return None
    period = last_card_payment(session, subscription=subscription)
    if period is None or period.payment.paid_at is None:
        return None
    last = period.payment
    days_since = (today - last.paid_at.date()).days
    if days_since < 0 or days_since > plan.refund_period_days:
        return None
    paid = sum(a.amount_minor - a.refunded_minor for a, _ in period.allocations)
    used = refunds.period_credit_used(session, payment_id=last.id, subscription_id=subscription.id)
    amount = min(paid - used, refunds.refundable_minor(session, payment=last))
    if amount <= 0:
        return None
    return Refundable(
        payment_id=last.id,
        intent_ref=last.gateway_reference,
        amount_minor=amount,
        total_after_minor=last.refunded_minor + amount,
        invoice_ids=sorted({inv.id for _, inv in period.allocations}),
        paid_minor=paid,
        credit_used_minor=used,
    )


def refunded_text(refund: Refundable, currency: str, locale: str) -> str:
    """Why the refund is less than what was paid, when plan-change credit was spent ("" when
    it was not)."""
    if refund.credit_used_minor <= 0 or (
        refund.amount_minor != refund.paid_minor - refund.credit_used_minor
    ):
        return ""
    paid = format_money(refund.paid_minor, currency, locale)
    used = format_money(refund.credit_used_minor, currency, locale)
    return gettext(
        "That is the %(paid)s paid for this period less %(used)s of plan-change credit already "
        "used."
    ) % {"paid": paid, "used": used}


def voided_text(voided_minor: int, currency: str, locale: str, *, staff: bool = False) -> str:
    """The sentence saying unused plan-change credit was cancelled with the refund ("" when
    none was), to the client or (`staff`) about the client."""
    if voided_minor <= 0:
        return ""
    amount = format_money(voided_minor, currency, locale)
    if staff:
        return gettext(
            "The client's unused plan-change credit of %(amount)s is cancelled with it."
        ) % {"amount": amount}
    return gettext(
        "Your unused plan-change credit of %(amount)s is cancelled, as this period is refunded."
    ) % {"amount": amount}


def _end_now(session: Session, sub: Subscription, today: date) -> None:
    now = utcnow()
    was = sub.status
    sub.status = SubscriptionStatus.CANCELLED
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
    if recurring is not None and recurring.status != RecurringStatus.CANCELLED:
        recurring.status = RecurringStatus.CANCELLED
        recurring.next_send_date = None
        recurring.updated_at = now
        session.add(recurring)
    subscription_mail.queue_cancelled(session, sub, was=was, today=today)


def end_subscription(session: Session, *, subscription: Subscription, today: date) -> None:
    """End a subscription now (cancelled): no more invoices, open ones voided. For the job."""
    _end_now(session, subscription, today)


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
            raise ValidationError(
                "cancel", gettext("This plan cannot be cancelled from the portal.")
            )
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
            raise ValidationError(
                "cancel", gettext("This subscription is already being cancelled.")
            )
        session.refresh(sub)
        locale = client_locale(session, actor)
        company = session.get(Company, actor.company_id)
        if company.subscription_cancel_mode == "request":
            sub.status = SubscriptionStatus.CANCEL_REQUESTED
            session.add(sub)
            audit.record_contact_action(
                session,
                actor,
                "subscription",
                sub.id,
                "subscription_cancel_requested",
                reason=reason,
            )
            return CancelOutcome(
                "requested",
                gettext("Your cancellation request was sent. We will confirm it with you."),
            )
        if sub.status in ("trialing", "past_due"):
            _end_now(session, sub, today)
            audit.record_contact_action(
                session, actor, "subscription", sub.id, "subscription_cancelled", reason=reason
            )
            return CancelOutcome("cancelled", gettext("Your subscription is cancelled."))
        refund = refundable_payment(session, subscription=sub, plan=plan, today=today)
        if refund is None:
            sub.cancel_at = sub.current_period_end
            sub.pending_plan_id = None
            session.add(sub)
            audit.record_contact_action(
                session,
                actor,
                "subscription",
                sub.id,
                "subscription_cancel_scheduled",
                reason=reason,
            )
            return CancelOutcome(
                "at_period_end",
                gettext("Your subscription ends on %(date)s. You will not be charged again.")
                % {"date": format_day(sub.current_period_end, locale)},
            )
        amount_text = format_money(refund.amount_minor, plan.currency, locale)
        currency = plan.currency
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
        done = refunds.refund_period(
            session,
            intent_ref=refund.intent_ref,
            total_refunded_minor=refund.total_after_minor,
            subscription_id=subscription_id,
            invoice_ids=refund.invoice_ids,
        )
        sub = get_own(session, actor=actor, subscription_id=subscription_id)
        for invoice_id in refund.invoice_ids:
            invoice = session.get(Invoice, invoice_id)
            if invoice is not None and invoice.subscription_id == sub.id:
                void_invoice(session, invoice)
        _end_now(session, sub, today)
        audit.record_contact_action(
            session,
            actor,
            "subscription",
            sub.id,
            "subscription_cancelled_refunded",
            reason=reason,
            payment_id=refund.payment_id,
            refunded=refund.amount_minor,
            credit_used=refund.credit_used_minor,
            credit_voided=done.voided_minor,
        )
    sentences = [
        gettext("Your subscription is cancelled and %(amount)s is refunded to your card.")
        % {"amount": amount_text},
        refunded_text(refund, currency, locale),
        voided_text(done.voided_minor, currency, locale),
    ]
    return CancelOutcome("refunded", " ".join(s for s in sentences if s))


def _already(sub: Subscription) -> str:
    if sub.status == SubscriptionStatus.CANCELLED:
        return gettext("This subscription is already cancelled.")
    if sub.status == SubscriptionStatus.CANCEL_REQUESTED or sub.cancel_requested_at is not None:
        if sub.cancel_at is not None:
            return gettext("This subscription is already set to end.")
        return gettext("You have already asked to cancel this subscription.")
    return gettext("This subscription cannot be cancelled now.")
