"""A client's saved cards: list, add (from a confirmed SetupIntent), make default, remove.

Every query is scoped to the actor's client in the actor's company; any other id is "not
found". Functions that call the gateway take `tx`, a context-manager factory that yields a
session and commits when its block ends (the page passes `session_scope`), so no gateway call
ever happens inside an open transaction. The others take the caller's session and never commit.

Only a full (password or code) session may change cards: an e-mailed-link session may look at
them, and staff previewing the portal change nothing.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import and_, update
from sqlmodel import Session, col, select

from portal_app.core.card_labels import brand_label
from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.core.money import format_money
from portal_app.gateways.base import GatewayError, PaymentGateway
from portal_app.models import (
    PaymentMethod,
    PrepaymentSchedule,
    RecurringInvoice,
    Subscription,
    SubscriptionPlan,
)
from portal_app.models.statuses import PrepaymentScheduleStatus, RecurringStatus
from portal_app.schemas.payment_method import PaymentMethodView
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope, get_client_record
from portal_app.services.payments import checkout_flow as flow

if TYPE_CHECKING:
    # Only a type here: checkout imports this module for `owned_method`, and checkout_flow
    # imports checkout, so a runtime `from checkout_flow import` would be circular.
    from portal_app.services.payments.checkout_flow import Tx

# English msgids (N_), translated where raised or shown.
LINK_SESSION_MESSAGE = N_("Sign in with your password to add or remove cards.")
PREVIEW_MESSAGES = {
    "add": N_("Staff preview cannot add cards."),
    "remove": N_("Staff preview cannot remove cards."),
    "default": N_("Staff preview cannot change the default card."),
}
UNREACHABLE_MESSAGE = N_(
    "The card processor could not be reached, so the card was not removed. Please try again."
)
_ATTEMPT = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def is_expired(method: PaymentMethod, today: date | None = None) -> bool:
    """True once the card's expiry month is over (a card is valid through its whole month)."""
    if not method.exp_year or not method.exp_month:
        return False
    today = today or date.today()
    return (method.exp_year, method.exp_month) < (today.year, today.month)


def _view(method: PaymentMethod, today: date | None = None) -> PaymentMethodView:
    expiry = (
        f"{method.exp_month:02d}/{method.exp_year}" if method.exp_month and method.exp_year else ""
    )
    return PaymentMethodView(
        id=method.id or 0,
        brand=brand_label(method.brand),
        last4=method.last4,
        expiry=expiry,
        is_default=method.is_default,
        is_expired=is_expired(method, today),
    )


def _refuse_unless_full_session(actor: Actor, action: str) -> None:
    if actor.is_preview:
        raise ReadOnlyError(gettext(PREVIEW_MESSAGES[action]))
    if actor.is_link_session:
        raise ReadOnlyError(gettext(LINK_SESSION_MESSAGE))


def _active_condition(actor: Actor):
    """The actor's saved cards that are not removed: same client, same company, and none
    for an e-mailed-link session (see services/identity/scope.py)."""
    return and_(client_scope(PaymentMethod, actor), col(PaymentMethod.removed_at).is_(None))


def _active(actor: Actor):
    """The actor's saved cards that are not removed (a query to refine)."""
    return select(PaymentMethod).where(_active_condition(actor))


def owned_method(session: Session, *, actor: Actor, method_id: object) -> PaymentMethod:
    """One of the actor's own saved cards by id, for paying with it or changing it.

    NotFoundError for anything else: another client's or company's card, a removed card, any
    saved card in an e-mailed-link session, and an id that is not a positive int within the id
    column's range (a bool or a string from the browser too), so all look like no card.
    """
    return get_client_record(
        session,
        PaymentMethod,
        method_id,
        actor=actor,
        noun="payment method",
        where=col(PaymentMethod.removed_at).is_(None),
    )


def _audit(session: Session, actor: Actor, action: str, method: PaymentMethod) -> None:
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action=action,
        actor_type="staff_preview" if actor.is_preview else "contact",
        actor_id=actor.contact_id,
        entity_type="payment_method",
        entity_id=method.id,
        ip=actor.ip,
        details={"brand": method.brand, "last4": method.last4},
    )


def list_methods(
    session: Session, *, actor: Actor, today: date | None = None
) -> list[PaymentMethodView]:
    """The actor's saved cards as views: the default first, then the newest."""
    rows = session.exec(
        _active(actor).order_by(
            col(PaymentMethod.is_default).desc(),
            col(PaymentMethod.created_at).desc(),
            col(PaymentMethod.id).desc(),
        )
    ).all()
    return [_view(row, today) for row in rows]


def start_adding(tx: Tx, *, actor: Actor, gateway: PaymentGateway, attempt: object) -> str:
    """A SetupIntent client secret for the card element, for one "Add a card" attempt.

    `attempt` is a random value the page makes per attempt: it keys the gateway call, so a
    retried request reuses the same SetupIntent while a new attempt gets a fresh one.
    Typed `object`: it is checked here, whatever the caller passes on.
    """
    _refuse_unless_full_session(actor, "add")
    if not isinstance(attempt, str) or not _ATTEMPT.match(attempt):
        raise ValidationError(
            "card", gettext("The card form could not be prepared. Please try again.")
        )
    return flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose=f"card-{attempt}")


def add_from_setup_intent(
    tx: Tx, *, actor: Actor, gateway: PaymentGateway, setup_intent_ref: object
) -> PaymentMethodView:
    """Save the card a SetupIntent confirmed in the browser, after the gateway vouches for it.

    The SetupIntent is read back from the gateway and its card must belong to this client's
    customer (`checkout_flow.card_from_setup`); the first card saved becomes the default.
    `setup_intent_ref` comes from the browser, hence `object`, checked here.
    """
    _refuse_unless_full_session(actor, "add")
    if not isinstance(setup_intent_ref, str):
        raise ValidationError("card", gettext("The card could not be set up. Please try again."))
    method_ref = flow.card_from_setup(
        tx, actor=actor, gateway=gateway, setup_intent_ref=setup_intent_ref, save=True
    )
    with tx() as session:
        method = session.exec(_active(actor).where(PaymentMethod.method_ref == method_ref)).first()
        if method is None:
            raise NotFoundError("payment method")
        _audit(session, actor, "payment_method_added", method)
        return _view(method)


def set_default(session: Session, *, actor: Actor, method_id: int) -> PaymentMethodView:
    """Make one of the actor's cards the default (the one used for automatic payments)."""
    _refuse_unless_full_session(actor, "default")
    method = owned_method(session, actor=actor, method_id=method_id)
    if not method.is_default:
        _make_default(session, actor, method)
        _audit(session, actor, "payment_method_default_set", method)
    return _view(method)


def _make_default(session: Session, actor: Actor, method: PaymentMethod) -> None:
    # Clear every default of this client first, so two concurrent calls leave exactly one.
    session.exec(
        update(PaymentMethod)
        .where(
            client_scope(PaymentMethod, actor),
            col(PaymentMethod.id) != method.id,
            col(PaymentMethod.is_default).is_(True),
        )
        .values(is_default=False)
    )
    method.is_default = True
    session.add(method)
    session.flush()


def _blocking_dependents(session: Session, actor: Actor) -> list[str]:
    """What charges the client's default card automatically and would be left without one:
    live subscriptions (not already ending), active repeated pre-payments and active
    recurring invoices with auto-bill on (a subscription's own schedule counts once)."""
    subscriptions = session.exec(
        select(Subscription, SubscriptionPlan)
        .join(SubscriptionPlan, col(SubscriptionPlan.id) == Subscription.plan_id)
        .where(
            client_scope(Subscription, actor),
            col(Subscription.status).in_(("trialing", "active", "past_due")),
            col(Subscription.cancel_at).is_(None),
        )
        .order_by(col(Subscription.id))
    ).all()
    labels = [
        gettext("Subscription %(plan)s") % {"plan": plan.name} for _sub, plan in subscriptions
    ]
    # A subscription's schedule is the subscription's business (renewals charge it).
    owned = set(
        session.exec(
            select(Subscription.recurring_invoice_id).where(client_scope(Subscription, actor))
        ).all()
    )
    schedules = session.exec(
        select(RecurringInvoice)
        .where(
            client_scope(RecurringInvoice, actor),
            RecurringInvoice.status == RecurringStatus.ACTIVE,
        )
        .order_by(col(RecurringInvoice.id))
    ).all()
    labels += [
        gettext("Recurring invoice %(number)s") % {"number": r.number}
        for r in schedules
        if r.id not in owned
        and (
            r.auto_bill == "always"
            or (r.auto_bill in ("opt_in", "opt_out") and r.auto_bill_enabled)
        )
    ]
    locale = client_locale(session, actor)
    repeated = session.exec(
        select(PrepaymentSchedule).where(
            client_scope(PrepaymentSchedule, actor),
            PrepaymentSchedule.status == PrepaymentScheduleStatus.ACTIVE,
        )
    ).all()
    labels += [
        gettext("Repeated pre-payment of %(amount)s")
        % {"amount": format_money(r.amount_minor, r.currency, locale)}
        for r in repeated
    ]
    return labels


def remove_method(tx: Tx, *, actor: Actor, gateway: PaymentGateway, method_id: int) -> None:
    """Remove a saved card: detach it at the gateway, then hide it here.

    When it was the default, the newest remaining card (an unexpired one if there is one)
    becomes the default. The last card cannot be removed while an automatic payment depends
    on it. If the gateway cannot detach the card, nothing changes and GatewayError says why.
    """
    _refuse_unless_full_session(actor, "remove")
    with tx() as session:
        method = owned_method(session, actor=actor, method_id=method_id)
        others = session.exec(_active(actor).where(PaymentMethod.id != method.id)).all()
        if not others:
            dependents = _blocking_dependents(session, actor)
            if dependents:
                raise ValidationError(
                    "payment_method",
                    gettext(
                        "This card pays %(dependents)s automatically. Add another card "
                        "before removing it."
                    )
                    % {"dependents": ", ".join(dependents)},
                )
        method_ref, customer_ref = method.method_ref, method.customer_ref
    _detach(gateway, method_ref, customer_ref)
    with tx() as session:
        try:
            method = owned_method(session, actor=actor, method_id=method_id)
        except NotFoundError:
            return  # removed meanwhile (a second click): nothing left to do
        was_default = method.is_default
        method.removed_at = utcnow()
        method.is_default = False
        session.add(method)
        session.flush()
        if was_default:
            remaining = session.exec(
                _active(actor).order_by(
                    col(PaymentMethod.created_at).desc(), col(PaymentMethod.id).desc()
                )
            ).all()
            usable = [m for m in remaining if not is_expired(m)] or remaining
            if usable:
                _make_default(session, actor, usable[0])
        _audit(session, actor, "payment_method_removed", method)


def _detach(gateway: PaymentGateway, method_ref: str, customer_ref: str) -> None:
    """Detach a card at the gateway; a card that is already detached counts as done."""
    try:
        gateway.detach_method(method_ref)
        return
    except GatewayError as exc:
        if exc.code == "unreachable":
            raise GatewayError(gettext(UNREACHABLE_MESSAGE), code=exc.code) from exc
        failure = exc
    # Refused: fine if the card is no longer attached to this customer (detached elsewhere).
    try:
        card = gateway.card_details(method_ref)
    except GatewayError:
        card = None
    if card is not None and card.customer_ref != customer_ref:
        return
    raise GatewayError(
        gettext("The card could not be removed: %(reason)s Nothing was changed.")
        % {"reason": failure.message},
        code=failure.code,
    ) from failure


def default_method(session: Session, *, company_id: int, client_id: int) -> PaymentMethod | None:
    """The client's default saved card (not removed), if it has one."""
    return session.exec(
        select(PaymentMethod)
        .where(
            PaymentMethod.company_id == company_id,
            PaymentMethod.client_id == client_id,
            col(PaymentMethod.removed_at).is_(None),
            col(PaymentMethod.is_default).is_(True),
        )
        .order_by(col(PaymentMethod.id).desc())
    ).first()


def has_default_card(session: Session, *, actor: Actor) -> bool:
    """Whether the actor's client has a default saved card (auto-bill needs one)."""
    return (
        default_method(session, company_id=actor.company_id, client_id=actor.client_id) is not None
    )
