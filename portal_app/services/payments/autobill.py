"""Charging a client's default saved card for one invoice, with nobody at the browser.

Used by the recurring-invoice job and by subscription renewals. It goes through the same
checkout machinery as a client paying in the portal (invoice locks, one claimed charge, the
checkout id as idempotency key, settling from what the gateway reports), so an auto-charge and a
client paying the same invoice in a window can never both take the money.

An invoice with an open dispute (services/billing/disputes.py) is not charged: the result is
"skipped" and the caller looks again on its next run, which charges once staff resolve it.

Each database step runs in its own transaction from `tx` (a factory of committing sessions);
the gateway is called between transactions, never inside one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from portal_app.core.card_labels import stored_card_label
from portal_app.core.db import id_of, utcnow
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.gateways.base import CardDeclinedError, GatewayError, PaymentGateway
from portal_app.models import Checkout, ClientContact, Invoice, InvoiceLock
from portal_app.models.statuses import CheckoutStatus
from portal_app.services.billing.disputes import in_dispute
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments import payment_mail
from portal_app.services.payments.checkout_flow import Tx
from portal_app.services.payments.payment_methods import default_method

# What the actor of an unattended charge is called in sessions and the audit trail.
SYSTEM_ACTOR_KIND = "system"
# Checkouts whose money may still move: claimed for a charge, waiting for 3-D Secure, or open
# with an intent at the gateway. A lapsed invoice lock says nothing about these.
UNFINISHED_STATUSES = ("processing", "requires_action")
MAX_UNFINISHED_SCAN = 200
NEEDS_AUTHENTICATION = (
    "The card needs the cardholder to confirm this payment. Pay the invoice in the portal."
)
IN_DISPUTE = "The invoice is in dispute; it is charged once the dispute is resolved."


@dataclass(frozen=True, slots=True)
class AutobillResult:
    """How an auto-charge ended.

    status: paid | processing | declined | requires_action | no_card | skipped | error
    """

    status: str
    message: str = ""
    payment_id: int | None = None
    checkout_id: int | None = None


def _billing_contact(session: Session, invoice: Invoice) -> ClientContact | None:
    # A checkout belongs to a contact; the primary one stands for the client here.
    return session.exec(
        select(ClientContact)
        .where(
            ClientContact.company_id == invoice.company_id,
            ClientContact.client_id == invoice.client_id,
        )
        .order_by(col(ClientContact.is_primary).desc(), col(ClientContact.id))
    ).first()


def _note(
    session: Session,
    invoice: Invoice,
    action: str,
    source: str,
    source_id: int | None,
    **details: object,
) -> None:
    audit.record(
        session,
        company_id=invoice.company_id,
        client_id=invoice.client_id,
        action=action,
        actor_type=SYSTEM_ACTOR_KIND,
        actor_id=None,
        entity_type="invoice",
        entity_id=invoice.id,
        details={"source": source, "source_id": source_id, **details},
    )


def autobill_invoice(
    tx: Tx,
    *,
    invoice_id: int,
    gateway: PaymentGateway,
    source: str = "recurring",
    source_id: int | None = None,
) -> AutobillResult:
    """Charge what is due on `invoice_id` to the client's default card, off-session, once.

    `source`/`source_id` say who asked ("recurring" + schedule id, "subscription" + id) for the
    audit trail. A declined card leaves the invoice unpaid and is recorded (a failed payment and
    an `autobill_failed` audit event); nothing is retried here. Never raises for a decline, a
    missing card or an unreachable gateway: the result says what happened.

    An earlier checkout of the invoice that is not final (see `reconcile_unfinished`) is read
    back from the gateway first; while one stays unfinished no new charge starts.
    """
    waiting = reconcile_unfinished(
        tx, invoice_id=invoice_id, gateway=gateway, source=source, source_id=source_id
    )
    if waiting is not None:
        return waiting
    with tx() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            raise NotFoundError("invoice")
        if co.amount_due_minor(invoice) <= 0:
            return AutobillResult("skipped", "Nothing is due on this invoice.")
        if in_dispute(session, invoice_id):
            return AutobillResult("skipped", IN_DISPUTE)
        method = default_method(session, company_id=invoice.company_id, client_id=invoice.client_id)
        contact = _billing_contact(session, invoice)
        if method is None or contact is None:
            _note(session, invoice, "autobill_failed", source, source_id, reason="no_default_card")
            payment_mail.queue_payment_failed(session, invoice=invoice, checkout_id=None)
            return AutobillResult("no_card", "The client has no default card saved.")
        actor = Actor(
            company_id=invoice.company_id,
            client_id=invoice.client_id,
            contact_id=id_of(contact),
            session_id=0,
            kind=SYSTEM_ACTOR_KIND,
        )
        try:
            started = co.start_checkout(
                session,
                actor=actor,
                request=co.CheckoutRequest(
                    invoice_ids=[id_of(invoice)], payment_method_id=method.id
                ),
            )
        except (ValidationError, NotFoundError) as exc:
            # Typically: the client is paying it in a window right now.
            message = getattr(exc, "message", str(exc))
            return AutobillResult("skipped", message)
        if started.card_minor <= 0:
            payment = co.settle_with_credit_only(
                session, actor=actor, checkout_id=started.checkout_id
            )
            return AutobillResult("paid", payment_id=payment.id, checkout_id=started.checkout_id)
        label = stored_card_label(method.brand, method.last4)
        checkout = co.claim_for_charge(
            session,
            actor=actor,
            checkout_id=started.checkout_id,
            method_ref=method.method_ref,
            method_label=label,
        )
        if checkout is None:  # pragma: no cover - the checkout was made in this transaction
            return AutobillResult("skipped", "Already being charged.")
        checkout_id = id_of(checkout)
        amount, currency, client_id = checkout.card_minor, checkout.currency, checkout.client_id
        customer_ref, method_ref = method.customer_ref, method.method_ref

    try:
        intent = gateway.create_payment(
            amount_minor=amount,
            currency=currency,
            customer_ref=customer_ref,
            method_ref=method_ref,
            # Same key as a portal checkout: a retried call can never charge twice.
            idempotency_key=f"checkout-{checkout_id}-charge",
            metadata={
                "checkout_id": str(checkout_id),
                "client_id": str(client_id),
                "invoice_id": str(invoice_id),
                "autobill": source,
            },
            off_session=True,
        )
    except CardDeclinedError as exc:
        return _failed(tx, invoice_id, checkout_id, "declined", exc.message, source, source_id)
    except GatewayError as exc:
        # Outcome unknown: if the money was taken after all, the verified webhook settles this
        # checkout (settling works on a failed checkout too), so nothing is lost.
        return _failed(tx, invoice_id, checkout_id, "error", exc.message, source, source_id)

    with tx() as session:
        invoice = session.get_one(Invoice, invoice_id)
        if intent.status == "requires_action":
            # Off-session, nobody can answer 3-D Secure: give the charge up; the client pays
            # in the portal instead.
            checkout = session.get_one(Checkout, checkout_id)
            if checkout.gateway_intent_id is None:
                checkout.gateway_intent_id = intent.intent_ref
                session.add(checkout)
                session.flush()
            return _record_failure(
                session,
                invoice,
                checkout_id,
                "requires_action",
                NEEDS_AUTHENTICATION,
                source,
                source_id,
            )
        outcome = co.record_intent(session, checkout_id=checkout_id, intent=intent)
        if outcome.status == "succeeded":
            _note(
                session, invoice, "autobill_paid", source, source_id, payment_id=outcome.payment_id
            )
            return AutobillResult("paid", payment_id=outcome.payment_id, checkout_id=checkout_id)
        if outcome.status == "processing":
            _note(session, invoice, "autobill_processing", source, source_id)
            return AutobillResult("processing", outcome.message, checkout_id=checkout_id)
        return _record_failure(
            session, invoice, checkout_id, "declined", outcome.message, source, source_id
        )


def _failed(
    tx: Tx,
    invoice_id: int,
    checkout_id: int,
    status: str,
    message: str,
    source: str,
    source_id: int | None,
) -> AutobillResult:
    with tx() as session:
        invoice = session.get_one(Invoice, invoice_id)
        return _record_failure(session, invoice, checkout_id, status, message, source, source_id)


def _record_failure(
    session: Session,
    invoice: Invoice,
    checkout_id: int,
    status: str,
    message: str,
    source: str,
    source_id: int | None,
) -> AutobillResult:
    co.fail_checkout(session, checkout_id=checkout_id, message=message)
    if status in ("declined", "requires_action"):
        # An unreachable gateway is no failed payment yet: the webhook may still settle it.
        payment_mail.queue_payment_failed(session, invoice=invoice, checkout_id=checkout_id)
    _note(
        session,
        invoice,
        "autobill_failed",
        source,
        source_id,
        reason=status,
        message=message[:200],
        checkout_id=checkout_id,
    )
    return AutobillResult(status, message, checkout_id=checkout_id)


def unfinished_checkouts(session: Session, invoice: Invoice) -> list[Checkout]:
    """The client's checkouts covering `invoice` whose charge may still take money.

    Processing and 3-D Secure checkouts, and open ones that already have a gateway intent,
    whatever their invoice lock says: the lock lapses after minutes, a bank can take days.
    """
    candidates = session.exec(
        select(Checkout)
        .where(
            Checkout.company_id == invoice.company_id,
            Checkout.client_id == invoice.client_id,
            or_(
                col(Checkout.status).in_(UNFINISHED_STATUSES),
                (col(Checkout.status) == CheckoutStatus.OPEN)
                & col(Checkout.gateway_intent_id).is_not(None),
            ),
        )
        .order_by(col(Checkout.id))
        .limit(MAX_UNFINISHED_SCAN)
    ).all()
    return [c for c in candidates if invoice.id in _invoice_ids(c)]


def _holds_lock(session: Session, checkout_id: int) -> bool:
    # A live invoice lock: the client may be answering 3-D Secure in a window right now.
    return (
        session.exec(
            select(InvoiceLock.invoice_id).where(
                InvoiceLock.checkout_id == checkout_id, InvoiceLock.expires_at > utcnow()
            )
        ).first()
        is not None
    )


def _invoice_ids(checkout: Checkout) -> set[int]:
    try:
        return {int(line["invoice_id"]) for line in json.loads(checkout.lines_json or "[]")}
    except (ValueError, TypeError, KeyError):
        # Unreadable lines: treat it as covering nothing rather than failing the whole job.
        return set()


def reconcile_unfinished(
    tx: Tx,
    *,
    invoice_id: int,
    gateway: PaymentGateway,
    source: str = "recurring",
    source_id: int | None = None,
) -> AutobillResult | None:
    """Settle or fail earlier unfinished checkouts of `invoice_id` from what the gateway says.

    Returns None when a new charge may start (there were none, or all ended failed, or a
    settled one left something due). Otherwise the result to report: `paid` when a read-back
    settled the invoice, `processing` while an intent is still processing or waiting for 3-D
    Secure (an abandoned 3-D Secure whose lock lapsed is cancelled at the gateway and fails),
    `skipped` when a claimed checkout has no intent stored (in flight right now, or its
    outcome was lost: the webhook settles it) or the gateway could not be reached.
    """
    with tx() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            raise NotFoundError("invoice")
        pending = [
            (id_of(c), c.gateway_intent_id, _holds_lock(session, id_of(c)))
            for c in unfinished_checkouts(session, invoice)
        ]
    if not pending:
        return None
    still: list[int] = []
    unknown: list[int] = []
    paid: tuple[int, int | None] | None = None
    for checkout_id, intent_ref, locked in pending:
        if intent_ref is None:
            unknown.append(checkout_id)
            continue
        try:
            intent = gateway.retrieve_payment(intent_ref)
            if intent.status == "requires_action" and not locked:
                # 3-D Secure abandoned (its lock lapsed): cancel the intent so it can never
                # take money later, then this checkout fails and a new charge may start. If
                # the client finished it meanwhile, the gateway refuses and we wait.
                intent = gateway.cancel_payment(
                    intent_ref=intent_ref, idempotency_key=f"checkout-{checkout_id}-cancel"
                )
        except GatewayError:
            unknown.append(checkout_id)
            continue
        with tx() as session:
            outcome = co.record_intent(session, checkout_id=checkout_id, intent=intent)
        if outcome.status == "succeeded":
            paid = (checkout_id, outcome.payment_id)
        elif outcome.status in ("processing", "requires_action"):
            still.append(checkout_id)
    with tx() as session:
        invoice = session.get_one(Invoice, invoice_id)
        if still or unknown:
            _note(
                session,
                invoice,
                "autobill_waiting",
                source,
                source_id,
                checkouts=still + unknown,
            )
            if still:
                return AutobillResult(
                    "processing",
                    "An earlier payment of this invoice is not finished yet.",
                    checkout_id=still[0],
                )
            return AutobillResult(
                "skipped", "This invoice is being paid right now.", checkout_id=unknown[0]
            )
        if paid is not None and co.amount_due_minor(invoice) <= 0:
            _note(
                session,
                invoice,
                "autobill_paid",
                source,
                source_id,
                payment_id=paid[1],
                reconciled=True,
            )
            return AutobillResult("paid", payment_id=paid[1], checkout_id=paid[0])
    return None
