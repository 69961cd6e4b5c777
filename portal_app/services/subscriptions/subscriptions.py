"""Subscriptions as a client sees them: list, detail, the plans it may change to, and the
public plan behind a payment link. Every query is scoped to the actor's company and client.

Statuses (models.subscription): `incomplete` (signed up, first period not paid yet; never
listed), `trialing`, `active`, `past_due` (a renewal was declined; retries are scheduled),
`cancel_requested` (the company handles cancellations; staff decide), `cancelled`. A
subscription that will end at its period's end stays `active` with `cancel_at` set.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from portal_app.core.errors import NotFoundError
from portal_app.core.i18n import gettext, ngettext, pgettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.core.paging import parse_record_id
from portal_app.core.schedule import FREQUENCY_LABELS
from portal_app.models import (
    Company,
    Invoice,
    PaymentLink,
    PlanChangeOption,
    Subscription,
    SubscriptionPlan,
)
from portal_app.models.invoice import VISIBLE_STATUSES
from portal_app.models.statuses import SubscriptionStatus
from portal_app.schemas.subscription import (
    ChangeOptionView,
    PlanView,
    SubscriptionInvoiceView,
    SubscriptionRowView,
    SubscriptionView,
)
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope, get_client_record

INCOMPLETE = SubscriptionStatus.INCOMPLETE


def _status_labels() -> dict[str, str]:
    """Each status's badge (and "ending") in the reader's language; "subscription status"
    context: "Active" or "Cancelled" alone agree with another noun elsewhere."""
    return {
        INCOMPLETE: pgettext("subscription status", "Awaiting payment"),
        "trialing": pgettext("subscription status", "Trial"),
        "active": pgettext("subscription status", "Active"),
        "past_due": pgettext("subscription status", "Past due"),
        "cancel_requested": pgettext("subscription status", "Cancellation requested"),
        "cancelled": pgettext("subscription status", "Cancelled"),
        "paused": pgettext("subscription status", "Paused"),
        "ending": pgettext("subscription status", "Ending"),
    }


# Statuses that still bill (or will bill once the trial ends).
LIVE_STATUSES = ("trialing", "active", "past_due")
MAX_LIST = 200
MAX_LINK_KEY = 64


def _invoice_label(status: str) -> str:
    labels = {
        "sent": pgettext("invoice status", "Unpaid"),
        "partial": pgettext("invoice status", "Partly paid"),
        "paid": pgettext("invoice status", "Paid"),
    }
    return labels.get(status, status.capitalize())


def status_key(subscription: Subscription) -> str:
    """The status the badge is coloured by: "ending" for an active subscription ending at its
    period's end, else the status."""
    if subscription.status == SubscriptionStatus.ACTIVE and subscription.cancel_at is not None:
        return "ending"
    return str(subscription.status)


def status_label(subscription: Subscription) -> str:
    """The status as the client reads it, in the reader's language; a subscription ending at
    its period's end says so."""
    key = status_key(subscription)
    return _status_labels().get(key, key.capitalize())


def parse_subscription_id(raw: object) -> int:
    """A subscription id from a URL or the browser; NotFoundError unless a plain number."""
    return parse_record_id(raw, "subscription")


def get_own(session: Session, *, actor: Actor, subscription_id: object) -> Subscription:
    """The actor's listed subscription with this id; NotFoundError for anything else."""
    return get_client_record(
        session,
        Subscription,
        subscription_id,
        actor=actor,
        noun="subscription",
        where=Subscription.status != INCOMPLETE,
    )


def period_label(start: date, end: date, locale: str) -> str:
    """ "Jan 1, 2026 – Jan 31, 2026": `end` is exclusive (the next period's first day)."""
    return f"{format_day(start, locale)} – {format_day(end - timedelta(days=1), locale)}"


def next_charge_date(subscription: Subscription) -> date | None:
    """When the card is charged next, or None when nothing more will be charged."""
    if subscription.status == SubscriptionStatus.PAST_DUE:
        return subscription.next_retry_on
    if subscription.status == SubscriptionStatus.PAUSED:
        # A client's pause ends on a renewal date, charged then; a staff pause has no end.
        return subscription.pause_until
    renewing = ("trialing", "active", "cancel_requested")
    if subscription.status in renewing and subscription.cancel_at is None:
        return subscription.current_period_end
    return None


def _price(plan: SubscriptionPlan, locale: str) -> str:
    return format_money(plan.price_minor, plan.currency, locale)


def list_subscriptions(session: Session, *, actor: Actor) -> list[SubscriptionRowView]:
    """The client's subscriptions, live ones first, newest first within each group."""
    modules.require(session, actor=actor, module="subscriptions")
    rows = session.exec(
        select(Subscription, SubscriptionPlan)
        .join(SubscriptionPlan, col(SubscriptionPlan.id) == Subscription.plan_id)
        .where(client_scope(Subscription, actor), Subscription.status != INCOMPLETE)
        .order_by(col(Subscription.created_at).desc(), col(Subscription.id).desc())
        .limit(MAX_LIST)
    ).all()
    locale = client_locale(session, actor)
    views = [
        SubscriptionRowView(
            id=sub.id,
            plan_name=plan.name,
            price=_price(plan, locale),
            frequency_label=gettext(FREQUENCY_LABELS.get(plan.frequency, plan.frequency)),
            status=sub.status,
            status_label=status_label(sub),
            status_key=status_key(sub),
            current_period=period_label(sub.current_period_start, sub.current_period_end, locale),
            next_charge=format_day(next_charge_date(sub), locale),
        )
        for sub, plan in rows
    ]
    return sorted(views, key=lambda v: v.status not in LIVE_STATUSES)


def change_targets(
    session: Session, *, subscription: Subscription, plan: SubscriptionPlan
) -> list[SubscriptionPlan]:
    """Active plans of the same company, currency and frequency this plan may change to.

    The same frequency keeps the period dates (counted from the recurring invoice's start)
    valid across a change.
    """
    if not plan.allow_plan_change:
        return []
    return list(
        session.exec(
            select(SubscriptionPlan)
            .join(PlanChangeOption, col(PlanChangeOption.target_plan_id) == SubscriptionPlan.id)
            .where(
                PlanChangeOption.plan_id == plan.id,
                SubscriptionPlan.company_id == subscription.company_id,
                SubscriptionPlan.currency == plan.currency,
                SubscriptionPlan.frequency == plan.frequency,
                col(SubscriptionPlan.is_active).is_(True),
                SubscriptionPlan.id != plan.id,
            )
            .order_by(col(SubscriptionPlan.price_minor), col(SubscriptionPlan.id))
        ).all()
    )


def may_change(subscription: Subscription) -> bool:
    """Plan changes are for live subscriptions not already ending or waiting on a change."""
    return (
        subscription.status in ("trialing", "active")
        and subscription.cancel_at is None
        and subscription.pending_plan_id is None
    )


def may_cancel(subscription: Subscription, plan: SubscriptionPlan) -> bool:
    """Whether the plan lets the client cancel (or ask to) now."""
    return (
        plan.allow_cancellation
        and subscription.status in LIVE_STATUSES
        and subscription.cancel_at is None
        and subscription.cancel_requested_at is None
    )


def subscription_invoices(session: Session, subscription: Subscription) -> list[Invoice]:
    """The visible invoices that billed this subscription, newest first."""
    return list(
        session.exec(
            select(Invoice)
            .where(
                Invoice.subscription_id == subscription.id,
                Invoice.company_id == subscription.company_id,
                Invoice.client_id == subscription.client_id,
                col(Invoice.status).in_(VISIBLE_STATUSES),
            )
            .order_by(col(Invoice.issue_date).desc(), col(Invoice.id).desc())
            .limit(MAX_LIST)
        ).all()
    )


def subscription_view(
    session: Session, *, actor: Actor, subscription_id: int, today: date | None = None
) -> SubscriptionView:
    """One subscription with its invoices and the options its plan allows."""
    # Imported here: pausing builds on this module (get_own).
    from portal_app.services.subscriptions import pausing

    modules.require(session, actor=actor, module="subscriptions")
    sub = get_own(session, actor=actor, subscription_id=subscription_id)
    plan = session.get(SubscriptionPlan, sub.plan_id)
    pending = session.get(SubscriptionPlan, sub.pending_plan_id) if sub.pending_plan_id else None
    company = session.get(Company, actor.company_id)
    locale = client_locale(session, actor)
    next_plan = pending or plan
    next_date = next_charge_date(sub)
    targets = change_targets(session, subscription=sub, plan=plan) if may_change(sub) else []
    refund_note = ""
    if plan.refund_period_days > 0:
        refund_note = ngettext(
            "Cancelling within %(num)d day of a payment refunds that payment.",
            "Cancelling within %(num)d days of a payment refunds that payment.",
            plan.refund_period_days,
        ) % {"num": plan.refund_period_days}
    return SubscriptionView(
        id=sub.id,
        plan_name=plan.name,
        plan_description=plan.description,
        price=_price(plan, locale),
        frequency_label=gettext(FREQUENCY_LABELS.get(plan.frequency, plan.frequency)),
        status=sub.status,
        status_label=status_label(sub),
        status_key=status_key(sub),
        current_period=period_label(sub.current_period_start, sub.current_period_end, locale),
        next_charge=format_day(next_date, locale),
        next_charge_amount=_price(next_plan, locale) if next_date else "",
        trial_ends=format_day(sub.trial_ends_on, locale)
        if sub.status == SubscriptionStatus.TRIALING
        else "",
        cancel_at=format_day(sub.cancel_at, locale),
        cancel_reason=sub.cancel_reason,
        pending_plan_name=pending.name if pending else "",
        can_change=bool(targets),
        can_cancel=may_cancel(sub, plan),
        cancel_is_request=company.subscription_cancel_mode == "request",
        refund_note=refund_note,
        invoices=[
            SubscriptionInvoiceView(
                invoice_id=inv.id,
                number=inv.number,
                date=format_day(inv.issue_date, locale),
                amount=format_money(inv.amount_minor, inv.currency, locale),
                balance=format_money(inv.balance_minor, inv.currency, locale),
                status_label=_invoice_label(inv.status),
            )
            for inv in subscription_invoices(session, sub)
        ],
        change_options=[
            ChangeOptionView(plan_id=t.id, name=t.name, price=_price(t, locale)) for t in targets
        ],
        pause_options=pausing.pause_options(session, sub, plan, locale),
        paused_until=format_day(sub.pause_until, locale)
        if sub.status == SubscriptionStatus.PAUSED
        else "",
        can_resume=pausing.may_resume(sub),
        resume_summary=pausing.resume_summary(session, sub, plan, locale, today or date.today()),
    )


# -- payment links ------------------------------------------------------------------------------


def link_and_plan(session: Session, *, key: object) -> tuple[PaymentLink, SubscriptionPlan]:
    """The active payment link with this key and its active plan; NotFoundError otherwise."""
    text = str(key or "").strip()
    if not text or len(text) > MAX_LINK_KEY:
        raise NotFoundError("payment link")
    link = session.exec(
        select(PaymentLink).where(PaymentLink.key == text, col(PaymentLink.is_active).is_(True))
    ).first()
    plan = session.get(SubscriptionPlan, link.plan_id) if link else None
    if link is None or plan is None or not plan.is_active or plan.company_id != link.company_id:
        raise NotFoundError("payment link")
    if not modules.is_enabled(session, company_id=link.company_id, module="subscriptions"):
        raise NotFoundError("payment link")
    return link, plan


def needs_card_for_trial(plan: SubscriptionPlan) -> bool:
    """Whether starting this plan's trial asks for a card on file (unless the plan says "no
    card needed for the trial"); a plan without a trial is paid by card at once anyway."""
    return plan.trial_days > 0 and not plan.trial_without_card


def plan_view(session: Session, *, key: object) -> PlanView:
    """What the public /subscribe/<key> page shows about the plan (no client data)."""
    link, plan = link_and_plan(session, key=key)
    company = session.get(Company, link.company_id)
    return PlanView(
        name=plan.name,
        description=plan.description,
        price=format_money(plan.price_minor, plan.currency, company.locale),
        frequency_label=gettext(FREQUENCY_LABELS.get(plan.frequency, plan.frequency)),
        trial_days=plan.trial_days,
        company_name=company.name,
        allow_registration=company.allow_registration,
        card_at_signup=plan.trial_days == 0 or needs_card_for_trial(plan),
    )


def link_company_id(session: Session, *, key: object) -> int:
    """The company behind a payment link (a visitor registers with that company)."""
    link, _plan = link_and_plan(session, key=key)
    return link.company_id
