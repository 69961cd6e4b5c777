"""The card steps of a checkout, each database step in its own transaction.

`tx` is a context-manager factory that yields a session and commits when the block ends (the
page passes `session_scope`). Gateway calls happen between transactions, never inside one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, suppress

from sqlalchemy import update
from sqlmodel import Session, col, select

from portal_app.core.card_labels import stored_card_label
from portal_app.core.db import id_of, utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.gateways.base import CardDeclinedError, CardDetails, GatewayError, PaymentGateway
from portal_app.models import Checkout, PaymentMethod
from portal_app.models.statuses import CheckoutStatus
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope
from portal_app.services.payments import checkout as co

Tx = Callable[[], AbstractContextManager[Session]]


def setup_new_card(tx: Tx, *, actor: Actor, gateway: PaymentGateway, purpose: str) -> str:
    """A SetupIntent client secret for the card element (the browser confirms it)."""
    if not actor.may_move_money:
        raise ReadOnlyError(gettext("Staff preview cannot add cards."))
    with tx() as session:
        customer_ref = co.customer_ref_for(session, actor=actor, gateway=gateway)
    intent = gateway.create_setup_intent(
        customer_ref=customer_ref, idempotency_key=f"setup-{actor.client_id}-{purpose}"
    )
    return intent.client_secret


def card_from_setup(
    tx: Tx, *, actor: Actor, gateway: PaymentGateway, setup_intent_ref: str, save: bool
) -> str:
    """The card a confirmed SetupIntent saved, checked to belong to this client's customer.

    With `save`, the card is also stored as one of the client's payment methods.
    """
    if not actor.may_move_money:
        # Even a card used once is attached to the client's gateway customer.
        raise ReadOnlyError(gettext("Staff preview cannot add cards."))
    if save and actor.is_link_session:
        # Keeping a card changes the account: it needs a password session.
        raise ReadOnlyError(gettext("Sign in with your password to add or remove cards."))
    if not setup_intent_ref.startswith("seti_") or len(setup_intent_ref) > 255:
        raise ValidationError("card", gettext("The card could not be set up. Please try again."))
    with tx() as session:
        customer_ref = co.customer_ref_for(session, actor=actor, gateway=gateway)
    intent = gateway.retrieve_setup_intent(setup_intent_ref)
    if intent.customer_ref != customer_ref:
        # Someone else's SetupIntent: treat like any unknown id.
        raise NotFoundError("setup intent")
    if intent.status != "succeeded" or not intent.method_ref:
        raise ValidationError(
            "card", gettext("The card was not confirmed. Please check it and try again.")
        )
    card = gateway.card_details(intent.method_ref)
    if card.customer_ref and card.customer_ref != customer_ref:
        raise NotFoundError("setup intent")
    if not card.customer_ref:
        # Real Stripe attaches the card when the SetupIntent succeeds; localstripe does not.
        gateway.attach_method(method_ref=card.method_ref, customer_ref=customer_ref)
        card = gateway.card_details(intent.method_ref)
    if save:
        with tx() as session:
            store_card(session, actor=actor, card=card, gateway_name=gateway.name)
    return card.method_ref


def card_for_payment(
    tx: Tx, *, actor: Actor, gateway: PaymentGateway, method_ref: str, save: bool
) -> str:
    """A card the browser just created (no confirmation yet), checked before it is charged in
    one step with the payment: not anyone else's. With `save`, the charge keeps it, which an
    e-mailed-link session may not ask for."""
    if not actor.may_move_money:
        raise ReadOnlyError(gettext("Staff preview cannot make payments."))
    if save and actor.is_link_session:
        raise ReadOnlyError(gettext("Sign in with your password to add or remove cards."))
    if not method_ref.startswith("pm_") or len(method_ref) > 255:
        raise ValidationError("card", gettext("The card could not be set up. Please try again."))
    with tx() as session:
        customer_ref = co.customer_ref_for(session, actor=actor, gateway=gateway)
    try:
        card = gateway.card_details(method_ref)
    except CardDeclinedError as exc:
        raise ValidationError("card", exc.message) from exc
    except GatewayError as exc:
        if exc.code == "unreachable":
            raise
        raise NotFoundError("payment method") from exc
    if card.customer_ref and card.customer_ref != customer_ref:
        # Another customer's card: like any unknown id.
        raise NotFoundError("payment method")
    return card.method_ref


def keep_paid_card(tx: Tx, *, actor: Actor, gateway: PaymentGateway, checkout_id: int) -> int:
    """After a one-step pay-and-save succeeded: keep the card the gateway says paid it, as
    the gateway reports it (never what the browser sent). Returns the saved card's id; a
    second call finds the same card."""
    if not actor.may_move_money:
        raise ReadOnlyError(gettext("Staff preview cannot add cards."))
    if actor.is_link_session:
        raise ReadOnlyError(gettext("Sign in with your password to add or remove cards."))
    with tx() as session:
        checkout = co.own_checkout(session, actor=actor, checkout_id=checkout_id)
        intent_ref = checkout.gateway_intent_id
        customer_ref = co.customer_ref_for(session, actor=actor, gateway=gateway)
    if not intent_ref:
        raise NotFoundError("checkout")
    intent = gateway.retrieve_payment(intent_ref)
    if not intent.succeeded or not intent.method_ref:
        raise ValidationError(
            "card", gettext("The card was not confirmed. Please check it and try again.")
        )
    card = gateway.card_details(intent.method_ref)
    if card.customer_ref != customer_ref:
        # setup_future_usage attaches the card once the payment succeeds; anything else is
        # not a card of this client's to keep.
        raise NotFoundError("payment method")
    with tx() as session:
        return id_of(store_card(session, actor=actor, card=card, gateway_name=gateway.name))


def store_card(
    session: Session, *, actor: Actor, card: CardDetails, gateway_name: str
) -> PaymentMethod:
    """Keep a card (token and display details only) as one of the client's payment methods."""
    existing = session.exec(
        select(PaymentMethod).where(col(PaymentMethod.method_ref) == card.method_ref)
    ).first()
    if existing:
        if existing.client_id != actor.client_id:
            raise NotFoundError("payment method")
        return existing
    has_default = session.exec(
        select(PaymentMethod).where(
            # Any default card of the client's decides (the link narrowing is for showing).
            client_scope(PaymentMethod, actor, whole_client=True),
            PaymentMethod.removed_at.is_(None),  # type: ignore[union-attr]
            PaymentMethod.is_default.is_(True),  # type: ignore[attr-defined]
        )
    ).first()
    method = PaymentMethod(
        company_id=actor.company_id,
        client_id=actor.client_id,
        gateway=gateway_name,
        customer_ref=card.customer_ref,
        method_ref=card.method_ref,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        is_default=has_default is None,
    )
    session.add(method)
    session.flush()
    return method


def pay_with_card(
    tx: Tx,
    *,
    actor: Actor,
    gateway: PaymentGateway,
    checkout_id: int,
    method_ref: str,
    save_for_later: bool = False,
) -> co.ChargeOutcome:
    """Charge a checkout's card part once, and record what the gateway answered.

    `save_for_later` (a card from `card_for_payment`, gateways that pay and save in one step):
    the gateway keeps the card once the payment succeeds; `keep_paid_card` then stores it.
    """
    if not actor.may_move_money:
        raise ReadOnlyError(gettext("Staff preview cannot make payments."))
    label = card_label(gateway, method_ref)
    with tx() as session:
        claimed = co.claim_for_charge(
            session, actor=actor, checkout_id=checkout_id, method_ref=method_ref, method_label=label
        )
        if claimed is None:
            return current_outcome(session, actor=actor, checkout_id=checkout_id)
        customer_ref = co.customer_ref_for(session, actor=actor, gateway=gateway)
        session.expunge(claimed)
    try:
        intent, declined = co.charge(
            gateway=gateway,
            checkout=claimed,
            customer_ref=customer_ref,
            save_for_later=save_for_later and gateway.pays_and_saves_in_one_step,
        )
    except GatewayError as exc:
        # Unknown outcome: reopen the same checkout, so a retry reuses its idempotency key.
        with tx() as session:
            session.exec(
                update(Checkout)
                .where(
                    col(Checkout.id) == checkout_id,
                    col(Checkout.status) == CheckoutStatus.PROCESSING,
                )
                .values(status=CheckoutStatus.OPEN, updated_at=utcnow())
            )
        return co.ChargeOutcome("failed", message=exc.message)
    with tx() as session:
        if intent is None:
            co.fail_checkout(session, checkout_id=checkout_id, message=declined)
            return co.ChargeOutcome("failed", message=declined)
        return co.record_intent(session, checkout_id=checkout_id, intent=intent)


def card_label(gateway: PaymentGateway, method_ref: str) -> str:
    """ "Visa •••• 4242" for a card token, or "Card" when the gateway cannot say (stored,
    translated when shown)."""
    try:
        card = gateway.card_details(method_ref)
    except GatewayError:
        return stored_card_label("", "")
    return stored_card_label(card.brand, card.last4)


def confirm_after_action(
    tx: Tx, *, actor: Actor, gateway: PaymentGateway, checkout_id: int
) -> co.ChargeOutcome:
    """After 3-D Secure in the browser: read the PaymentIntent back and record it."""
    if not actor.may_move_money:
        raise ReadOnlyError(gettext("Staff preview cannot make payments."))
    with tx() as session:
        checkout = co.own_checkout(session, actor=actor, checkout_id=checkout_id)
        intent_ref = checkout.gateway_intent_id
        if not intent_ref:
            raise NotFoundError("checkout")
    intent = gateway.retrieve_payment(intent_ref)
    with tx() as session:
        if intent.status == "requires_payment_method":
            message = intent.failure_message or "The card could not be authenticated."
            co.fail_checkout(session, checkout_id=checkout_id, message=message)
            return co.ChargeOutcome("failed", message=message)
        return co.record_intent(session, checkout_id=checkout_id, intent=intent)


def current_outcome(session: Session, *, actor: Actor, checkout_id: int) -> co.ChargeOutcome:
    """Where a checkout stands, for a second click or a reload while it is being charged."""
    checkout = co.own_checkout(session, actor=actor, checkout_id=checkout_id)
    if checkout.status == CheckoutStatus.SUCCEEDED:
        return co.ChargeOutcome("succeeded", payment_id=checkout.payment_id)
    if checkout.status == CheckoutStatus.FAILED:
        return co.ChargeOutcome("failed", message=checkout.failure_message)
    if checkout.status == CheckoutStatus.EXPIRED:
        return co.ChargeOutcome(
            "failed",
            message=gettext("These invoices are being paid in another window. Reload to see them."),
        )
    return co.ChargeOutcome(
        "processing", message=gettext("This payment is already being processed.")
    )


def forget_card(gateway: PaymentGateway, method_ref: str) -> None:
    """Detach a card the client did not ask to keep (after it paid)."""
    # Not saving it on our side is what matters; a stale attachment holds no card data.
    with suppress(GatewayError):
        gateway.detach_method(method_ref)


CANCELLED = "You cancelled that attempt. Nothing was charged, and the invoices can be paid again."
NOT_CANCELLABLE = "This payment is being processed and cannot be cancelled now. Reload in a minute."


def cancel_attempt(
    tx: Tx, *, actor: Actor, gateway: PaymentGateway, checkout_id: int
) -> co.ChargeOutcome:
    """Cancel the client's own payment attempt left waiting for 3-D Secure: the PaymentIntent
    is cancelled at the gateway (so it can never take money later), then the checkout fails,
    which frees its invoices and gives back its held credit at once.

    An attempt the bank confirmed meanwhile is not cancelled: it settles like any payment.
    A second click finds the attempt already ended and says how it ended.
    """
    if not actor.may_move_money:
        raise ReadOnlyError(gettext("Staff preview cannot make payments."))
    with tx() as session:
        checkout = session.exec(
            select(Checkout).where(
                col(Checkout.id) == checkout_id, client_scope(Checkout, actor, whole_client=True)
            )
        ).first()
        if checkout is None:
            raise NotFoundError("checkout")
        status, intent_ref = checkout.status, checkout.gateway_intent_id
        if status in (CheckoutStatus.SUCCEEDED, CheckoutStatus.FAILED, CheckoutStatus.EXPIRED):
            return current_outcome(session, actor=actor, checkout_id=checkout_id)
    if status != CheckoutStatus.REQUIRES_ACTION or not intent_ref:
        raise ValidationError("attempt", NOT_CANCELLABLE)
    try:
        # The key autobill uses too: however many clicks, one cancellation at the gateway.
        intent = gateway.cancel_payment(
            intent_ref=intent_ref, idempotency_key=f"checkout-{checkout_id}-cancel"
        )
    except GatewayError:
        # Refused: most likely the bank confirmed it meanwhile. Read what really happened.
        intent = gateway.retrieve_payment(intent_ref)
    with tx() as session:
        if intent.status == "canceled":
            co.fail_checkout(session, checkout_id=checkout_id, message=CANCELLED)
            return co.ChargeOutcome("failed", message=CANCELLED)
        return co.record_intent(session, checkout_id=checkout_id, intent=intent)
