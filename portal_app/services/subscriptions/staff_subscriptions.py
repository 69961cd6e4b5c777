"""Clients' subscriptions from the staff console: the list (past-due ones first) and cancelling
one for the client.

Scoped to the staff user's company (services/identity/staff_scope.py); another company's
subscription is "not found". Cancelling follows the client side's rules
(services/subscriptions/cancel.py, as staff_cancellations approves a request):
- a trial or a period not paid yet (past due) ends now, its open invoice voided;
- inside the plan's refund period staff choose: refund the last payment's part for the
  subscription through the gateway and end it now (owners and admins only, as every refund),
  or let it run to the period's end;
- otherwise it runs to the end of the current period and is not charged again.
Staff may cancel a plan that clients may not (allow_cancellation is the portal's rule, not the
business's). A second cancellation is refused by one conditional update; audited. A paused
subscription that is cancelled ends now, without a refund (resume it first to refund).

Pausing (the rules are services/subscriptions/pausing.py's, shared with clients' own pauses):
an active subscription with nothing unpaid, not ending and with no request or plan change
waiting becomes `paused` with its recurring invoice, with no end date; the renewals job leaves
it alone (neither renewed nor charged). Resuming (a staff pause or a client's) makes it active
again; when its period ended while paused, the periods that passed are skipped (nothing was
delivered, nothing is owed, as for a resumed recurring invoice): the next renewal is the first
period date from today on, and the job bills it then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, update
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.core.i18n import gettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.core.pickling import positional_pickle
from portal_app.core.schedule import FREQUENCY_LABELS
from portal_app.gateways.base import PaymentGateway
from portal_app.models import Client, Subscription, SubscriptionPlan
from portal_app.models.statuses import RecurringStatus, SubscriptionStatus
from portal_app.services.company.locale import company_locale
from portal_app.services.identity import staff_scope
from portal_app.services.payments.checkout_flow import Tx
from portal_app.services.subscriptions.cancel import (
    end_subscription,
    refundable_payment,
)
from portal_app.services.subscriptions.pausing import may_pause, reactivate, set_recurring_status
from portal_app.services.subscriptions.staff_refund import refund_and_end
from portal_app.services.subscriptions.subscriptions import (
    INCOMPLETE,
    next_charge_date,
    status_key,
    status_label,
)

PAGE_SIZE = 25
MAX_PAGE = 100_000
STATUS_FILTERS = (
    "all",
    "past_due",
    "trialing",
    "active",
    "paused",
    "cancel_requested",
    "cancelled",
)
# What staff may cancel: everything still running and not already set to end.
CANCELLABLE = ("trialing", "active", "past_due", "cancel_requested", "paused")


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffSubscriptionRow:
    """One subscription in the staff list, formatted."""

    id: int
    client_id: int
    client_name: str
    plan_name: str
    price: str
    status: str
    status_label: str
    next_renewal: str
    cancel_at: str
    can_cancel: bool
    can_pause: bool
    can_resume: bool
    refund_offer: str  # "" unless cancelling now may refund: the amount that would go back
    # What the badge is coloured by ("ending" or the status): the label is translated.
    status_key: str = ""


@dataclass(frozen=True, slots=True)
class StaffSubscriptionPage:
    rows: list[StaffSubscriptionRow]
    page: int
    has_next: bool


@dataclass(frozen=True, slots=True)
class StaffCancelOutcome:
    """cancelled | refunded | at_period_end, and a sentence for staff."""

    kind: str
    message: str


def _may_cancel(sub: Subscription) -> bool:
    return sub.status in CANCELLABLE and sub.cancel_at is None


def _unpaid_period(sub: Subscription, today: date) -> bool:
    if sub.status == SubscriptionStatus.PAUSED:
        return True  # nothing is refunded for a paused subscription; it ends now
    in_trial = sub.trial_ends_on is not None and today < sub.trial_ends_on
    return in_trial or sub.status == SubscriptionStatus.PAST_DUE or sub.failed_attempts > 0


def list_subscriptions(
    session: Session, *, actor, status: str = "all", page: int = 1, today: date | None = None
) -> StaffSubscriptionPage:
    """One page of the company's subscriptions: past due first, then by next renewal (ended
    ones last); `status` is one of STATUS_FILTERS."""
    staff_scope.require_staff(actor)
    today = today or date.today()
    page = max(1, min(int(page or 1), MAX_PAGE))
    where = and_(Subscription.company_id == actor.company_id, Subscription.status != INCOMPLETE)
    if status in STATUS_FILTERS and status != "all":
        where = and_(where, Subscription.status == status)
    rank = case(
        (Subscription.status == SubscriptionStatus.PAST_DUE, 0),
        (Subscription.status == SubscriptionStatus.CANCELLED, 2),
        else_=1,
    )
    rows = session.exec(
        select(Subscription, SubscriptionPlan, Client.name)
        .join(SubscriptionPlan, col(SubscriptionPlan.id) == Subscription.plan_id)
        .join(Client, col(Client.id) == Subscription.client_id)
        .where(where)
        .order_by(
            rank,
            col(Subscription.current_period_end),
            col(Subscription.id).desc(),
        )
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    locale = company_locale(session, actor.company_id)
    views = []
    for sub, plan, client_name in rows[:PAGE_SIZE]:
        offer = ""
        if _may_cancel(sub) and not _unpaid_period(sub, today):
            refund = refundable_payment(session, subscription=sub, plan=plan, today=today)
            if refund is not None:
                offer = format_money(refund.amount_minor, plan.currency, locale)
        period = FREQUENCY_LABELS.get(plan.frequency, plan.frequency)
        views.append(
            StaffSubscriptionRow(
                id=sub.id,
                client_id=sub.client_id,
                client_name=client_name,
                plan_name=plan.name,
                price=f"{format_money(plan.price_minor, plan.currency, locale)} · {period}",
                status=str(sub.status),
                status_label=status_label(sub),
                status_key=status_key(sub),
                next_renewal=format_day(next_charge_date(sub), locale),
                cancel_at=format_day(sub.cancel_at, locale),
                can_cancel=_may_cancel(sub),
                can_pause=may_pause(session, sub),
                can_resume=sub.status == SubscriptionStatus.PAUSED,
                refund_offer=offer,
            )
        )
    return StaffSubscriptionPage(rows=views, page=page, has_next=len(rows) > PAGE_SIZE)


def _claim(session: Session, sub: Subscription, cancel_at: date, reason: str) -> None:
    # One conditional update: a second click or a second staff user finds nothing to claim.
    claimed = session.exec(
        update(Subscription)
        .where(
            Subscription.id == sub.id,
            col(Subscription.cancel_at).is_(None),
            col(Subscription.status).in_(CANCELLABLE),
        )
        .values(
            cancel_at=cancel_at,
            cancel_requested_at=sub.cancel_requested_at or utcnow(),
            cancel_reason=reason or sub.cancel_reason,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ValidationError(
            "cancel", gettext("This subscription is already cancelled or ending.")
        )
    session.refresh(sub)


def _audit(session: Session, actor, sub: Subscription, action: str, **details) -> None:
    staff_scope.record(
        session,
        actor,
        action=action,
        entity_type="subscription",
        entity_id=sub.id,
        client_id=sub.client_id,
        details=details,
    )


def cancel_subscription(
    tx: Tx,
    *,
    actor,
    gateway: PaymentGateway,
    subscription_id: object,
    refund: bool,
    reason: str = "",
    today: date,
) -> StaffCancelOutcome:
    """Cancel a client's subscription as the module docstring says. `refund` asks for the
    refund the client side would give (ignored when there is none to give). GatewayError
    (nothing changed) when the refund cannot be made."""
    staff_scope.require_role(actor, staff_scope.StaffAction.MANAGE_SUBSCRIPTIONS)
    reason = str(reason or "").strip()[:1000]
    with tx() as session:
        sub = staff_scope.own_row(
            session, Subscription, subscription_id, actor, what="subscription", lock=True
        )
        if sub.status == INCOMPLETE:
            raise ValidationError(
                "cancel", gettext("This sign-up was never paid; there is nothing to end.")
            )
        if not _may_cancel(sub):
            raise ValidationError(
                "cancel", gettext("This subscription is already cancelled or ending.")
            )
        plan = session.get(SubscriptionPlan, sub.plan_id)
        locale = company_locale(session, actor.company_id)
        if _unpaid_period(sub, today):
            _claim(session, sub, today, reason)
            end_subscription(session, subscription=sub, today=today)
            _audit(session, actor, sub, "subscription_cancelled_by_staff", ended="now")
            return StaffCancelOutcome("cancelled", gettext("The subscription is cancelled."))
        offer = refundable_payment(session, subscription=sub, plan=plan, today=today)
        if offer is not None and refund:
            staff_scope.require_role(actor, staff_scope.StaffAction.REFUND)
        _claim(session, sub, sub.current_period_end, reason)
        if offer is None or not refund:
            sub.status = SubscriptionStatus.ACTIVE
            sub.pending_plan_id = None
            session.add(sub)
            _audit(session, actor, sub, "subscription_cancelled_by_staff", ended="period_end")
            return StaffCancelOutcome(
                "at_period_end",
                gettext("The subscription ends on %(date)s; the client is not charged again.")
                % {"date": format_day(sub.current_period_end, locale)},
            )
        sub_id = sub.id
        currency = plan.currency
    sentence = refund_and_end(
        tx,
        actor=actor,
        gateway=gateway,
        subscription_id=sub_id,
        refund=offer,
        currency=currency,
        locale=locale,
        today=today,
        what="subscription",
        action="subscription_cancelled_by_staff",
    )
    return StaffCancelOutcome("refunded", sentence)


def pause_subscription(session: Session, *, actor, subscription_id: object) -> Subscription:
    """Stop renewing and charging an active subscription until resumed; audited."""
    staff_scope.require_role(actor, staff_scope.StaffAction.MANAGE_SUBSCRIPTIONS)
    sub = staff_scope.own_row(
        session, Subscription, subscription_id, actor, what="subscription", lock=True
    )
    if not may_pause(session, sub):
        raise ValidationError(
            "pause",
            gettext(
                "Only an active subscription with nothing unpaid, not ending and with no request "
                "or plan change waiting can be paused."
            ),
        )
    claimed = session.exec(
        update(Subscription)
        .where(Subscription.id == sub.id, Subscription.status == SubscriptionStatus.ACTIVE)
        .values(status=SubscriptionStatus.PAUSED, pause_until=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ValidationError("pause", gettext("This subscription changed meanwhile; look again."))
    session.refresh(sub)
    set_recurring_status(session, sub, RecurringStatus.PAUSED)
    _audit(session, actor, sub, "subscription_paused")
    return sub


def resume_subscription(
    session: Session, *, actor, subscription_id: object, today: date | None = None
) -> Subscription:
    """Make a paused subscription (staff's pause or a client's) active again, skipping the
    periods that passed while it was paused (module docstring); audited."""
    staff_scope.require_role(actor, staff_scope.StaffAction.MANAGE_SUBSCRIPTIONS)
    today = today or date.today()
    sub = staff_scope.own_row(
        session, Subscription, subscription_id, actor, what="subscription", lock=True
    )
    if sub.status != SubscriptionStatus.PAUSED:
        raise ValidationError("resume", gettext("Only a paused subscription can be resumed."))
    skipped = reactivate(session, sub, next_period_from=today)
    if skipped is None:
        raise ValidationError("resume", gettext("This subscription changed meanwhile; look again."))
    _audit(session, actor, sub, "subscription_resumed", skipped_periods=skipped)
    return sub
