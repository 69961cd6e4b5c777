"""Pausing subscriptions: the rules staff (staff_subscriptions), clients (here) and the renewals
job share, and the client's own pause and resume.

What may be paused (`may_pause`): an active subscription with nothing unpaid, not ending, with
no request or plan change waiting. Paused, it is neither renewed nor charged (the renewals job
leaves it alone) and its recurring invoice is paused with it.

A client pauses for a chosen number of periods when the plan allows it (`allow_pause`, at most
`max_pause_periods`), from a password session. The period already paid runs to its end; the
next `periods` renewal dates are not charged and `pause_until` is the renewal date after them:
paused on Feb 10 for two periods of a subscription renewing on the 3rd, nothing is charged on
Mar 3 and Apr 3 and it resumes on May 3. On that day the renewals job makes it active again
and renews it then (one invoice, one charge), the later renewal dates moved on by the paused
periods. A second pause (a double click) is refused by one conditional update.

Resuming (`reactivate`) skips the periods that passed while paused (nothing was delivered,
nothing is owed): the next period starts on the first period date on or after the day given.
- staff resume from today: the first period date from today on;
- the job resumes a client's pause on `pause_until`;
- a client resuming early inside the period already paid changes nothing but the status (the
  next charge stays at that period's end); resuming once a paused period began bills that
  period (it started on a period date at or before today), so a pause ended the day after a
  renewal date never gives that period away, and the job charges it once like any renewal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from babel.lists import format_list
from sqlalchemy import update
from sqlmodel import Session, col

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.i18n import gettext as _
from portal_app.core.i18n import ngettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.core.schedule import period_date
from portal_app.models import RecurringInvoice, Subscription, SubscriptionPlan
from portal_app.models.statuses import RecurringStatus, SubscriptionStatus
from portal_app.schemas.subscription import PauseOptionView
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.subscriptions.billing import open_invoices
from portal_app.services.subscriptions.changes import refuse_unless_full_session
from portal_app.services.subscriptions.subscriptions import get_own

# The most periods a plan may let clients pause for at a time (the staff plan form's bound).
MAX_PAUSE_PERIODS = 12
# A guard on the period-counting loops (a daily plan paused for years is still far below).
_MAX_STEPS = 100_000


@dataclass(frozen=True, slots=True)
class PauseOutcome:
    """What a client's pause or resume did, in a sentence for the client."""

    message: str


def may_pause(session: Session, sub: Subscription) -> bool:
    """Whether the subscription may be paused now (by staff, or by a client when the plan
    allows it)."""
    return (
        sub.status == SubscriptionStatus.ACTIVE
        and sub.cancel_at is None
        and sub.cancel_requested_at is None
        and sub.pending_plan_id is None
        and sub.failed_attempts == 0
        and not open_invoices(session, sub, renewal=True)
        and not open_invoices(session, sub, renewal=False)
    )


def set_recurring_status(
    session: Session, sub: Subscription, status: RecurringStatus
) -> RecurringInvoice | None:
    """Pause or restart the recurring invoice that bills the subscription (None without one)."""
    recurring = session.get(RecurringInvoice, sub.recurring_invoice_id)
    if recurring is not None:
        recurring.status = status
        recurring.updated_at = utcnow()
        session.add(recurring)
    return recurring


def _next_dates(sub: Subscription, recurring: RecurringInvoice | None, frequency: str):
    """The subscription's renewal dates from its current period's end on, as a function of
    n (0: the current period's end), counted from the recurring invoice's start."""
    if recurring is not None:
        return lambda n: period_date(
            recurring.start_date, recurring.frequency, recurring.issued_count + n
        )
    return lambda n: period_date(sub.current_period_end, frequency, n)


def _passed(dates, day: date) -> int:
    """How many of the renewal dates `dates(0), dates(1), ...` fall before `day`."""
    n = 0
    while n < _MAX_STEPS and dates(n) < day:
        n += 1
    return n


def reactivate(session: Session, sub: Subscription, *, next_period_from: date) -> int | None:
    """Make a paused subscription active again, its recurring invoice too; the periods whose
    renewal date falls before `next_period_from` are skipped, so the next period starts on the
    first renewal date on or after it. Returns how many were skipped, or None when the
    subscription was not paused any more (a second click, the job meanwhile): nothing changed.
    """
    claimed = session.exec(
        update(Subscription)
        .where(
            col(Subscription.id) == sub.id,
            col(Subscription.status) == SubscriptionStatus.PAUSED,
        )
        .values(status=SubscriptionStatus.ACTIVE, pause_until=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    session.refresh(sub)
    recurring = set_recurring_status(session, sub, RecurringStatus.ACTIVE)
    if recurring is None:
        return 0
    skipped = _passed(_next_dates(sub, recurring, recurring.frequency), next_period_from)
    if skipped:
        # Periods are counted from the start date: moving it on by the skipped periods makes
        # the next period start on the renewal date after them.
        recurring.start_date = period_date(recurring.start_date, recurring.frequency, skipped)
        recurring.next_send_date = period_date(
            recurring.start_date, recurring.frequency, recurring.issued_count
        )
        session.add(recurring)
        sub.current_period_start = recurring.next_send_date
        sub.current_period_end = recurring.next_send_date
        session.add(sub)
    session.flush()
    return skipped


def _periods(value: object, plan: SubscriptionPlan) -> int:
    text = str(value if value is not None else "").strip()
    highest = max(1, min(plan.max_pause_periods, MAX_PAUSE_PERIODS))
    if not text.isdigit() or not 1 <= int(text) <= highest:
        raise ValidationError(
            "periods",
            _("Choose a number of periods from 1 to %(num)d.") % {"num": highest},
        )
    return int(text)


def _pause_dates(
    session: Session, sub: Subscription, plan: SubscriptionPlan, periods: int
) -> tuple[list[date], date]:
    """The renewal dates a pause of `periods` periods leaves uncharged, and the day it ends."""
    recurring = session.get(RecurringInvoice, sub.recurring_invoice_id)
    dates = _next_dates(sub, recurring, plan.frequency)
    return [dates(n) for n in range(periods)], dates(periods)


def _days(days: list[date], locale: str) -> str:
    texts = [format_day(d, locale) for d in days]
    try:
        return format_list(texts, locale=locale)
    except (ValueError, LookupError):
        return ", ".join(texts)


def pause_summary(
    session: Session, sub: Subscription, plan: SubscriptionPlan, periods: int, locale: str
) -> str:
    """What a pause of `periods` periods does, in the client's words."""
    skipped, until = _pause_dates(session, sub, plan, periods)
    return _("No charge on %(dates)s; your subscription resumes on %(date)s.") % {
        "dates": _days(skipped, locale),
        "date": format_day(until, locale),
    }


def pause_options(
    session: Session, sub: Subscription, plan: SubscriptionPlan, locale: str
) -> list[PauseOptionView]:
    """The pauses a client may choose now, each with what it does; [] when none."""
    if not plan.allow_pause or not may_pause(session, sub):
        return []
    highest = max(1, min(plan.max_pause_periods, MAX_PAUSE_PERIODS))
    return [
        PauseOptionView(
            periods=n,
            label=ngettext("%(num)d period", "%(num)d periods", n) % {"num": n},
            summary=pause_summary(session, sub, plan, n, locale),
        )
        for n in range(1, highest + 1)
    ]


def _resume_start(session: Session, sub: Subscription, plan: SubscriptionPlan, today: date):
    """Where a client's early resume today puts the next period: the paid period's end when
    it has not ended, else the renewal date (at or before today) that began the period under
    way."""
    if today < sub.current_period_end:
        return sub.current_period_end
    recurring = session.get(RecurringInvoice, sub.recurring_invoice_id)
    dates = _next_dates(sub, recurring, plan.frequency)
    return dates(max(0, _passed(dates, today + timedelta(days=1)) - 1))


def may_resume(sub: Subscription) -> bool:
    """Whether the client may end the pause: only a pause a client chose (staff resume theirs)."""
    return sub.status == SubscriptionStatus.PAUSED and sub.pause_until is not None


def resume_summary(
    session: Session, sub: Subscription, plan: SubscriptionPlan, locale: str, today: date
) -> str:
    """What resuming now does, in the client's words ("" when the client may not resume)."""
    if not may_resume(sub):
        return ""
    start = _resume_start(session, sub, plan, today)
    if start > today:
        return _("Resuming now keeps your next charge on %(date)s.") % {
            "date": format_day(start, locale)
        }
    return _("Resuming now charges %(amount)s for the period that began on %(date)s.") % {
        "amount": format_money(plan.price_minor, plan.currency, locale),
        "date": format_day(start, locale),
    }


def _own(
    session: Session, actor: Actor, subscription_id: object
) -> tuple[Subscription, SubscriptionPlan]:
    refuse_unless_full_session(actor)
    modules.require(session, actor=actor, module="subscriptions")
    sub = get_own(session, actor=actor, subscription_id=subscription_id)
    plan = session.get(SubscriptionPlan, sub.plan_id)
    if plan is None:
        raise NotFoundError("subscription")
    return sub, plan


def pause_subscription(
    session: Session, *, actor: Actor, subscription_id: object, periods: object, today: date
) -> PauseOutcome:
    """Pause the client's subscription for `periods` periods (module docstring); audited.
    ValidationError names `periods` for a wrong number, `pause` when it cannot be paused."""
    sub, plan = _own(session, actor, subscription_id)
    if not plan.allow_pause:
        raise ValidationError("pause", _("This plan cannot be paused."))
    count = _periods(periods, plan)
    if sub.status == SubscriptionStatus.PAUSED:
        raise ValidationError("pause", _("This subscription is already paused."))
    if not may_pause(session, sub):
        raise ValidationError(
            "pause",
            _("Only an active subscription with nothing unpaid and not ending can be paused."),
        )
    skipped, until = _pause_dates(session, sub, plan, count)
    claimed = session.exec(
        update(Subscription)
        .where(
            col(Subscription.id) == sub.id,
            col(Subscription.status) == SubscriptionStatus.ACTIVE,
            col(Subscription.cancel_at).is_(None),
        )
        .values(status=SubscriptionStatus.PAUSED, pause_until=until, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ValidationError("pause", _("This subscription is already paused."))
    session.refresh(sub)
    set_recurring_status(session, sub, RecurringStatus.PAUSED)
    audit.record_contact_action(
        session,
        actor,
        "subscription",
        sub.id,
        "subscription_paused",
        periods=count,
        until=until.isoformat(),
    )
    locale = client_locale(session, actor)
    return PauseOutcome(
        _("Your subscription is paused: no charge on %(dates)s; it resumes on %(date)s.")
        % {"dates": _days(skipped, locale), "date": format_day(until, locale)},
    )


def resume_subscription(
    session: Session, *, actor: Actor, subscription_id: object, today: date
) -> PauseOutcome:
    """End the client's own pause now (module docstring); audited. A pause staff made, or a
    subscription not paused (a second click), is refused with nothing changed."""
    sub, plan = _own(session, actor, subscription_id)
    if not may_resume(sub):
        raise ValidationError(
            "resume",
            _("This subscription is not paused.")
            if sub.status != SubscriptionStatus.PAUSED
            else _("This pause was set by us; contact us to resume the subscription."),
        )
    start = _resume_start(session, sub, plan, today)
    skipped = reactivate(session, sub, next_period_from=start)
    if skipped is None:
        raise ValidationError("resume", _("This subscription is not paused."))
    audit.record_contact_action(
        session, actor, "subscription", sub.id, "subscription_resumed", skipped_periods=skipped
    )
    locale = client_locale(session, actor)
    if start > today:
        message = _("Your subscription is active again; the next charge is on %(date)s.") % {
            "date": format_day(start, locale)
        }
    else:
        message = _(
            "Your subscription is active again; %(amount)s for the period that began on "
            "%(date)s is charged to your card shortly."
        ) % {
            "amount": format_money(plan.price_minor, plan.currency, locale),
            "date": format_day(start, locale),
        }
    return PauseOutcome(message)


def resume_due(session: Session, sub: Subscription, today: date) -> int | None:
    """The renewals job's step: a client's pause whose end came resumes on `pause_until` (its
    renewal then follows in the same run). None when there is nothing to resume today."""
    if sub.status != SubscriptionStatus.PAUSED or sub.pause_until is None:
        return None
    if sub.pause_until > today:
        return None
    return reactivate(session, sub, next_period_from=sub.pause_until)
