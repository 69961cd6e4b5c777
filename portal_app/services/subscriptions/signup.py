"""Signing up through a payment link: the subscription, its recurring invoice, and the first
period paid by card now (or a trial that starts today).

A paid plan's subscription starts `incomplete` with its first period's invoice; it becomes
`active` once that invoice is paid (`activate_if_paid`, called after the browser flow and by
the renewals job, so a payment settled by a webhook activates it too). Trying again after a
declined card reuses the same incomplete subscription and invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from portal_app.core.db import id_of, utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.gateways.base import PaymentGateway
from portal_app.models import Invoice, PaymentMethod, Subscription
from portal_app.models.statuses import SubscriptionStatus
from portal_app.services.company import modules
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope, get_client_record
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import payment_methods
from portal_app.services.payments.checkout_flow import Tx
from portal_app.services.subscriptions.billing import (
    create_recurring,
    issue_period_invoice,
    open_invoices,
)
from portal_app.services.subscriptions.subscriptions import (
    INCOMPLETE,
    link_and_plan,
    needs_card_for_trial,
)

# A msgid: the page translates it where it shows it.
ADD_CARD_FOR_TRIAL = N_("Add a card to start the trial. It is charged when the trial ends.")
# Statuses in which a client already has the plan (signing up again is refused).
HELD_STATUSES = ("trialing", "active", "past_due", "cancel_requested", "paused")


@dataclass(frozen=True, slots=True)
class SignupStart:
    """A subscription just made: pay `invoice_id` now, or nothing when it is trialing."""

    subscription_id: int
    invoice_id: int | None
    trialing: bool


def _refuse_unless_full_session(actor: Actor) -> None:
    if actor.is_preview:
        raise ReadOnlyError(gettext("Staff preview cannot subscribe."))
    if actor.is_link_session:
        raise ReadOnlyError(gettext("Sign in with your password to subscribe."))


def subscribe(session: Session, *, actor: Actor, key: object, today: date) -> SignupStart:
    """Subscribe the actor's client to the plan behind a payment link.

    A plan with trial days starts trialing today, with nothing charged, once the client has a
    default card on file (the page saves a new one first) unless the plan starts its trial
    without a card; otherwise the subscription waits (`incomplete`) for its first invoice to
    be paid by card.
    """
    _refuse_unless_full_session(actor)
    link, plan = link_and_plan(session, key=key)
    if link.company_id != actor.company_id:
        raise NotFoundError("payment link")
    modules.require(session, actor=actor, module="subscriptions")
    mine = session.exec(
        select(Subscription)
        .where(
            client_scope(Subscription, actor),
            Subscription.plan_id == plan.id,
            col(Subscription.status).in_((*HELD_STATUSES, INCOMPLETE)),
        )
        .order_by(col(Subscription.id).desc())
    ).all()
    if any(s.status in HELD_STATUSES for s in mine):
        raise ValidationError(
            "plan", gettext("You already subscribe to %(plan)s.") % {"plan": plan.name}
        )
    for earlier in mine:
        invoices = open_invoices(session, earlier, renewal=True)
        if invoices:
            return SignupStart(earlier.id, invoices[0].id, False)

    trial = plan.trial_days > 0
    if (
        trial
        and needs_card_for_trial(plan)
        and not payment_methods.has_default_card(session, actor=actor)
    ):
        # The renewal job charges the card on file when the trial ends: no card, no trial.
        raise ValidationError("card", ADD_CARD_FOR_TRIAL)
    sub = Subscription(
        company_id=actor.company_id,
        client_id=actor.client_id,
        contact_id=actor.contact_id,
        plan_id=plan.id,
        status=SubscriptionStatus.TRIALING if trial else INCOMPLETE,
        current_period_start=today,
        current_period_end=today,
    )
    session.add(sub)
    session.flush()
    invoice_id = None
    if trial:
        sub.trial_ends_on = today + timedelta(days=plan.trial_days)
        sub.current_period_end = sub.trial_ends_on
        recurring = create_recurring(session, subscription=sub, plan=plan, start=sub.trial_ends_on)
    else:
        recurring = create_recurring(session, subscription=sub, plan=plan, start=today)
        invoice_id = issue_period_invoice(
            session, subscription=sub, plan=plan, recurring=recurring
        ).id
    sub.recurring_invoice_id = recurring.id
    session.add(sub)
    session.flush()
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action="subscription_created",
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type="subscription",
        entity_id=sub.id,
        ip=actor.ip,
        details={"plan_id": plan.id, "link_id": link.id, "status": sub.status},
    )
    return SignupStart(sub.id, invoice_id, trial)


def keep_card_for_trial(
    tx: Tx, *, actor: Actor, gateway: PaymentGateway, setup_intent_ref: str
) -> int:
    """Keep the card the browser just confirmed for a trial (a SetupIntent, checked to be the
    client's) as its default card: the one the renewal job charges when the trial ends.
    Returns the saved card's id (the same card again for a second call)."""
    _refuse_unless_full_session(actor)
    method_ref = flow.card_from_setup(
        tx, actor=actor, gateway=gateway, setup_intent_ref=setup_intent_ref, save=True
    )
    with tx() as session:
        method = session.exec(
            select(PaymentMethod).where(
                client_scope(PaymentMethod, actor, whole_client=True),
                PaymentMethod.method_ref == method_ref,
                col(PaymentMethod.removed_at).is_(None),
            )
        ).one()
        payment_methods.set_default(session, actor=actor, method_id=id_of(method))
        return id_of(method)


def activate_if_paid(session: Session, *, subscription_id: int) -> bool:
    """Make an incomplete subscription active once its first invoice is paid; True if active."""
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        return False
    if sub.status != INCOMPLETE:
        return sub.status == SubscriptionStatus.ACTIVE
    first = session.exec(
        select(Invoice)
        .where(
            Invoice.subscription_id == sub.id,
            col(Invoice.recurring_invoice_id).is_not(None),
        )
        .order_by(col(Invoice.id))
    ).first()
    if first is None or first.status != "paid":
        return False
    sub.status = SubscriptionStatus.ACTIVE
    sub.updated_at = utcnow()
    session.add(sub)
    audit.record(
        session,
        company_id=sub.company_id,
        client_id=sub.client_id,
        action="subscription_activated",
        actor_type="system",
        actor_id=None,
        entity_type="subscription",
        entity_id=sub.id,
    )
    return True


def _own_incomplete(session: Session, actor: Actor, subscription_id: int) -> Subscription:
    return get_client_record(
        session,
        Subscription,
        subscription_id,
        actor=actor,
        noun="subscription",
        where=Subscription.status == INCOMPLETE,
    )


def pay_first_period(
    tx: Tx,
    *,
    actor: Actor,
    gateway: PaymentGateway,
    subscription_id: int,
    method_ref: str,
    payment_method_id: int | None = None,
) -> tuple[co.ChargeOutcome, int]:
    """Charge the first period to a card of the client's (saved, or just set up and saved).

    Returns the outcome and the checkout id (needed after 3-D Secure). On success the
    subscription is active.
    """
    _refuse_unless_full_session(actor)
    with tx() as session:
        sub = _own_incomplete(session, actor, subscription_id)
        invoices = open_invoices(session, sub, renewal=True)
        if not invoices:
            raise ValidationError("card", gettext("There is nothing to pay for this subscription."))
        started = co.start_checkout(
            session,
            actor=actor,
            request=co.CheckoutRequest(
                invoice_ids=[invoices[0].id], payment_method_id=payment_method_id
            ),
        )
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=method_ref
    )
    if outcome.status == "succeeded":
        with tx() as session:
            activate_if_paid(session, subscription_id=subscription_id)
    return outcome, started.checkout_id


def finish_after_action(
    tx: Tx, *, actor: Actor, gateway: PaymentGateway, subscription_id: int, checkout_id: int
) -> co.ChargeOutcome:
    """After 3-D Secure in the browser: read the payment back and activate when it succeeded."""
    outcome = flow.confirm_after_action(tx, actor=actor, gateway=gateway, checkout_id=checkout_id)
    if outcome.status == "succeeded":
        with tx() as session:
            own = session.exec(
                select(Subscription.id).where(
                    client_scope(Subscription, actor), Subscription.id == subscription_id
                )
            ).first()
            if own is not None:
                activate_if_paid(session, subscription_id=subscription_id)
    return outcome
