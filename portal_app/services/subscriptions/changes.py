"""Changing a subscription's plan, with proration for the unused part of the period.

What a change does (amounts from services.proration):
- trialing: the new plan applies now and the trial continues; nothing is charged.
- upgrade (new price higher): the difference `net` is invoiced and charged to the client's
  default card now; the plan changes once that invoice is paid. A declined card voids the
  invoice and keeps the old plan.
- downgrade (new price lower), per the current plan's `downgrade_mode`:
  `credit_now` switches now and issues a credit note for -net (it pays later invoices);
  `period_end` keeps the old plan to the period's end and bills the new one from the next.
- same price: switches now, nothing charged or credited.
The client confirms the amount previewed; a different amount at confirmation is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.gateways.base import PaymentGateway
from portal_app.models import (
    Invoice,
    InvoiceLock,
    RecurringInvoice,
    Subscription,
    SubscriptionPlan,
)
from portal_app.models.statuses import InvoiceStatus, SubscriptionStatus
from portal_app.schemas.subscription import ChangePreview
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments.checkout_flow import Tx
from portal_app.services.subscriptions.billing import (
    issue_credit,
    issue_proration_invoice,
    open_invoices,
    set_recurring_plan,
    void_invoice,
)
from portal_app.services.subscriptions.proration import Proration, prorate
from portal_app.services.subscriptions.subscriptions import change_targets, get_own, may_change


def refuse_unless_full_session(actor: Actor) -> None:
    """Changing a subscription needs a password session (not a preview, not an e-mailed link)."""
    if actor.is_preview:
        raise ReadOnlyError(gettext("Staff preview cannot change subscriptions."))
    if actor.is_link_session:
        raise ReadOnlyError(gettext("Sign in with your password to change your subscription."))


@dataclass(frozen=True, slots=True)
class _Plan:
    sub: Subscription
    old: SubscriptionPlan
    new: SubscriptionPlan
    kind: str
    effective: str
    proration: Proration

    @property
    def net_now(self) -> int:
        """What moves now: > 0 charged, < 0 credited, 0 nothing."""
        if self.kind == "upgrade" or (self.kind == "downgrade" and self.effective == "now"):
            return self.proration.net_minor
        return 0


def _plan_change(
    session: Session, actor: Actor, subscription_id: int, target_plan_id: object, today: date
) -> _Plan:
    modules.require(session, actor=actor, module="subscriptions")
    sub = get_own(session, actor=actor, subscription_id=subscription_id)
    old = session.get(SubscriptionPlan, sub.plan_id)
    if not may_change(sub):
        raise ValidationError("plan", gettext("This subscription's plan cannot be changed now."))
    targets = {p.id: p for p in change_targets(session, subscription=sub, plan=old)}
    new = targets.get(target_plan_id) if isinstance(target_plan_id, int) else None
    if new is None:
        raise ValidationError("plan", gettext("You cannot change to that plan."))
    proration = prorate(
        old_price=old.price_minor,
        new_price=new.price_minor,
        start=sub.current_period_start,
        end=sub.current_period_end,
        today=today,
    )
    if sub.status == SubscriptionStatus.TRIALING:
        kind, effective = "trial", "now"
    elif new.price_minor > old.price_minor:
        kind, effective = "upgrade", "now"
    elif new.price_minor < old.price_minor:
        kind = "downgrade"
        effective = "now" if old.downgrade_mode == "credit_now" else "period_end"
    else:
        kind, effective = "switch", "now"
    return _Plan(sub, old, new, kind, effective, proration)


def preview_change(
    session: Session, *, actor: Actor, subscription_id: int, target_plan_id: object, today: date
) -> ChangePreview:
    """What changing to `target_plan_id` would charge or credit now, and when it applies."""
    change = _plan_change(session, actor, subscription_id, target_plan_id, today)
    locale = client_locale(session, actor)

    def money(minor: int) -> str:
        return format_money(minor, change.old.currency, locale)

    net = change.net_now
    p = change.proration
    days = {"left": p.remaining_days, "days": p.period_days}
    if change.kind == "trial":
        summary = gettext("Your trial continues on %(plan)s. Nothing is charged now.") % {
            "plan": change.new.name
        }
    elif change.kind == "upgrade" and net > 0:
        summary = gettext(
            "%(amount)s is charged to your default card now (%(left)d of %(days)d days left "
            "in this period)."
        ) % {"amount": money(net), **days}
    elif change.kind == "downgrade" and change.effective == "now" and net < 0:
        summary = gettext(
            "%(amount)s is credited to your account now (%(left)d of %(days)d days left in "
            "this period)."
        ) % {"amount": money(-net), **days}
    elif change.kind == "downgrade" and change.effective == "period_end":
        summary = gettext("%(plan)s starts on %(date)s. Nothing is charged or credited now.") % {
            "plan": change.new.name,
            "date": format_day(change.sub.current_period_end, locale),
        }
    else:
        summary = gettext("You change to %(plan)s now. Nothing is charged or credited.") % {
            "plan": change.new.name
        }
    return ChangePreview(
        target_plan_id=change.new.id,
        target_name=change.new.name,
        kind="switch" if change.kind == "trial" else change.kind,
        effective=change.effective,
        remaining_days=p.remaining_days,
        period_days=p.period_days,
        credit=money(p.credit_minor),
        charge=money(p.charge_minor),
        net=money(abs(net)),
        net_minor=net,
        summary=summary,
    )


def _switch_plan(session: Session, sub: Subscription, plan: SubscriptionPlan) -> None:
    sub.plan_id = plan.id
    sub.pending_plan_id = None
    sub.updated_at = utcnow()
    session.add(sub)
    recurring = session.get(RecurringInvoice, sub.recurring_invoice_id)
    if recurring is not None:
        recurring.frequency = plan.frequency
        set_recurring_plan(session, recurring=recurring, plan=plan)


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """Where a plan change stands: `done`, `requires_action` (3-D Secure), or `failed`."""

    status: str
    message: str = ""
    client_secret: str = ""
    checkout_id: int = 0
    invoice_id: int = 0
    credit_id: int = 0


def _default_card(session: Session, actor: Actor) -> tuple[int, str]:
    cards = [c for c in co.saved_cards(session, actor=actor) if c.is_default]
    if not cards:
        raise ValidationError(
            "plan",
            gettext("Add a card in Payment methods first: the difference is charged to it now."),
        )
    return cards[0].id, co.method_ref_of(session, actor=actor, method_id=cards[0].id)


def change_plan(
    tx: Tx,
    *,
    actor: Actor,
    gateway: PaymentGateway,
    subscription_id: int,
    target_plan_id: object,
    expected_net_minor: int,
    today: date,
) -> ChangeOutcome:
    """Change the plan as previewed. `expected_net_minor` is the preview's `net_minor`."""
    refuse_unless_full_session(actor)
    with tx() as session:
        # One change at a time per subscription: a second window waits here (PostgreSQL row
        # lock; SQLite has one writer) and then sees the first one's invoice and lock.
        session.exec(
            select(Subscription.id).where(Subscription.id == subscription_id).with_for_update()
        ).first()
        change = _plan_change(session, actor, subscription_id, target_plan_id, today)
        if change.net_now != expected_net_minor:
            raise ValidationError(
                "plan",
                gettext("The amounts changed since you looked. Review them and confirm again."),
            )
        sub, old, new, p = change.sub, change.old, change.new, change.proration
        if change.kind != "upgrade" or change.net_now <= 0:
            return _apply_without_charge(session, actor, change, today)
        method_id, method_ref = _default_card(session, actor)
        for stale in open_invoices(session, sub, renewal=False):
            held = session.exec(
                select(InvoiceLock).where(
                    InvoiceLock.invoice_id == stale.id, InvoiceLock.expires_at > utcnow()
                )
            ).first()
            if held is not None:
                raise ValidationError(
                    "plan",
                    gettext("A plan change is already being paid. Wait a minute and reload."),
                )
            # An earlier upgrade left unpaid (a closed 3-D Secure window) is void now.
            void_invoice(session, stale)
        invoice = issue_proration_invoice(
            session,
            subscription=sub,
            old=old,
            new=new,
            charge_minor=p.charge_minor,
            credit_minor=p.credit_minor,
            remaining_days=p.remaining_days,
            period_days=p.period_days,
            today=today,
        )
        started = co.start_checkout(
            session,
            actor=actor,
            request=co.CheckoutRequest(invoice_ids=[invoice.id], payment_method_id=method_id),
        )
        invoice_id = invoice.id
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=method_ref
    )
    return _after_charge(
        tx, actor, outcome, subscription_id, new.id, invoice_id, started.checkout_id
    )


def finish_after_action(
    tx: Tx,
    *,
    actor: Actor,
    gateway: PaymentGateway,
    subscription_id: int,
    target_plan_id: int,
    invoice_id: int,
    checkout_id: int,
) -> ChangeOutcome:
    """After 3-D Secure for an upgrade: read the payment back and switch when it succeeded."""
    refuse_unless_full_session(actor)
    outcome = flow.confirm_after_action(tx, actor=actor, gateway=gateway, checkout_id=checkout_id)
    return _after_charge(
        tx, actor, outcome, subscription_id, target_plan_id, invoice_id, checkout_id
    )


def _after_charge(
    tx: Tx,
    actor: Actor,
    outcome: co.ChargeOutcome,
    subscription_id: int,
    target_plan_id: int,
    invoice_id: int,
    checkout_id: int,
) -> ChangeOutcome:
    if outcome.status == "requires_action":
        return ChangeOutcome(
            "requires_action",
            client_secret=outcome.client_secret,
            checkout_id=checkout_id,
            invoice_id=invoice_id,
        )
    with tx() as session:
        sub = get_own(session, actor=actor, subscription_id=subscription_id)
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.subscription_id != sub.id:
            raise NotFoundError("invoice")
        if outcome.status == "succeeded" and invoice.status == InvoiceStatus.PAID:
            new = session.get(SubscriptionPlan, target_plan_id)
            old_plan_id = sub.plan_id
            _switch_plan(session, sub, new)
            audit.record_contact_action(
                session,
                actor,
                "subscription",
                sub.id,
                "subscription_upgraded",
                old_plan_id=old_plan_id,
                plan_id=new.id,
                invoice_id=invoice.id,
                paid=invoice.amount_minor,
            )
            return ChangeOutcome("done", invoice_id=invoice.id, checkout_id=checkout_id)
        if outcome.status == "processing":
            return ChangeOutcome("failed", message=outcome.message, invoice_id=invoice.id)
        void_invoice(session, invoice)
        return ChangeOutcome(
            "failed",
            message=outcome.message
            or gettext("The payment was not completed; your plan is unchanged."),
        )


def _apply_without_charge(
    session: Session, actor: Actor, change: _Plan, today: date
) -> ChangeOutcome:
    sub, old, new, p = change.sub, change.old, change.new, change.proration
    if change.effective == "period_end":
        sub.pending_plan_id = new.id
        sub.updated_at = utcnow()
        session.add(sub)
        audit.record_contact_action(
            session,
            actor,
            "subscription",
            sub.id,
            "subscription_downgrade_scheduled",
            plan_id=new.id,
        )
        return ChangeOutcome("done")
    credit = None
    if change.net_now < 0:
        # Tied to the subscription and the payment of this period: refunding the period
        # later nets what of it was spent and voids the rest.
        credit = issue_credit(
            session,
            subscription=sub,
            old=old,
            new=new,
            amount_minor=-change.net_now,
            remaining_days=p.remaining_days,
            period_days=p.period_days,
            today=today,
        )
    _switch_plan(session, sub, new)
    audit.record_contact_action(
        session,
        actor,
        "subscription",
        sub.id,
        "subscription_plan_changed",
        old_plan_id=old.id,
        plan_id=new.id,
        credited=-change.net_now if change.net_now < 0 else 0,
        credit_origin_payment_id=credit.origin_payment_id if credit is not None else None,
    )
    return ChangeOutcome("done", credit_id=credit.id if credit is not None else 0)
