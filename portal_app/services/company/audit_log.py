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

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.core.locale import format_moment, local_moment, start_of_day
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
# Records named by a column: entity_type -> (what people call it, model, column).
_NAMED: dict[str, tuple[str, Any, str]] = {
    "invoice": ("Invoice", Invoice, "number"),
    "quote": ("Quote", Quote, "number"),
    "credit": ("Credit", Credit, "number"),
    "payment": ("Payment", Payment, "number"),
    "recurring_invoice": ("Recurring invoice", RecurringInvoice, "number"),
    "client": ("Client", Client, "name"),
    "contact": ("Contact", ClientContact, "email"),
    "client_contact": ("Contact", ClientContact, "email"),
    "subscription_plan": ("Plan", SubscriptionPlan, "name"),
    "document": ("File", Document, "name"),
    "staff_user": ("Staff user", StaffUser, "email"),
}
# Records whose amounts are in their own currency.
_PRICED = {"invoice": Invoice, "quote": Quote, "credit": Credit, "payment": Payment}
_PRICED["recurring_invoice"] = RecurringInvoice
# Detail keys holding an amount in minor units, the first one found is the event's amount.
_AMOUNT_KEYS = ("amount", "amount_minor", "refunded", "total", "credit")
# Actions that read better as a verb after the person ("Olive Owner refunded Payment PAY-3").
_VERBS = {
    "login_failed": "failed to sign in",
    "staff_login_failed": "failed to sign in to the console",
    "staff_signed_in": "signed in to the console",
    "staff_signed_out": "signed out of the console",
    "signed_in": "signed in",
    "signed_out": "signed out",
    "registered": "registered",
    "password_reset": "reset the password",
    "password_reset_requested": "asked for a password reset",
    # The client profile (services/identity/profile.py); the record is the contact or client.
    "contact_details_changed": "changed the details of",
    "email_change_requested": "asked to change the e-mail address of",
    "email_changed": "changed the e-mail address of",
    "password_changed": "changed the password of",
    "client_details_changed": "changed the billing details of",
    "contact_preferences_changed": "changed the preferences of",
    "settings_changed": "changed the settings",
    "logo_changed": "changed the logo",
    "preview_started": "started a preview of the portal as",
    "preview_ended": "ended a preview of the portal as",
    "invoice_viewed": "viewed",
    "quote_viewed": "viewed",
    "quote_approved": "approved",
    "quote_declined": "declined",
    "quote_converted": "converted",
    "payment_completed": "completed",
    "payment_refunded": "refunded",
    "payment_method_added": "added",
    # A staff user added it from the client's staff page (services/payments/staff_cards.py).
    "payment_method_added_by_staff": "added, with the client's agreement,",
    "payment_method_detached": "removed",
    "link_opened": "opened an e-mailed link to",
    "checkout_started": "started paying",
    "checkout_failed": "could not pay",
    "autobill_failed": "could not charge",
    "staff_role_changed": "changed the role of",
    "staff_deactivated": "deactivated",
    "staff_activated": "reactivated",
}


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
    writer.writerow([f"When ({zone})", "Who", "Event", "Kind", "Record", "Client", "From"])
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
        select(AuditEvent.action)
        .where(AuditEvent.company_id == company_id)
        .distinct()
        .order_by(col(AuditEvent.action))
        .limit(300)
    ).all()
    return {
        "clients": [(str(cid), name) for cid, name in clients],
        "staff": [(str(sid), name or email) for sid, name, email in staff],
        "kinds": [(kind, kind.replace("_", " ").capitalize()) for kind in kinds],
    }


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
            names[(kind, row_id)] = f"{noun} {value}"
    cards = _ids(events, "payment_method")
    if cards:
        for row in session.exec(
            select(PaymentMethod).where(
                PaymentMethod.company_id == company_id, col(PaymentMethod.id).in_(cards)
            )
        ).all():
            names[("payment_method", row.id)] = f"Card {row.brand.capitalize()} {row.last4}"
    subs = _ids(events, "subscription")
    if subs:
        for sub_id, plan_name in session.exec(
            select(Subscription.id, SubscriptionPlan.name)
            .join(SubscriptionPlan, col(SubscriptionPlan.id) == Subscription.plan_id)
            .where(Subscription.company_id == company_id, col(Subscription.id).in_(subs))
        ).all():
            names[("subscription", sub_id)] = f"Subscription {plan_name}"
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
        return f"Card {str(details.get('brand', '')).capitalize()} {details['last4']}".strip()
    if details.get("number"):
        return f"{event.entity_type.replace('_', ' ').capitalize()} {details['number']}"
    return f"{event.entity_type.replace('_', ' ').capitalize()} #{event.entity_id}"


def _amount(details: dict, currency: str, locale: str) -> str:
    for key in _AMOUNT_KEYS:
        value = details.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return format_money(value, str(details.get("currency") or currency), locale)
    return ""


def sentence(
    *, who: str, action: str, entity_type: str, record: str, amount: str, details: dict
) -> str:
    """One event as a sentence: the person, what they did, to which record, the amount, and
    a reason when one was given."""
    verb = _VERBS.get(action)
    if verb:
        text = f"{who} {verb}" + (f" {record}" if record else "")
        text += f": {amount}." if amount else "."
    else:
        words = action
        # "invoice_sent" on an invoice reads "Invoice INV-1 sent by ...".
        for prefix in (f"{entity_type}_", f"{entity_type.split('_')[0]}_"):
            if entity_type and words.startswith(prefix) and len(words) > len(prefix):
                words = words[len(prefix) :]
                break
        words = words.replace("_", " ")
        head = f"{record}: {words}" if record else words.capitalize()
        text = f"{head} by {who}" + (f", {amount}." if amount else ".")
    reason = details.get("reason") or details.get("client_reason")
    if isinstance(reason, str) and reason and reason not in ("declined", "error"):
        text += f' Reason: "{reason[:200]}".'
    fields = details.get("fields")
    if isinstance(fields, list) and fields:
        text += " Changed: " + ", ".join(str(f).replace("_", " ") for f in fields[:12]) + "."
    return text


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
    locale = (company.locale if company else "") or "en_US"
    zone = (company.time_zone if company else "") or "UTC"
    default_currency = company.currency if company else "USD"
    rows = []
    for event in events:
        if event.actor_type == "staff":
            person = staff.get(event.actor_id) or f"Staff user #{event.actor_id}"
            who = f"Staff: {person}"
        elif event.actor_type == "staff_preview":
            person = contacts.get(event.actor_id) or f"#{event.actor_id}"
            who = f"Staff preview as {person}"
            person = f"Staff (preview as {person})"
        elif event.actor_type == "contact":
            who = person = contacts.get(event.actor_id) or f"Contact #{event.actor_id}"
        else:
            who = event.actor_type.capitalize() or (company.name if company else "")
            person = "The system" if event.actor_type in ("system", "") else who
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
