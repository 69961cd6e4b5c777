"""Stripe webhooks: verify, store raw, process once, in the caller's transaction.

`handle_stripe_webhook` is called by the API route inside one `session_scope()`:

1. The Stripe-Signature header is checked first. A bad signature raises
   `WebhookSignatureError` and nothing is stored or changed.
2. The verified event is stored raw (`WebhookEvent`, unique on the Stripe event id). An event id
   already `processed` or `ignored` is returned untouched: replays are no-ops. Two deliveries of
   one event at the same moment meet on the unique event id; the second returns the first's row.
3. The event is processed inside a SAVEPOINT of the same transaction. When processing raises,
   the savepoint is rolled back, so none of its partial work remains, and the stored event is
   marked `failed` with the error text; the transaction (the raw event and its failure) still
   commits and stays consistent. A `failed` event is processed again when Stripe delivers it
   again (the route answers 500 for it, so Stripe retries; a manual resend works too).

What each event does:
- `payment_intent.succeeded`, `.processing`, `.payment_failed`: the event's body is only a
  prompt. Its PaymentIntent id is taken from the (verified) event and the intent is read back
  from the gateway (`retrieve_payment`); the checkout named in the gateway's
  `metadata.checkout_id` is acted on with the gateway's status, amount and currency, never the
  body's. Whoever holds the webhook secret (or replays an old event) therefore cannot pay an
  invoice the gateway has not been paid for. When the read-back fails (timeout, outage, an
  intent the gateway does not know) the event is `failed`, so Stripe retries it.
  - The gateway says `succeeded`, whichever of the three events asked: the checkout is settled
    (`checkout.settle_checkout`, idempotent, which checks the gateway's amount, currency and
    checkout id against the checkout). A payment whose browser was closed still lands this way,
    even when its own `succeeded` event is late or lost.
  - `payment_intent.succeeded` for an intent the gateway says is anything else settles nothing
    and is stored `failed` with the gateway's status. A success is final at Stripe, so such an
    event is forged or belongs to another account: `failed` makes it stand out for an operator,
    and a retry only reads the gateway again.
  - `payment_intent.processing` while the gateway says `processing`: a `pending` Payment
    carrying the intent id as its gateway reference; settling later completes that same row.
  - `payment_intent.payment_failed` while the gateway says `requires_payment_method` or
    `canceled`: `checkout.fail_checkout` (frees the invoices, keeps a failed payment) with the
    gateway's failure message.
  - A `processing` or `payment_failed` event the gateway no longer (or never) agrees with, e.g.
    a decline reported while the customer is still in 3-D Secure, changes nothing and is stored
    `ignored`: the intent moved on, and its own later event reads the gateway again. Neither
    event is acted on once the checkout has succeeded: a late failure never undoes a payment.
- `charge.refunded`: the intent is read back from the gateway and `refunds.apply_refund` gets
  its cumulative refunded total (order-safe; the event body's `amount_refunded` is not
  trusted). When the refund arrives before the payment was settled, the checkout is settled
  first from the same read-back.
- `setup_intent.succeeded`: recorded only (cards are saved by the browser flow, which checks
  that the card belongs to the client and that the client asked to keep it).
- `payment_method.detached`: our saved card is marked removed; if it was the default, the
  client's newest other card becomes the default.
- Anything else, or an event about a checkout or card we do not know: stored as `ignored`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal_app.core.card_labels import stored_card_label
from portal_app.core.db import id_of, utcnow
from portal_app.core.errors import ValidationError
from portal_app.gateways.base import GatewayError, GatewayEvent, PaymentGateway
from portal_app.gateways.base import PaymentIntentResult as Intent
from portal_app.models import Checkout, Payment, PaymentMethod, WebhookEvent
from portal_app.models.statuses import (
    CheckoutStatus,
    PaymentMethodKind,
    PaymentStatus,
    WebhookStatus,
)
from portal_app.services.identity import audit
from portal_app.services.payments import checkout as co
from portal_app.services.payments import refunds

log = logging.getLogger(__name__)

# A stored event in one of these states is never processed again.
FINAL_STATUSES = ("processed", "ignored")


class WebhookSignatureError(Exception):
    """The payload is not signed with our webhook secret (or is malformed); nothing stored."""


class WebhookProcessingError(Exception):
    """A verified event that cannot be applied; stored as failed with this message."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: str  # processed | ignored | failed
    note: str = ""


def handle_stripe_webhook(
    session: Session, *, gateway: PaymentGateway, payload: bytes, signature: str
) -> WebhookEvent:
    """Verify, store and process one Stripe webhook delivery; returns the stored event.

    Raises WebhookSignatureError for a bad signature (nothing stored). Never commits: the caller
    owns the transaction, and everything here (the raw event and its effects) belongs to it.
    """
    try:
        event = gateway.verify_event(payload=payload, signature=signature or "")
    except (GatewayError, KeyError, TypeError, ValueError) as exc:
        raise WebhookSignatureError("invalid Stripe-Signature") from exc
    row = _store(session, event, payload, gateway.name)
    if row.status in FINAL_STATUSES:
        return row
    try:
        with session.begin_nested():
            outcome = _process(session, gateway, event)
    except (WebhookProcessingError, ValidationError, GatewayError) as exc:
        log.warning("webhook %s (%s) failed: %s", event.event_ref, event.event_type, exc)
        outcome = _Outcome("failed", f"{exc.__class__.__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - stored as failed; the savepoint undid its work
        log.exception("webhook %s (%s) failed", event.event_ref, event.event_type)
        outcome = _Outcome("failed", f"{exc.__class__.__name__}: {exc}")
    row.status = WebhookStatus(outcome.status)
    row.error = outcome.note[:1000]
    row.processed_at = utcnow()
    session.add(row)
    session.flush()
    return row


def _store(
    session: Session, event: GatewayEvent, payload: bytes, gateway_name: str
) -> WebhookEvent:
    """The stored row for this event id: the existing one, or a new raw `received` row."""
    existing = _stored_event(session, event.event_ref)
    if existing is not None:
        return existing
    row = WebhookEvent(
        gateway=gateway_name,
        event_ref=event.event_ref[:255],
        event_type=event.event_type[:100],
        payload=payload.decode("utf-8", errors="replace"),
        status=WebhookStatus.RECEIVED,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # The same event delivered twice at once: the other delivery stored (and processed) it.
        existing = _stored_event(session, event.event_ref)
        if existing is None:
            raise
        return existing
    return row


def _stored_event(session: Session, event_ref: str) -> WebhookEvent | None:
    return session.exec(
        select(WebhookEvent)
        .where(col(WebhookEvent.event_ref) == event_ref)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _process(session: Session, gateway: PaymentGateway, event: GatewayEvent) -> _Outcome:
    handler = _HANDLERS.get(event.event_type)
    if handler is None:
        return _Outcome("ignored", "event type not handled")
    return handler(session, gateway, event.data or {})


# -- payment intents ----------------------------------------------------------------------------


def _checkout_for(session: Session, intent: Intent) -> Checkout | None:
    """The checkout named in the intent's metadata, locked for this transaction; None if unknown."""
    raw = intent.metadata.get("checkout_id", "")
    if not raw.isdigit():
        return None
    return session.exec(
        select(Checkout)
        .where(Checkout.id == int(raw))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _bind_intent(session: Session, checkout: Checkout, intent: Intent) -> None:
    """Remember the intent on a checkout whose browser never reported it; refuse another one."""
    if checkout.gateway_intent_id is None:
        checkout.gateway_intent_id = intent.intent_ref
        checkout.updated_at = utcnow()
        session.add(checkout)
        session.flush()
    elif checkout.gateway_intent_id != intent.intent_ref:
        raise WebhookProcessingError(
            f"checkout {checkout.id} was charged with {checkout.gateway_intent_id}, "
            f"not {intent.intent_ref}"
        )


def _payment_for(session: Session, intent_ref: str) -> Payment | None:
    return session.exec(
        select(Payment)
        .where(Payment.gateway_reference == intent_ref)
        .execution_options(populate_existing=True)
    ).first()


def _settle(session: Session, checkout: Checkout, intent: Intent) -> Payment | None:
    if not intent.succeeded:
        raise WebhookProcessingError(
            f"the gateway says payment intent {intent.intent_ref} is {intent.status}"
        )
    _bind_intent(session, checkout, intent)
    return co.settle_checkout(session, checkout_id=id_of(checkout), intent=intent)


def _read_back(
    session: Session, gateway: PaymentGateway, data: dict[str, Any]
) -> tuple[Intent, Checkout] | _Outcome:
    """The event's PaymentIntent as the gateway reports it now, and our checkout it names.

    Only the intent id comes from the event; status, amount, currency and metadata are the
    gateway's. GatewayError (unreachable, unknown intent) propagates: the event is `failed`.
    Returns an `ignored` outcome when the event names no intent or the intent no checkout.
    """
    intent_ref = str(data.get("id") or "")
    if not intent_ref.startswith("pi_"):
        return _Outcome("ignored", "no payment intent in the event")
    intent = gateway.retrieve_payment(intent_ref)
    checkout = _checkout_for(session, intent)
    if checkout is None:
        return _Outcome("ignored", "no checkout of ours")
    return intent, checkout


def _settled(session: Session, checkout: Checkout, intent: Intent) -> _Outcome:
    _settle(session, checkout, intent)
    return _Outcome("processed", "the gateway says succeeded: settled")


def _intent_succeeded(session: Session, gateway: PaymentGateway, data: dict[str, Any]) -> _Outcome:
    found = _read_back(session, gateway, data)
    if isinstance(found, _Outcome):
        return found
    intent, checkout = found
    # Not succeeded at the gateway: _settle refuses, and the event is stored as failed.
    _settle(session, checkout, intent)
    return _Outcome("processed")


def _already_decided(session: Session, checkout: Checkout, intent: Intent) -> _Outcome | None:
    """What a `processing` or `payment_failed` event comes to when the outcome is settled
    already: a settled checkout stands (a late failure never undoes a payment), an intent the
    gateway now says succeeded is settled, a failed checkout stays failed; None otherwise."""
    if checkout.status == CheckoutStatus.SUCCEEDED:
        return _Outcome("ignored", "checkout already succeeded")
    if intent.succeeded:
        return _settled(session, checkout, intent)
    if checkout.status == CheckoutStatus.FAILED:
        return _Outcome("ignored", "checkout already failed")
    return None


def _intent_processing(session: Session, gateway: PaymentGateway, data: dict[str, Any]) -> _Outcome:
    found = _read_back(session, gateway, data)
    if isinstance(found, _Outcome):
        return found
    intent, checkout = found
    if (decided := _already_decided(session, checkout, intent)) is not None:
        return decided
    if intent.status != "processing":
        return _Outcome("ignored", f"the gateway says {intent.intent_ref} is {intent.status}")
    if intent.amount_minor != checkout.card_minor or intent.currency.upper() != checkout.currency:
        raise WebhookProcessingError("the gateway reported a different payment")
    _bind_intent(session, checkout, intent)
    if _payment_for(session, intent.intent_ref) is not None:
        return _Outcome("processed")
    now = utcnow()
    payment = Payment(
        company_id=checkout.company_id,
        client_id=checkout.client_id,
        contact_id=checkout.contact_id,
        number=f"tmp-{checkout.id}-{intent.intent_ref}"[:50],
        status=PaymentStatus.PENDING,
        currency=checkout.currency,
        amount_minor=checkout.card_minor,
        method=PaymentMethodKind.CARD,
        method_label=_method_label(session, checkout, intent),
        gateway="stripe",
        gateway_reference=intent.intent_ref,
        created_at=now,
        updated_at=now,
    )
    session.add(payment)
    session.flush()
    payment.number = f"PAY-{payment.id:06d}"
    session.add(payment)
    if checkout.status in ("open", "requires_action", "expired"):
        checkout.status = CheckoutStatus.PROCESSING
        checkout.updated_at = now
        session.add(checkout)
    audit.record(
        session,
        company_id=checkout.company_id,
        client_id=checkout.client_id,
        action="payment_pending",
        actor_type="system",
        actor_id=None,
        # The checkout, not the payment row: a pending row gives way to a failed one if the
        # bank declines later (see _intent_failed).
        entity_type="checkout",
        entity_id=checkout.id,
        details={"intent": intent.intent_ref, "amount": payment.amount_minor},
    )
    return _Outcome("processed")


# The gateway's statuses of a PaymentIntent whose attempt failed (Stripe returns a declined
# intent to requires_payment_method, with last_payment_error set).
FAILED_INTENT_STATUSES = ("requires_payment_method", "canceled")


def _intent_failed(session: Session, gateway: PaymentGateway, data: dict[str, Any]) -> _Outcome:
    found = _read_back(session, gateway, data)
    if isinstance(found, _Outcome):
        return found
    intent, checkout = found
    if (decided := _already_decided(session, checkout, intent)) is not None:
        return decided
    if intent.status not in FAILED_INTENT_STATUSES:
        # E.g. still in 3-D Secure: freeing the invoices now could let them be paid twice.
        return _Outcome("ignored", f"the gateway says {intent.intent_ref} is {intent.status}")
    _bind_intent(session, checkout, intent)
    # fail_checkout turns a pending payment under this reference into the failed one.
    co.fail_checkout(
        session,
        checkout_id=id_of(checkout),
        message=intent.failure_message or "The payment was not completed.",
    )
    return _Outcome("processed")


def _method_label(session: Session, checkout: Checkout, intent: Intent) -> str:
    ref = intent.method_ref or checkout.gateway_payment_method
    method = session.exec(select(PaymentMethod).where(PaymentMethod.method_ref == ref)).first()
    if method:
        return stored_card_label(method.brand, method.last4)
    return "Card"


# -- refunds ------------------------------------------------------------------------------------


def _charge_refunded(session: Session, gateway: PaymentGateway, data: dict[str, Any]) -> _Outcome:
    found: object = data.get("payment_intent")
    if isinstance(found, dict):
        # An expanded event carries the intent object instead of its id.
        found = cast("dict[str, object]", found).get("id")
    intent_ref = str(found or "")
    if not intent_ref:
        return _Outcome("ignored", "charge without a payment intent")
    # The refunded total, like a payment's outcome, is read back from the gateway: a signed
    # but stale or doctored event body cannot move money.
    intent = gateway.retrieve_payment(intent_ref)
    payment = _payment_for(session, intent_ref)
    if payment is None or payment.status in ("pending", "failed"):
        # The refund overtook the payment's own events: settle from what the gateway says now.
        checkout = _checkout_for(session, intent)
        if checkout is None:
            return _Outcome("ignored", "no checkout of ours")
        payment = _settle(session, checkout, intent)
    if payment is None:
        raise WebhookProcessingError(f"no payment for {intent_ref}")
    if intent.currency.upper() != payment.currency:
        raise WebhookProcessingError(
            f"refund in {intent.currency} for a {payment.currency} payment"
        )
    refunded = refunds.apply_refund(
        session, intent_ref=intent_ref, total_refunded_minor=intent.refunded_minor
    )
    if refunded is None:
        raise WebhookProcessingError(f"payment for {intent_ref} cannot be refunded")
    return _Outcome("processed")


# -- cards --------------------------------------------------------------------------------------


def _setup_intent_succeeded(
    _session: Session, _gateway: PaymentGateway, _data: dict[str, Any]
) -> _Outcome:
    return _Outcome("processed", "recorded only")


def _method_detached(session: Session, _gateway: PaymentGateway, data: dict[str, Any]) -> _Outcome:
    method_ref = str(data.get("id") or "")
    method = session.exec(
        select(PaymentMethod)
        .where(col(PaymentMethod.method_ref) == method_ref)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if method is None:
        return _Outcome("ignored", "not a saved card of ours")
    if method.removed_at is not None and not method.is_default:
        return _Outcome("processed", "already removed")
    now = utcnow()
    was_default = method.is_default
    method.removed_at = method.removed_at or now
    method.is_default = False
    session.add(method)
    promoted = None
    if was_default:
        # Same rule as removing a card in the portal: the newest unexpired card, else the newest.
        remaining = session.exec(
            select(PaymentMethod)
            .where(
                PaymentMethod.company_id == method.company_id,
                PaymentMethod.client_id == method.client_id,
                col(PaymentMethod.removed_at).is_(None),
                PaymentMethod.id != method.id,
            )
            .order_by(col(PaymentMethod.created_at).desc(), col(PaymentMethod.id).desc())
        ).all()
        today = date.today()
        usable = [
            m
            for m in remaining
            if not m.exp_year or (m.exp_year, m.exp_month) >= (today.year, today.month)
        ] or list(remaining)
        if usable:
            promoted = usable[0]
            session.exec(
                update(PaymentMethod)
                .where(
                    col(PaymentMethod.company_id) == method.company_id,
                    col(PaymentMethod.client_id) == method.client_id,
                    col(PaymentMethod.id) != promoted.id,
                    col(PaymentMethod.is_default).is_(True),
                )
                .values(is_default=False)
            )
            promoted.is_default = True
            session.add(promoted)
    session.flush()
    audit.record(
        session,
        company_id=method.company_id,
        client_id=method.client_id,
        action="payment_method_detached",
        actor_type="system",
        actor_id=None,
        entity_type="payment_method",
        entity_id=method.id,
        details={"method": method.method_ref, "new_default": promoted.id if promoted else None},
    )
    return _Outcome("processed")


_HANDLERS: dict[str, Callable[[Session, PaymentGateway, dict[str, Any]], _Outcome]] = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.processing": _intent_processing,
    "payment_intent.payment_failed": _intent_failed,
    "charge.refunded": _charge_refunded,
    "setup_intent.succeeded": _setup_intent_succeeded,
    "payment_method.detached": _method_detached,
}
