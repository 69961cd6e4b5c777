"""The audit log as staff read it: who did what to which record, when, from where.

Paged on the server, newest first, for the whole company, filtered by client, staff user, kind
(the event's action), date range (days in the company's time zone, as the times are shown) and
a search of the text, record numbers and client names. Each event reads as one sentence naming
records as people say them ("Invoice INV-0012", "Card Visa 4242") with amounts in their
currency. Names are looked up in one query per kind for the page, never per row. The CSV export
applies the same filters.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, func, or_, select

from portal_app.core.card_labels import brand_label
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, chosen_language, gettext, pgettext
from portal_app.core.locale import display_locale, format_moment, local_moment, start_of_day
from portal_app.core.money import format_money
from portal_app.core.paging import parse_record_id
from portal_app.models import (
    AuditEvent,
    Client,
    ClientContact,
    Company,
    Credit,
    Document,
    Invoice,
    Payment,
    PaymentMethod,
    Quote,
    RecurringInvoice,
    StaffUser,
    Subscription,
    SubscriptionPlan,
)
from portal_app.schemas.staff import AuditPage, AuditRowView
from portal_app.services.company.locale import company_time_zone
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_roles import StaffAction, require_role

PAGE_SIZES = (10, 20, 25, 50, 100)
COUNT_CAP = 10_000
CSV_MAX_ROWS = 10_000
MAX_SEARCH = 100
# Records named by a column: entity_type -> (what people call it, model, column). The name is
# a msgid translated where it is shown, with the record's number or name as its placeholder.
_NAMED: dict[str, tuple[str, Any, str]] = {
    "invoice": (N_("Invoice %(number)s"), Invoice, "number"),
    "quote": (N_("Quote %(number)s"), Quote, "number"),
    "credit": (N_("Credit %(number)s"), Credit, "number"),
    "payment": (N_("Payment %(number)s"), Payment, "number"),
    "recurring_invoice": (N_("Recurring invoice %(number)s"), RecurringInvoice, "number"),
    "client": (N_("Client %(name)s"), Client, "name"),
    "contact": (N_("Contact %(name)s"), ClientContact, "email"),
    "client_contact": (N_("Contact %(name)s"), ClientContact, "email"),
    "subscription_plan": (N_("Plan %(name)s"), SubscriptionPlan, "name"),
    "document": (N_("File %(name)s"), Document, "name"),
    "staff_user": (N_("Staff user %(name)s"), StaffUser, "email"),
}
# Records named by their id ("#12"), or by the number the event kept: entity_type -> a msgid
# with %(number)s. Cards and subscriptions are named from their row when it is still there.
_NUMBERED: dict[str, str] = {
    "payment_method": N_("Card %(number)s"),
    "subscription": N_("Subscription %(number)s"),
    "checkout": N_("Checkout %(number)s"),
    "session": N_("Session %(number)s"),
    "company": N_("Company %(number)s"),
    "email": N_("E-mail %(number)s"),
    "payment_link": N_("Payment link %(number)s"),
    "prepayment_schedule": N_("Pre-payment schedule %(number)s"),
}
# A record of a kind named nowhere above (an event written by an older version).
_ANY_RECORD = N_("Record %(number)s")
# Records whose amounts are in their own currency.
_PRICED = {"invoice": Invoice, "quote": Quote, "credit": Credit, "payment": Payment}
_PRICED["recurring_invoice"] = RecurringInvoice
# Detail keys holding an amount in minor units, the first one found is the event's amount.
_AMOUNT_KEYS = ("amount", "amount_minor", "refunded", "total", "credit")
# Each event as one whole sentence, a msgid translated when the log is read (in the reader's
# language): %(actor)s is the person, %(record)s the record as people name it. Looked up by
# the action, then by the action without its record's prefix ("invoice.marked_paid" and
# "payment_link.enabled" read as "marked_paid" and "enabled").
_SENTENCES = {
    "login_failed": N_("%(actor)s failed to sign in."),
    "staff_login_failed": N_("%(actor)s failed to sign in to the console."),
    "staff_signed_in": N_("%(actor)s signed in to the console."),
    "staff_signed_out": N_("%(actor)s signed out of the console."),
    "signed_in": N_("%(actor)s signed in."),
    # A client's session, by how it was opened (services/identity/auth.py open_session).
    "session_opened_password": N_("%(actor)s signed in with a password."),
    "session_opened_code": N_("%(actor)s signed in with an e-mailed code."),
    "session_opened_link": N_("%(actor)s opened the portal from an e-mailed link."),
    "session_opened_staff_preview": N_("%(actor)s opened a preview of the portal."),
    "signed_out": N_("%(actor)s signed out."),
    "registered": N_("%(actor)s registered."),
    "registration_duplicate": N_("%(actor)s tried to register an address already in use."),
    "email_confirmed": N_("%(actor)s confirmed the e-mail address."),
    "password_reset": N_("%(actor)s reset the password."),
    "password_reset_requested": N_("%(actor)s asked for a password reset."),
    "signin_code_requested": N_("%(actor)s asked for a sign-in code."),
    "signin_code_failed": N_("%(actor)s entered a wrong sign-in code."),
    # The client profile (services/identity/profile.py); the record is the contact or client.
    "contact_details_changed": N_("%(actor)s changed the details of %(record)s."),
    "email_change_requested": N_("%(actor)s asked to change the e-mail address of %(record)s."),
    "email_changed": N_("%(actor)s changed the e-mail address of %(record)s."),
    "password_changed": N_("%(actor)s changed the password of %(record)s."),
    "client_details_changed": N_("%(actor)s changed the billing details of %(record)s."),
    "contact_preferences_changed": N_("%(actor)s changed the preferences of %(record)s."),
    "contact.language_changed": N_("%(actor)s changed the language of %(record)s."),
    "contact.email_choices_changed": N_("%(actor)s changed the e-mail choices of %(record)s."),
    "contact.email_resubscribed": N_("%(actor)s subscribed %(record)s to e-mails again."),
    "contact.email_unsubscribed": N_("%(actor)s unsubscribed %(record)s from e-mails."),
    "contact_password_link_sent": N_("%(actor)s sent a password link to %(record)s."),
    "contact_password_set": N_("%(actor)s set the password of %(record)s."),
    "unsubscribe": N_("%(actor)s unsubscribed from e-mails."),
    "staff.language_changed": N_("%(actor)s changed the language of the console."),
    "settings_changed": N_("%(actor)s changed the settings."),
    "logo_changed": N_("%(actor)s changed the logo."),
    "preview_started": N_("%(actor)s started a preview of the portal as %(record)s."),
    "preview_ended": N_("%(actor)s ended a preview of the portal as %(record)s."),
    "staff_role_changed": N_("%(actor)s changed the role of %(record)s."),
    "staff_deactivated": N_("%(actor)s deactivated %(record)s."),
    "staff_activated": N_("%(actor)s reactivated %(record)s."),
    # Records, by what was done to them.
    "created": N_("%(actor)s created %(record)s."),
    "updated": N_("%(actor)s updated %(record)s."),
    "sent": N_("%(record)s: sent by %(actor)s."),
    "emailed": N_("%(actor)s e-mailed %(record)s."),
    "marked_sent": N_("%(actor)s marked %(record)s as sent."),
    "marked_paid": N_("%(actor)s marked %(record)s as paid."),
    "cancelled": N_("%(actor)s cancelled %(record)s."),
    "viewed": N_("%(actor)s viewed %(record)s."),
    "downloaded": N_("%(actor)s downloaded %(record)s."),
    "enabled": N_("%(actor)s enabled %(record)s."),
    "disabled": N_("%(actor)s disabled %(record)s."),
    "approved": N_("%(actor)s approved %(record)s."),
    "declined": N_("%(actor)s declined %(record)s."),
    "converted": N_("%(actor)s converted %(record)s into an invoice."),
    # Written on the new invoice (services/billing/quotes.py).
    "quote_converted": N_("%(actor)s turned a quote into %(record)s."),
    "stopped": N_("%(actor)s stopped %(record)s."),
    "statement_downloaded": N_("%(actor)s downloaded a statement."),
    "voided": N_("%(actor)s voided %(record)s."),
    "used": N_("%(actor)s used %(record)s."),
    "paused": N_("%(actor)s paused %(record)s."),
    "resumed": N_("%(actor)s resumed %(record)s."),
    "renewed": N_("%(actor)s renewed %(record)s."),
    "upgraded": N_("%(actor)s upgraded %(record)s."),
    "activated": N_("%(actor)s activated %(record)s."),
    "ended": N_("%(actor)s ended %(record)s."),
    "uploaded": N_("%(actor)s uploaded %(record)s."),
    "visibility_changed": N_("%(actor)s changed who sees %(record)s."),
    "payment_completed": N_("%(actor)s completed %(record)s."),
    "payment_refunded": N_("%(actor)s refunded %(record)s."),
    "payment_pending": N_("%(actor)s started %(record)s, which is pending."),
    "payment_failed": N_("%(actor)s could not complete %(record)s."),
    "payment.applied": N_("%(actor)s applied %(record)s to invoices."),
    "payment.refund_requested": N_("%(actor)s asked for a refund of %(record)s."),
    "payment_method_added": N_("%(actor)s added %(record)s."),
    # A staff user added it from the client's staff page (services/payments/staff_cards.py).
    "payment_method_added_by_staff": N_(
        "%(actor)s added, with the client's agreement, %(record)s."
    ),
    "payment_method_detached": N_("%(actor)s removed %(record)s."),
    "payment_method_removed": N_("%(actor)s removed %(record)s."),
    "payment_method_default_set": N_("%(actor)s made %(record)s the default card."),
    "link_opened": N_("%(actor)s opened an e-mailed link to %(record)s."),
    "checkout_started": N_("%(actor)s started paying %(record)s."),
    "checkout_failed": N_("%(actor)s could not pay %(record)s."),
    "autobill_failed": N_("%(actor)s could not charge %(record)s."),
    "autobill_paid": N_("%(actor)s charged the saved card for %(record)s."),
    "autobill_processing": N_(
        "%(actor)s charged the saved card for %(record)s; the payment is processing."
    ),
    "autobill_waiting": N_(
        "%(actor)s waited for an earlier payment of %(record)s before charging it."
    ),
    "payment_reminder_sent": N_("%(actor)s sent a payment reminder for %(record)s."),
    "prepayment_started": N_("%(actor)s started a pre-payment."),
    "prepayment_schedule_stopped": N_("%(actor)s stopped a pre-payment schedule."),
    "prepayment_schedule_cancelled": N_("%(actor)s cancelled a pre-payment schedule."),
    "invoices_exported": N_("%(actor)s exported invoices."),
    "quotes_exported": N_("%(actor)s exported quotes."),
    "credits_exported": N_("%(actor)s exported credit notes."),
    "payments_exported": N_("%(actor)s exported payments."),
    "recurring_invoice_issued": N_("%(actor)s issued an invoice from %(record)s."),
    "recurring_auto_bill_on": N_("%(actor)s turned on automatic payment for %(record)s."),
    "recurring_auto_bill_off": N_("%(actor)s turned off automatic payment for %(record)s."),
    "cancellation_requested": N_("%(actor)s asked to cancel %(record)s."),
    "cancel_requested": N_("%(actor)s asked to cancel %(record)s."),
    "cancellation_approved": N_("%(actor)s approved the cancellation of %(record)s."),
    "cancellation_declined": N_("%(actor)s declined the request to cancel %(record)s."),
    "cancel_scheduled": N_("%(actor)s scheduled the cancellation of %(record)s."),
    "cancelled_by_staff": N_("%(actor)s cancelled %(record)s for the client."),
    "cancelled_refunded": N_("%(actor)s cancelled %(record)s with a refund."),
    "cancelled_unpaid": N_("%(actor)s cancelled %(record)s because it was not paid."),
    "downgrade_scheduled": N_("%(actor)s scheduled a downgrade of %(record)s."),
    "past_due": N_("%(actor)s recorded that %(record)s is overdue."),
    "plan_changed": N_("%(actor)s changed the plan of %(record)s."),
    "retries_exhausted": N_("%(actor)s stopped retrying the payment of %(record)s."),
    "signup_abandoned": N_("%(actor)s left the sign-up for %(record)s unfinished."),
    "trial_ended_no_card": N_("%(actor)s ended the trial of %(record)s, as no card was saved."),
    "subscribe": N_("%(actor)s subscribed to %(record)s."),
    "thread.question_asked": N_("%(actor)s asked a question about %(record)s."),
    "thread.dispute_opened": N_("%(actor)s disputed %(record)s."),
    "thread.message_posted": N_("%(actor)s wrote in the thread about %(record)s."),
    "thread.answered": N_("%(actor)s answered the thread about %(record)s."),
    "thread.resolved": N_("%(actor)s resolved the thread about %(record)s."),
    "email.retried": N_("%(actor)s sent an e-mail again."),
}
# Every kind the log names, longest first ("recurring_invoice" before "recurring").
_RECORD_KINDS = sorted(
    {*_NAMED, *_NUMBERED, *(k.split("_")[0] for k in (*_NAMED, *_NUMBERED))}, key=len, reverse=True
)
# Who did it, when not a person with a name (the actor_type of the event).
_ACTOR_KINDS = {"system": N_("System"), "visitor": N_("Visitor"), "": N_("System")}
_ACTOR_PERSONS = {"system": N_("The system"), "visitor": N_("A visitor"), "": N_("The system")}


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """What the staff user narrowed the log to; empty values mean "any"."""

    client_id: object = None
    staff_user_id: object = None
    kind: str = ""
    date_from: str = ""
    date_to: str = ""
    search: str = ""


def _require(actor: object) -> StaffActor:
    if not isinstance(actor, StaffActor):
        raise ReadOnlyError(gettext("Sign in as staff to do this."))
    return actor


def _day(text: str, field: str) -> date | None:
    text = str(text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValidationError(field, gettext("Enter a date as YYYY-MM-DD.")) from None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(session: Session, actor: StaffActor, filters: AuditFilters) -> list:
    company_id = actor.company_id
    conditions: list = [AuditEvent.company_id == company_id]
    if filters.client_id not in (None, ""):
        client = session.get(Client, parse_record_id(filters.client_id, "client"))
        if client is None or client.company_id != company_id:
            raise NotFoundError("client")
        conditions.append(AuditEvent.client_id == client.id)
    if filters.staff_user_id not in (None, ""):
        user = session.get(StaffUser, parse_record_id(filters.staff_user_id, "staff user"))
        if user is None or user.company_id != company_id:
            raise NotFoundError("staff user")
        conditions += [AuditEvent.actor_type == "staff", AuditEvent.actor_id == user.id]
    if filters.kind:
        conditions.append(AuditEvent.action == str(filters.kind)[:50])
    start, end = _day(filters.date_from, "date_from"), _day(filters.date_to, "date_to")
    if start and end and end < start:
        raise ValidationError("date_to", gettext("The end date is before the start date."))
    # Days as the company reads them (the times on the page are in its zone too).
    zone = company_time_zone(session, company_id) if start or end else "UTC"
    if start:
        conditions.append(AuditEvent.created_at >= start_of_day(start, zone))
    if end:
        conditions.append(AuditEvent.created_at < start_of_day(end + timedelta(days=1), zone))
    search = str(filters.search or "").strip()[:MAX_SEARCH]
    if search:
        pattern = _like(search.lower())
        matches = [
            func.lower(AuditEvent.action).like(pattern, escape="\\"),
            func.lower(AuditEvent.details).like(pattern, escape="\\"),
            func.lower(AuditEvent.ip).like(pattern, escape="\\"),
            col(AuditEvent.client_id).in_(
                select(Client.id).where(
                    Client.company_id == company_id,
                    func.lower(Client.name).like(pattern, escape="\\"),
                )
            ),
        ]
        # The search also finds a record by what people call it (its number or name).
        for kind, (_, model, attr) in _NAMED.items():
            ids = select(model.id).where(
                model.company_id == company_id,
                func.lower(getattr(model, attr)).like(pattern, escape="\\"),
            )
            matches.append((AuditEvent.entity_type == kind) & col(AuditEvent.entity_id).in_(ids))
        conditions.append(or_(*matches))
    return conditions


def list_events(
    session: Session,
    *,
    actor: StaffActor,
    filters: AuditFilters | None = None,
    page: int = 1,
    page_size: int = 25,
) -> AuditPage:
    """One page of the company's audit log narrowed by `filters` (roles that may read it)."""
    require_role(actor, StaffAction.VIEW_AUDIT)
    return _page(session, _require(actor), filters or AuditFilters(), page, page_size)


def client_events(
    session: Session, *, actor: StaffActor, client_id: object, page_size: int = 25
) -> AuditPage:
    """The newest events of one client of the company, for the client's staff page: what
    happened to a client is part of its record, which every staff role reads."""
    return _page(session, _require(actor), AuditFilters(client_id=client_id), 1, page_size)


def _page(
    session: Session, actor: StaffActor, filters: AuditFilters, page: int, page_size: int
) -> AuditPage:
    page = page if isinstance(page, int) and 1 <= page <= 1_000_000 else 1
    page_size = page_size if page_size in PAGE_SIZES else 25
    conditions = _conditions(session, actor, filters)
    events = session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size + 1)
    ).all()
    has_next = len(events) > page_size
    events = events[:page_size]
    capped = select(AuditEvent.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
    total = session.exec(select(func.count()).select_from(capped)).one()
    return AuditPage(
        rows=_rows(session, actor.company_id, list(events)),
        page=page,
        page_size=page_size,
        total=min(total, COUNT_CAP),
        total_is_capped=total > COUNT_CAP,
        has_next=has_next,
    )


def export_csv(session: Session, *, actor: StaffActor, filters: AuditFilters) -> str:
    """The filtered events (newest first, at most CSV_MAX_ROWS) as CSV text with a header;
    times are in the company's time zone, which the header names."""
    require_role(actor, StaffAction.VIEW_AUDIT)
    actor = _require(actor)
    events = session.exec(
        select(AuditEvent)
        .where(*_conditions(session, actor, filters))
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .limit(CSV_MAX_ROWS)
    ).all()
    out = io.StringIO()
    writer = csv.writer(out)
    zone = company_time_zone(session, actor.company_id)
    # The headers in the reader's language too; the first names the zone of the times.
    writer.writerow(
        [
            pgettext("audit column", "When (%(zone)s)") % {"zone": zone},
            pgettext("audit column", "Who"),
            pgettext("audit column", "Event"),
            pgettext("audit column", "Kind"),
            pgettext("audit column", "Record"),
            pgettext("audit column", "Client"),
            pgettext("audit column", "From"),
        ]
    )
    for event, row in zip(events, _rows(session, actor.company_id, list(events)), strict=True):
        writer.writerow(
            [
                local_moment(event.created_at, zone).strftime("%Y-%m-%d %H:%M:%S"),
                row.who,
                row.sentence,
                row.kind,
                row.record,
                row.client,
                row.ip,
            ]
        )
    return out.getvalue()


def filter_options(session: Session, *, actor: StaffActor) -> dict[str, list[tuple[str, str]]]:
    """(value, label) choices for the filters: the company's clients, staff users and the
    kinds of event it has recorded."""
    require_role(actor, StaffAction.VIEW_AUDIT)
    actor = _require(actor)
    company_id = actor.company_id
    clients = session.exec(
        select(Client.id, Client.name)
        .where(Client.company_id == company_id)
        .order_by(col(Client.name))
        .limit(500)
    ).all()
    staff = session.exec(
        select(StaffUser.id, StaffUser.name, StaffUser.email)
        .where(StaffUser.company_id == company_id)
        .order_by(col(StaffUser.name))
    ).all()
    kinds = session.exec(
        select(AuditEvent.action, func.max(AuditEvent.entity_type))
        .where(AuditEvent.company_id == company_id)
        .group_by(AuditEvent.action)
        .order_by(col(AuditEvent.action))
        .limit(300)
    ).all()
    # The value stays the action (the filter matches it); the label is in the reader's words.
    labelled = [(action, kind_label(action, entity_type or "")) for action, entity_type in kinds]
    return {
        "clients": [(str(cid), name) for cid, name in clients],
        "staff": [(str(sid), name or email) for sid, name, email in staff],
        "kinds": sorted(labelled, key=lambda option: option[1].casefold()),
    }


def kind_label(action: str, entity_type: str) -> str:
    """What a kind of event is called in the filter, in the current language: its sentence
    with "…" for the person and the record's number ("… marked Invoice … as paid")."""
    template = _template(action, entity_type)
    if template is None:
        return action  # written by an older version: its key, as stored
    record = _kind_name(entity_type, "…") if entity_type else "…"
    return (gettext(template) % {"actor": "…", "record": record}).rstrip(".。")


def has_own_sentence(action: str, entity_type: str) -> bool:
    """True when an event of `action` on a record of `entity_type` ("" for none) reads as its
    own sentence, not the fallback made from the action's key."""
    template = _template(action, entity_type)
    return template is not None and ("%(record)s" not in template or bool(entity_type))


def names_record_kind(entity_type: str) -> bool:
    """True when records of `entity_type` have a name of their own (not "Record #12")."""
    return entity_type in _NAMED or entity_type in _NUMBERED


def _kind_name(entity_type: str, number: str) -> str:
    """A record of `entity_type` named by `number` in the current language."""
    named = _NAMED.get(entity_type)
    msgid = named[0] if named else _NUMBERED.get(entity_type, _ANY_RECORD)
    return gettext(msgid) % {"number": number, "name": number}


def _names(session: Session, model, attr: str, company_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(
        select(model.id, getattr(model, attr)).where(
            model.company_id == company_id, col(model.id).in_(ids)
        )
    ).all()
    return {row_id: value for row_id, value in rows}


def _details(raw: str) -> dict:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _format_details(raw: str) -> str:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return raw[:300]
    if not isinstance(data, dict):
        return str(data)[:300]
    return ", ".join(f"{key}: {value}" for key, value in data.items())[:300]


def _ids(events: list[AuditEvent], kind: str) -> set[int]:
    return {e.entity_id for e in events if e.entity_type == kind and e.entity_id}


def _record_names(session: Session, company_id: int, events: list[AuditEvent]) -> dict:
    """(entity_type, id) -> name as people say it, for every record the events name."""
    names: dict[tuple[str, int], str] = {}
    for kind, (noun, model, attr) in _NAMED.items():
        for row_id, value in _names(session, model, attr, company_id, _ids(events, kind)).items():
            names[(kind, row_id)] = gettext(noun) % {"number": value, "name": value}
    cards = _ids(events, "payment_method")
    if cards:
        for row in session.exec(
            select(PaymentMethod).where(
                PaymentMethod.company_id == company_id, col(PaymentMethod.id).in_(cards)
            )
        ).all():
            names[("payment_method", row.id)] = _card_name(row.brand, row.last4)
    subs = _ids(events, "subscription")
    if subs:
        for sub_id, plan_name in session.exec(
            select(Subscription.id, SubscriptionPlan.name)
            .join(SubscriptionPlan, col(SubscriptionPlan.id) == Subscription.plan_id)
            .where(Subscription.company_id == company_id, col(Subscription.id).in_(subs))
        ).all():
            names[("subscription", sub_id)] = gettext("Subscription %(name)s") % {"name": plan_name}
    return names


def _currencies(session: Session, company_id: int, events: list[AuditEvent]) -> dict:
    found: dict[tuple[str, int], str] = {}
    for kind, model in _PRICED.items():
        ids = _ids(events, kind)
        if ids:
            for row_id, currency in session.exec(
                select(model.id, model.currency).where(
                    model.company_id == company_id, col(model.id).in_(ids)
                )
            ).all():
                found[(kind, row_id)] = currency
    return found


def _record_name(event: AuditEvent, names: dict, details: dict) -> str:
    if not event.entity_type:
        return ""
    known = names.get((event.entity_type, event.entity_id))
    if known:
        return known
    if event.entity_type == "payment_method" and details.get("last4"):
        # A removed card is named from what the event kept.
        return _card_name(str(details.get("brand", "")), str(details["last4"]))
    # A record since deleted, or one named by its id, is named from what the event kept.
    return _kind_name(event.entity_type, str(details.get("number") or f"#{event.entity_id}"))


def _card_name(brand: str, last4: str) -> str:
    return gettext("Card %(brand)s %(last4)s") % {"brand": brand_label(brand), "last4": last4}


def _amount(details: dict, currency: str, locale: str) -> str:
    for key in _AMOUNT_KEYS:
        value = details.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return format_money(value, str(details.get("currency") or currency), locale)
    return ""


def sentence(
    *, who: str, action: str, entity_type: str, record: str, amount: str, details: dict
) -> str:
    """One event as whole sentences in the current language: the person, what they did, to
    which record; then the amount, a reason when one was given and the fields changed."""
    template = _template(action, entity_type)
    if template and ("%(record)s" not in template or record):
        text = gettext(template) % {"actor": who, "record": record}
    elif record:
        # An action nobody wrote a sentence for yet reads "Invoice INV-1: marked lost by ...".
        words = _without_record_prefix(action, entity_type).replace("_", " ").replace(".", " ")
        text = gettext("%(record)s: %(event)s by %(actor)s.") % {
            "record": record,
            "event": words,
            "actor": who,
        }
    else:
        words = action.replace("_", " ").replace(".", " ").capitalize()
        text = gettext("%(event)s by %(actor)s.") % {"event": words, "actor": who}
    if amount:
        text += " " + gettext("Amount: %(amount)s.") % {"amount": amount}
    reason = details.get("reason") or details.get("client_reason")
    if isinstance(reason, str) and reason and reason not in ("declined", "error"):
        text += " " + gettext('Reason: "%(reason)s".') % {"reason": reason[:200]}
    fields = details.get("fields")
    if isinstance(fields, list) and fields:
        changed = ", ".join(str(f).replace("_", " ") for f in fields[:12])
        text += " " + gettext("Changed: %(fields)s.") % {"fields": changed}
    return text


def _template(action: str, entity_type: str) -> str | None:
    """The sentence msgid of `action`: its own, else the one of what was done once the
    record's name is taken off ("invoice_viewed" is "viewed"), that record being the event's
    or any kind the log names ("credit.created" written with the kind in a variable)."""
    for key in (action, _without_record_prefix(action, entity_type)):
        if key in _SENTENCES:
            return _SENTENCES[key]
    for kind in _RECORD_KINDS:
        key = _without_record_prefix(action, kind)
        if key != action and key in _SENTENCES:
            return _SENTENCES[key]
    return None


def _without_record_prefix(action: str, entity_type: str) -> str:
    """ "invoice_sent" on an invoice is "sent"; "recurring_auto_bill_on" stays whole."""
    if entity_type:
        for head in (entity_type, entity_type.split("_")[0]):
            for prefix in (f"{head}_", f"{head}."):
                if action.startswith(prefix) and len(action) > len(prefix):
                    return action[len(prefix) :]
    return action


def _rows(session: Session, company_id: int, events: list[AuditEvent]) -> list[AuditRowView]:
    staff = _names(
        session,
        StaffUser,
        "name",
        company_id,
        {e.actor_id for e in events if e.actor_type == "staff" and e.actor_id},
    )
    contacts = _names(
        session,
        ClientContact,
        "email",
        company_id,
        # Rows written in a preview name the previewed contact (services.payment_methods).
        {e.actor_id for e in events if e.actor_type in ("contact", "staff_preview") and e.actor_id},
    )
    clients = _names(
        session, Client, "name", company_id, {e.client_id for e in events if e.client_id}
    )
    names = _record_names(session, company_id, events)
    currencies = _currencies(session, company_id, events)
    company = session.get(Company, company_id)
    # The reader's language in the company's region, as the other staff views (company_locale).
    locale = display_locale(chosen_language(), (company.locale if company else "") or "en_US")
    zone = (company.time_zone if company else "") or "UTC"
    default_currency = company.currency if company else "USD"
    rows = []
    for event in events:
        if event.actor_type == "staff":
            person = staff.get(event.actor_id) or gettext("Staff user #%(id)s") % {
                "id": event.actor_id
            }
            who = gettext("Staff: %(name)s") % {"name": person}
        elif event.actor_type == "staff_preview":
            email = contacts.get(event.actor_id) or f"#{event.actor_id}"
            who = gettext("Staff preview as %(email)s") % {"email": email}
            person = gettext("Staff (preview as %(email)s)") % {"email": email}
        elif event.actor_type == "contact":
            who = person = contacts.get(event.actor_id) or gettext("Contact #%(id)s") % {
                "id": event.actor_id
            }
        elif event.actor_type in _ACTOR_KINDS:
            who = gettext(_ACTOR_KINDS[event.actor_type])
            person = gettext(_ACTOR_PERSONS[event.actor_type])
        else:
            who = person = event.actor_type.capitalize()
        details = _details(event.details)
        record = _record_name(event, names, details)
        currency = currencies.get((event.entity_type, event.entity_id), default_currency)
        rows.append(
            AuditRowView(
                id=event.id or 0,
                when=format_moment(event.created_at, locale, zone),
                who=who,
                action=event.action.replace("_", " "),
                record=record,
                client=clients.get(event.client_id, "") if event.client_id else "",
                ip=event.ip,
                details=_format_details(event.details),
                sentence=sentence(
                    who=person,
                    action=event.action,
                    entity_type=event.entity_type,
                    record=record,
                    amount=_amount(details, currency, locale),
                    details=details,
                ),
                kind=event.action,
            )
        )
    return rows
