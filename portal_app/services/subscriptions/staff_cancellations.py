"""Staff acting on clients' cancellation requests (recurring invoices and subscriptions).

A client asks to stop a recurring invoice (services.recurring.request_cancellation) or, when the
company's `subscription_cancel_mode` is "request", a subscription (status `cancel_requested`).
Staff of the same company list the open requests and approve or decline each:
- approve a recurring invoice: the schedule is cancelled (no more invoices);
- approve a subscription: the same rule as a client's own cancellation
  (services.subscription_cancel): a trial or a past-due one ends now; inside the plan's refund
  period the last payment is refunded through the gateway (less plan-change credit already spent;
  the rest of that credit is voided) and it ends now; otherwise it runs to the end of the
  current period and is not charged again;
- decline: the request is cleared (the client may ask again) and the decline is audited.
Every role may do this (staff_scope); another company's record is "not found"; a request that
was already handled (double click, two staff users) is refused by a conditional update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.i18n import gettext as _
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.core.paging import parse_record_id
from portal_app.core.pickling import positional_pickle
from portal_app.gateways.base import PaymentGateway
from portal_app.models import (
    Client,
    RecurringInvoice,
    Subscription,
    SubscriptionPlan,
)
from portal_app.models.statuses import RecurringStatus, SubscriptionStatus
from portal_app.services.billing.recurring import RUNNING_STATUSES
from portal_app.services.company.locale import company_locale
from portal_app.services.identity import staff_scope
from portal_app.services.payments.checkout_flow import Tx
from portal_app.services.subscriptions.cancel import (
    end_subscription,
    refundable_payment,
)
from portal_app.services.subscriptions.staff_refund import refund_and_end

KINDS = ("recurring", "subscription")
# Subscriptions that may carry an open request (a request keeps renewing; a declined renewal
# makes it past due without clearing the request).
REQUEST_STATUSES = ("cancel_requested", "trialing", "active", "past_due")
MAX_LIST = 200
MAX_REASON = 1000
ALREADY_HANDLED = "This request was already handled."


@positional_pickle
@dataclass(frozen=True, slots=True)
class CancellationRequestView:
    """One open request, formatted for the staff console."""

    kind: str  # recurring | subscription
    record_id: int
    client_id: int
    client_name: str
    title: str
    amount: str
    requested_on: str
    reason: str


@dataclass(frozen=True, slots=True)
class DecisionOutcome:
    """What approving did: cancelled | refunded | at_period_end | declined, and a sentence."""

    kind: str
    message: str


def _kind(kind: object) -> str:
    if kind not in KINDS:
        raise NotFoundError("request")
    return str(kind)


def recurring_request_conditions(company_id: int) -> list:
    """WHERE conditions of a company's recurring invoices with an open cancellation request
    (shared with the staff work queue so its count matches this list)."""
    return [
        RecurringInvoice.company_id == company_id,
        col(RecurringInvoice.cancel_requested_at).is_not(None),
        col(RecurringInvoice.status).in_(RUNNING_STATUSES),
    ]


def subscription_request_conditions(company_id: int) -> list:
    """WHERE conditions of a company's subscriptions with an open cancellation request."""
    return [
        Subscription.company_id == company_id,
        col(Subscription.cancel_requested_at).is_not(None),
        col(Subscription.cancel_at).is_(None),
        col(Subscription.status).in_(REQUEST_STATUSES),
    ]


def open_requests(
    session: Session, *, actor, client_id: object | None = None
) -> list[CancellationRequestView]:
    """Open cancellation requests of the staff user's company, oldest first (one client's
    when `client_id` is given; another company's client is "not found")."""
    staff_scope.require_staff(actor)
    only = None
    if client_id is not None:
        only = staff_scope.own_row(session, Client, client_id, actor, what="client").id
    locale = company_locale(session, actor.company_id)
    schedules = select(RecurringInvoice, Client).join(
        Client, col(Client.id) == RecurringInvoice.client_id
    )
    schedules = schedules.where(*recurring_request_conditions(actor.company_id))
    subs = (
        select(Subscription, SubscriptionPlan, Client)
        .join(SubscriptionPlan, col(SubscriptionPlan.id) == Subscription.plan_id)
        .join(Client, col(Client.id) == Subscription.client_id)
        .where(*subscription_request_conditions(actor.company_id))
    )
    if only is not None:
        schedules = schedules.where(RecurringInvoice.client_id == only)
        subs = subs.where(Subscription.client_id == only)
    views: list[tuple] = []
    for schedule, client in session.exec(schedules.limit(MAX_LIST)).all():
        views.append(
            (
                schedule.cancel_requested_at,
                CancellationRequestView(
                    kind="recurring",
                    record_id=schedule.id,
                    client_id=client.id,
                    client_name=client.name,
                    title=_("Recurring invoice %(number)s") % {"number": schedule.number},
                    amount=format_money(schedule.amount_minor, schedule.currency, locale),
                    requested_on=format_day(schedule.cancel_requested_at, locale),
                    reason=schedule.cancel_reason,
                ),
            )
        )
    for sub, plan, client in session.exec(subs.limit(MAX_LIST)).all():
        views.append(
            (
                sub.cancel_requested_at,
                CancellationRequestView(
                    kind="subscription",
                    record_id=sub.id,
                    client_id=client.id,
                    client_name=client.name,
                    title=_("Subscription %(name)s") % {"name": plan.name},
                    amount=format_money(plan.price_minor, plan.currency, locale),
                    requested_on=format_day(sub.cancel_requested_at, locale),
                    reason=sub.cancel_reason,
                ),
            )
        )
    views.sort(key=lambda pair: (pair[0], pair[1].kind, pair[1].record_id))
    return [view for _, view in views[:MAX_LIST]]


def _open_schedule(session: Session, actor, record_id: int) -> RecurringInvoice:
    schedule = staff_scope.own_row(
        session, RecurringInvoice, record_id, actor, what="request", lock=True
    )
    if schedule.cancel_requested_at is None or schedule.status not in RUNNING_STATUSES:
        raise ValidationError("request", ALREADY_HANDLED)
    return schedule


def _open_subscription(session: Session, actor, record_id: int) -> Subscription:
    sub = staff_scope.own_row(session, Subscription, record_id, actor, what="request", lock=True)
    if (
        sub.cancel_requested_at is None
        or sub.cancel_at is not None
        or sub.status not in REQUEST_STATUSES
    ):
        raise ValidationError("request", ALREADY_HANDLED)
    return sub


def _claim_subscription(session: Session, sub: Subscription, cancel_at: date) -> None:
    # One conditional update: a second click or a second staff user finds nothing to claim.
    claimed = session.exec(
        update(Subscription)
        .where(
            Subscription.id == sub.id,
            col(Subscription.cancel_requested_at).is_not(None),
            col(Subscription.cancel_at).is_(None),
        )
        .values(cancel_at=cancel_at, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ValidationError("request", ALREADY_HANDLED)
    session.refresh(sub)


def _unpaid_period(sub: Subscription, today: date) -> bool:
    # Nothing was paid for the current period: a trial, or a renewal still unpaid.
    in_trial = sub.trial_ends_on is not None and today < sub.trial_ends_on
    return in_trial or sub.status == SubscriptionStatus.PAST_DUE or sub.failed_attempts > 0


def approve_request(
    tx: Tx, *, actor, gateway: PaymentGateway, kind: object, record_id: object, today: date
) -> DecisionOutcome:
    """Approve an open request as the module docstring says; audited.

    GatewayError (nothing changed, the request stays open) when a refund cannot be made.
    """
    staff_scope.require_role(actor, staff_scope.StaffAction.MANAGE_SUBSCRIPTIONS)
    kind = _kind(kind)
    record_id = parse_record_id(record_id, "request")
    with tx() as session:
        locale = company_locale(session, actor.company_id)
        if kind == "recurring":
            schedule = _open_schedule(session, actor, record_id)
            claimed = session.exec(
                update(RecurringInvoice)
                .where(
                    RecurringInvoice.id == schedule.id,
                    col(RecurringInvoice.cancel_requested_at).is_not(None),
                    col(RecurringInvoice.status).in_(RUNNING_STATUSES),
                )
                .values(status=RecurringStatus.CANCELLED, next_send_date=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                raise ValidationError("request", ALREADY_HANDLED)
            session.refresh(schedule)
            _audit(session, actor, "recurring_cancellation_approved", schedule)
            return DecisionOutcome(
                "cancelled",
                _("Recurring invoice %(number)s cancelled.") % {"number": schedule.number},
            )
        sub = _open_subscription(session, actor, record_id)
        plan = session.get(SubscriptionPlan, sub.plan_id)
        if _unpaid_period(sub, today):
            _claim_subscription(session, sub, today)
            end_subscription(session, subscription=sub, today=today)
            _audit(session, actor, "subscription_cancellation_approved", sub, ended="now")
            return DecisionOutcome("cancelled", _("The subscription is cancelled."))
        refund = refundable_payment(session, subscription=sub, plan=plan, today=today)
        _claim_subscription(session, sub, sub.current_period_end)
        if refund is None:
            # Back to a plain live status: it renews no more and ends at `cancel_at`.
            sub.status = SubscriptionStatus.ACTIVE
            sub.pending_plan_id = None
            session.add(sub)
            _audit(session, actor, "subscription_cancellation_approved", sub, ended="period_end")
            return DecisionOutcome(
                "at_period_end",
                _("The subscription ends on %(date)s.")
                % {"date": format_day(sub.current_period_end, locale)},
            )
        currency = plan.currency
    sentence = refund_and_end(
        tx,
        actor=actor,
        gateway=gateway,
        subscription_id=record_id,
        refund=refund,
        currency=currency,
        locale=locale,
        today=today,
        what="request",
        action="subscription_cancellation_approved",
    )
    return DecisionOutcome("refunded", sentence)


def decline_request(
    session: Session, *, actor, kind: object, record_id: object, note: str = "", today: date
) -> DecisionOutcome:
    """Clear an open request (the schedule or subscription carries on); audited with `note`."""
    staff_scope.require_role(actor, staff_scope.StaffAction.MANAGE_SUBSCRIPTIONS)
    kind = _kind(kind)
    record_id = parse_record_id(record_id, "request")
    note = str(note or "").strip()[:MAX_REASON]
    model = RecurringInvoice if kind == "recurring" else Subscription
    row = (
        _open_schedule(session, actor, record_id)
        if kind == "recurring"
        else _open_subscription(session, actor, record_id)
    )
    values = {"cancel_requested_at": None, "cancel_reason": "", "updated_at": utcnow()}
    if kind == "subscription" and row.status == "cancel_requested":
        in_trial = row.trial_ends_on is not None and today < row.trial_ends_on
        values["status"] = "trialing" if in_trial else "active"
    cleared = session.exec(
        update(model)
        .where(model.id == row.id, col(model.cancel_requested_at).is_not(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if cleared.rowcount != 1:
        raise ValidationError("request", ALREADY_HANDLED)
    reason = row.cancel_reason
    session.refresh(row)
    action = f"{'recurring' if kind == 'recurring' else 'subscription'}_cancellation_declined"
    _audit(session, actor, action, row, client_reason=reason[:500], note=note[:500])
    return DecisionOutcome("declined", _("The request was declined; the client keeps it running."))


def _audit(session: Session, actor, action: str, row, **details) -> None:
    staff_scope.record(
        session,
        actor,
        action=action,
        entity_type="recurring_invoice" if isinstance(row, RecurringInvoice) else "subscription",
        entity_id=row.id,
        client_id=row.client_id,
        details=details,
    )
