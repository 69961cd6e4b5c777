"""Ending a subscription now with a refund, for staff: the step shared by cancelling one for
the client (staff_subscriptions) and approving a client's cancellation request
(staff_cancellations). Both have claimed the subscription (its `cancel_at` set) in an earlier
transaction; the gateway is called outside any transaction."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from portal_app.core.db import utcnow
from portal_app.core.money import format_money
from portal_app.gateways.base import GatewayError, PaymentGateway
from portal_app.models import Invoice, Subscription
from portal_app.services.identity import staff_scope
from portal_app.services.payments import refunds
from portal_app.services.payments.checkout_flow import Tx
from portal_app.services.subscriptions.billing import void_invoice
from portal_app.services.subscriptions.cancel import (
    Refundable,
    end_subscription,
    refunded_text,
    voided_text,
)


def refund_and_end(
    tx: Tx,
    *,
    actor,
    gateway: PaymentGateway,
    subscription_id: int,
    refund: Refundable,
    currency: str,
    locale: str,
    today: date,
    what: str,
    action: str,
) -> str:
    """Refund `refund` through the gateway, then record it, void the period's invoices, end the
    subscription now and audit `action`; returns the sentence for staff. On GatewayError
    (nothing refunded) the claim is released, so staff can try again, and the error raised."""
    try:
        gateway.refund(
            intent_ref=refund.intent_ref,
            amount_minor=refund.amount_minor,
            # The same key as a client's own cancellation: the payment is refunded once,
            # whoever cancels.
            idempotency_key=f"subscription-{subscription_id}-refund-{refund.payment_id}",
        )
    except GatewayError:
        with tx() as session:
            session.exec(
                update(Subscription)
                .where(Subscription.id == subscription_id)
                .values(cancel_at=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
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
        sub = staff_scope.own_row(session, Subscription, subscription_id, actor, what=what)
        for invoice_id in refund.invoice_ids:
            invoice = session.get(Invoice, invoice_id)
            if invoice is not None and invoice.subscription_id == sub.id:
                void_invoice(session, invoice)
        end_subscription(session, subscription=sub, today=today)
        staff_scope.record(
            session,
            actor,
            action=action,
            entity_type="subscription",
            entity_id=sub.id,
            client_id=sub.client_id,
            details={
                "ended": "now",
                "payment_id": refund.payment_id,
                "refunded": refund.amount_minor,
                "credit_used": refund.credit_used_minor,
                "credit_voided": done.voided_minor,
            },
        )
    sentences = [
        f"The subscription is cancelled and {format_money(refund.amount_minor, currency, locale)}"
        " is refunded.",
        refunded_text(refund, currency, locale),
        voided_text(done.voided_minor, currency, locale, staff=True),
    ]
    return " ".join(s for s in sentences if s)
