"""Recurring invoices as a client sees them: the schedules, the invoices they issued, switching
auto-billing where the company allows it, and asking for a schedule to be cancelled.

Every query is scoped to the actor's client in the actor's company, drafts are never shown, and
anything else is "not found". Staff preview changes nothing; an emailed-link session may look but
not change the schedule (like subscriptions, that needs a password sign-in).
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import and_, update
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext, pgettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.core.paging import fetch_page, parse_record_id, sort_order
from portal_app.core.schedule import FREQUENCY_LABELS
from portal_app.models import Invoice, RecurringInvoice, RecurringInvoiceLine, Subscription
from portal_app.models.invoice import VISIBLE_STATUSES
from portal_app.models.recurring import VISIBLE_RECURRING_STATUSES
from portal_app.models.statuses import RecurringStatus
from portal_app.schemas.recurring import (
    RecurringInvoicesPage,
    RecurringPage,
    RecurringRowView,
    RecurringView,
)
from portal_app.services.billing.invoices import COUNT_CAP, PAGE_SIZES, invoice_row_view
from portal_app.services.billing.party_views import line_views, tax_rows
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope, get_client_record

MODULE = "recurring_invoices"
# "Active" on the list: schedules still issuing invoices (a paused one may resume).
RUNNING_STATUSES = (RecurringStatus.ACTIVE, RecurringStatus.PAUSED)
LIST_FILTERS = ("active", "all")
MAX_PAGE = 1_000_000
MAX_REASON_LENGTH = 1000
SWITCHABLE_MODES = ("opt_in", "opt_out")
PREVIEW_MESSAGE = N_("Staff preview cannot change recurring invoices.")
LINK_MESSAGE = N_("Sign in with your password to change this recurring invoice.")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def badge_key(schedule: RecurringInvoice) -> str:
    """What colours the status badge: the status, or "cancel_requested" while a cancellation
    waits (the label is in the contact's language, so it cannot say)."""
    if schedule.cancel_requested_at is not None and schedule.status in RUNNING_STATUSES:
        return "cancel_requested"
    return str(schedule.status)


def status_label(schedule: RecurringInvoice) -> str:
    """What the client sees: the status, or "Cancellation requested" while it still runs."""
    if schedule.cancel_requested_at is not None and schedule.status in RUNNING_STATUSES:
        return pgettext("recurring status", "Cancellation requested")
    statuses = {
        "active": pgettext("recurring status", "Active"),
        "paused": pgettext("recurring status", "Paused"),
        "completed": pgettext("recurring status", "Completed"),
        "cancelled": pgettext("recurring status", "Cancelled"),
    }
    return statuses.get(schedule.status, schedule.status.title())


def cycles_left(schedule: RecurringInvoice) -> str:
    """ "Endless", or how many invoices are still to come."""
    if schedule.remaining_cycles is None:
        return pgettext("recurring cycles", "Endless")
    return str(schedule.remaining_cycles)


def frequency_label(frequency: str) -> str:
    if frequency in FREQUENCY_LABELS:
        return gettext(FREQUENCY_LABELS[frequency])
    return frequency.replace("_", " ").capitalize()


def auto_bill_on(schedule: RecurringInvoice) -> bool:
    """Whether invoices of this schedule are charged to the default card when issued."""
    return schedule.auto_bill == "always" or (
        schedule.auto_bill in SWITCHABLE_MODES and schedule.auto_bill_enabled
    )


def _shown(actor: Actor):
    """The tab's own rules beside the client scope: visible statuses, and no schedule that
    belongs to a subscription (shown and managed on the Subscriptions tab, where changing or
    cancelling it prorates and refunds)."""
    by_subscription = select(Subscription.recurring_invoice_id).where(
        client_scope(Subscription, actor),
        col(Subscription.recurring_invoice_id).is_not(None),
    )
    return and_(
        col(RecurringInvoice.status).in_(VISIBLE_RECURRING_STATUSES),
        col(RecurringInvoice.id).not_in(by_subscription),
    )


def _scoped(actor: Actor):
    return and_(client_scope(RecurringInvoice, actor), _shown(actor))


def parse_recurring_id(raw: object) -> int:
    """A recurring-invoice id from a URL or the browser; NotFoundError unless a plain number."""
    return parse_record_id(raw, "recurring invoice")


def list_recurring(
    session: Session,
    *,
    actor: Actor,
    show: str = "active",
    page: int = 1,
    page_size: int = 25,
) -> RecurringPage:
    """One page of the client's schedules: running ones ("active") or every visible one."""
    modules.require(session, actor=actor, module=MODULE)
    show = show if show in LIST_FILTERS else "active"
    page = max(1, min(int(page), MAX_PAGE))
    page_size = page_size if page_size in PAGE_SIZES else 25
    where = _scoped(actor)
    if show == "active":
        where = and_(where, col(RecurringInvoice.status).in_(RUNNING_STATUSES))
    found = fetch_page(
        session,
        RecurringInvoice,
        where=where,
        order=[
            col(RecurringInvoice.next_send_date).is_(None),
            col(RecurringInvoice.next_send_date),
            col(RecurringInvoice.id).desc(),
        ],
        page=page,
        page_size=page_size,
        cap=COUNT_CAP,
    )
    locale = client_locale(session, actor)
    return RecurringPage(
        rows=[
            RecurringRowView(
                id=r.id,
                number=r.number,
                frequency=frequency_label(r.frequency),
                start_date=format_day(r.start_date, locale),
                next_send_date=_next_date(r, locale),
                cycles_left=cycles_left(r),
                amount=format_money(r.amount_minor, r.currency, locale),
                status=r.status,
                status_label=status_label(r),
                badge_key=badge_key(r),
            )
            for r in found.rows
        ],
        page=page,
        page_size=page_size,
        total=found.total,
        total_is_capped=found.total_is_capped,
        has_next=found.has_next,
    )


def _next_date(schedule: RecurringInvoice, locale: str) -> str:
    if schedule.status not in RUNNING_STATUSES:
        return ""
    return format_day(schedule.next_send_date, locale)


def get_client_recurring(session: Session, *, actor: Actor, recurring_id: int) -> RecurringInvoice:
    """The actor's visible schedule with this id; NotFoundError for anything else."""
    return get_client_record(
        session,
        RecurringInvoice,
        recurring_id,
        actor=actor,
        noun="recurring invoice",
        where=_shown(actor),
    )


def recurring_view(
    session: Session, *, actor: Actor, recurring_id: int, has_default_card: bool = False
) -> RecurringView:
    """The schedule for its detail page."""
    modules.require(session, actor=actor, module=MODULE)
    r = get_client_recurring(session, actor=actor, recurring_id=recurring_id)
    locale = client_locale(session, actor)

    def money(minor: int) -> str:
        return format_money(minor, r.currency, locale)

    lines = session.exec(
        select(RecurringInvoiceLine)
        .where(RecurringInvoiceLine.recurring_invoice_id == r.id)
        .order_by(col(RecurringInvoiceLine.position), col(RecurringInvoiceLine.id))
    ).all()
    running = r.status in RUNNING_STATUSES
    on = auto_bill_on(r)
    if r.auto_bill == "always":
        auto_label = gettext("On: every invoice is charged to your default card")
    elif on:
        auto_label = gettext("On: invoices are charged to your default card")
    else:
        auto_label = gettext("Off: pay each invoice yourself")
    return RecurringView(
        id=r.id,
        number=r.number,
        status=r.status,
        status_label=status_label(r),
        badge_key=badge_key(r),
        frequency=frequency_label(r.frequency),
        start_date=format_day(r.start_date, locale),
        next_send_date=_next_date(r, locale),
        last_sent_date=format_day(r.last_sent_date, locale),
        cycles_left=cycles_left(r),
        issued_count=r.issued_count,
        due_days=r.due_days,
        amount=money(r.amount_minor),
        subtotal=money(r.subtotal_minor),
        tax_total=money(r.tax_minor),
        lines=line_views(lines, money),
        taxes=tax_rows(lines, money),
        public_notes=r.public_notes,
        auto_bill_label=auto_label,
        auto_bill_on=on,
        can_switch_auto_bill=running and r.auto_bill in SWITCHABLE_MODES,
        has_default_card=has_default_card,
        cancel_requested=r.cancel_requested_at is not None,
        cancel_requested_on=format_day(r.cancel_requested_at, locale),
        cancel_reason=r.cancel_reason,
        can_request_cancellation=running and r.cancel_requested_at is None,
    )


def issued_invoices(
    session: Session,
    *,
    actor: Actor,
    recurring_id: int,
    page: int = 1,
    page_size: int = 10,
    today: date | None = None,
) -> RecurringInvoicesPage:
    """One page of the invoices the schedule issued (drafts never), newest first."""
    modules.require(session, actor=actor, module=MODULE)
    schedule = get_client_recurring(session, actor=actor, recurring_id=recurring_id)
    page = max(1, min(int(page), MAX_PAGE))
    page_size = page_size if page_size in PAGE_SIZES else 10
    where = and_(
        client_scope(Invoice, actor),
        col(Invoice.status).in_(VISIBLE_STATUSES),
        Invoice.recurring_invoice_id == schedule.id,
    )
    found = fetch_page(
        session,
        Invoice,
        where=where,
        order=sort_order(Invoice.issue_date, Invoice.id, descending=True),
        page=page,
        page_size=page_size,
        cap=COUNT_CAP,
    )
    locale = client_locale(session, actor)
    day = today or date.today()
    return RecurringInvoicesPage(
        rows=[invoice_row_view(inv, locale, day) for inv in found.rows],
        page=page,
        page_size=page_size,
        total=found.total,
        total_is_capped=found.total_is_capped,
        has_next=found.has_next,
    )


def _may_change(actor: Actor) -> None:
    if actor.is_preview:
        raise ReadOnlyError(gettext(PREVIEW_MESSAGE))
    if actor.is_link_session:
        raise ReadOnlyError(gettext(LINK_MESSAGE))


def set_auto_bill(session: Session, *, actor: Actor, recurring_id: int, enabled: bool) -> None:
    """Switch auto-billing on or off, where the company lets the client choose (opt-in/out)."""
    _may_change(actor)
    modules.require(session, actor=actor, module=MODULE)
    schedule = get_client_recurring(session, actor=actor, recurring_id=recurring_id)
    if not isinstance(enabled, bool):
        raise ValidationError("auto_bill", gettext("Choose on or off."))
    if schedule.auto_bill not in SWITCHABLE_MODES:
        raise ValidationError(
            "auto_bill", gettext("Auto-billing of this invoice is set by the company.")
        )
    if schedule.status not in RUNNING_STATUSES:
        raise ValidationError("auto_bill", gettext("This recurring invoice has ended."))
    if schedule.auto_bill_enabled == enabled:
        return
    schedule.auto_bill_enabled = enabled
    schedule.updated_at = utcnow()
    session.add(schedule)
    session.flush()
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action="recurring_auto_bill_on" if enabled else "recurring_auto_bill_off",
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type="recurring_invoice",
        entity_id=schedule.id,
        ip=actor.ip,
    )


def clean_reason(raw: object) -> str:
    """The client's reason as plain text: control characters dropped, length checked."""
    text = _CONTROL.sub("", str(raw or "")).strip()
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationError(
            "reason",
            gettext("Keep the reason under %(num)s characters.") % {"num": MAX_REASON_LENGTH},
        )
    return text


def request_cancellation(
    session: Session, *, actor: Actor, recurring_id: int, reason: str = ""
) -> None:
    """Record the client's request to stop the schedule (staff act on it); audited.

    The schedule keeps running until staff cancel it; a second request is refused with the
    date of the first, even when two clicks race (conditional UPDATE).
    """
    _may_change(actor)
    modules.require(session, actor=actor, module=MODULE)
    schedule = get_client_recurring(session, actor=actor, recurring_id=recurring_id)
    text = clean_reason(reason)
    locale = client_locale(session, actor)
    if schedule.cancel_requested_at is not None:
        raise ValidationError(
            "reason",
            gettext("Cancellation was already requested on %(date)s.")
            % {"date": format_day(schedule.cancel_requested_at, locale)},
        )
    if schedule.status not in RUNNING_STATUSES:
        raise ValidationError("reason", gettext("This recurring invoice has already ended."))
    now = utcnow()
    result = session.exec(
        update(RecurringInvoice)
        .where(
            RecurringInvoice.id == schedule.id,
            col(RecurringInvoice.cancel_requested_at).is_(None),
        )
        .values(cancel_requested_at=now, cancel_reason=text, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ValidationError("reason", gettext("Cancellation was already requested."))
    session.refresh(schedule)
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action="recurring_cancellation_requested",
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type="recurring_invoice",
        entity_id=schedule.id,
        ip=actor.ip,
        details={"reason": text[:500]},
    )
