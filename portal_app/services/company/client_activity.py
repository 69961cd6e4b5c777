"""The client's own activity: who viewed, downloaded, paid, approved, declined, changed a plan
or a card, and when, read from the audit log (services/company/audit_log.py is the staff's
reading of the same rows).

What a client may see is a whitelist, never the log as it stands:
- only events of the actor's client (identity.scope.client_scope on AuditEvent) and only the
  actions below, each worded for the client: what contacts did (sign-ins included: password,
  e-mailed code, e-mailed link), what staff did, and what the portal did on its own (an
  automatic payment charged or failed, a reminder sent, a subscription renewed); anything else
  (failed attempts, settings, internal bookkeeping) stays out;
- a contact's own events name the contact; staff events name nobody: "<company name> staff"
  (a preview as a contact included), with no address, staff name or detail of the log; the
  portal's own events are the company's;
- records are named only when they are the client's (each lookup is scoped too), from a few
  known keys of the event (a removed card's brand and last four), never the raw details.

Times are shown in the company's time zone (services/company/locale.company_time_zone), like
the staff's audit log, in the client's formats.

Downloads are noted by the download routes through `record_download` (never for a staff
preview, as opening an invoice is not: services/billing/invoices.record_view).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from portal_app.core.card_labels import card_label
from portal_app.core.i18n import N_
from portal_app.core.i18n import gettext as _
from portal_app.core.locale import format_moment
from portal_app.core.money import format_money
from portal_app.core.paging import PAGE_SIZES, fetch_page
from portal_app.models import (
    AuditEvent,
    ClientContact,
    Company,
    Credit,
    Document,
    Invoice,
    Payment,
    PaymentMethod,
    Quote,
    RecurringInvoice,
    Subscription,
    SubscriptionPlan,
)
from portal_app.schemas.activity import ActivityPage, ActivityRowView
from portal_app.services.company.locale import client_locale, company_time_zone
from portal_app.services.identity import audit, link_scope
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope

COUNT_CAP = 1000
MAX_PAGE = 1_000_000

# What a contact (or staff previewing as one) did: action -> (kind, sentence).
CONTACT_ACTIONS: dict[str, tuple[str, str]] = {
    "invoice_viewed": ("viewed", N_("%(who)s viewed invoice %(record)s.")),
    "quote_viewed": ("viewed", N_("%(who)s viewed quote %(record)s.")),
    "invoice_downloaded": ("downloaded", N_("%(who)s downloaded invoice %(record)s.")),
    "quote_downloaded": ("downloaded", N_("%(who)s downloaded quote %(record)s.")),
    "credit_downloaded": ("downloaded", N_("%(who)s downloaded credit note %(record)s.")),
    "document_downloaded": ("downloaded", N_("%(who)s downloaded the file %(record)s.")),
    "payment_downloaded": (
        "downloaded",
        N_("%(who)s downloaded the receipt of payment %(record)s."),
    ),
    "statement_downloaded": ("downloaded", N_("%(who)s downloaded a statement.")),
    "invoices_exported": ("downloaded", N_("%(who)s exported the invoices.")),
    "payments_exported": ("downloaded", N_("%(who)s exported the payments.")),
    "credits_exported": ("downloaded", N_("%(who)s exported the credits.")),
    "payment_completed": ("paid", N_("%(who)s paid %(amount)s (payment %(record)s).")),
    "quote_approved": ("approved", N_("%(who)s approved quote %(record)s.")),
    "quote_declined": ("declined", N_("%(who)s declined quote %(record)s.")),
    "subscription_created": ("plan", N_("%(who)s subscribed to %(record)s.")),
    "subscription_upgraded": (
        "plan",
        N_("%(who)s changed the plan of the subscription %(record)s."),
    ),
    "subscription_plan_changed": (
        "plan",
        N_("%(who)s changed the plan of the subscription %(record)s."),
    ),
    "subscription_downgrade_scheduled": (
        "plan",
        N_("%(who)s scheduled a plan change for the subscription %(record)s."),
    ),
    "subscription_cancel_requested": (
        "plan",
        N_("%(who)s asked to cancel the subscription %(record)s."),
    ),
    "subscription_cancelled": ("plan", N_("%(who)s cancelled the subscription %(record)s.")),
    "subscription_cancel_scheduled": (
        "plan",
        N_("%(who)s cancelled the subscription %(record)s at the end of its period."),
    ),
    "subscription_paused": ("plan", N_("%(who)s paused the subscription %(record)s.")),
    "subscription_resumed": ("plan", N_("%(who)s resumed the subscription %(record)s.")),
    "payment_method_added": ("card", N_("%(who)s added the card %(record)s.")),
    "payment_method_default_set": ("card", N_("%(who)s made %(record)s the default card.")),
    "payment_method_removed": ("card", N_("%(who)s removed the card %(record)s.")),
    "recurring_auto_bill_on": (
        "card",
        N_("%(who)s turned on automatic payment for recurring invoice %(record)s."),
    ),
    "recurring_auto_bill_off": (
        "card",
        N_("%(who)s turned off automatic payment for recurring invoice %(record)s."),
    ),
    "session_opened_password": ("signin", N_("%(who)s signed in with a password.")),
    "session_opened_code": ("signin", N_("%(who)s signed in with an e-mailed code.")),
    "session_opened_link": ("signin", N_("%(who)s opened the portal from an e-mailed link.")),
    # Questions and disputes (services/documents/threads.py); a follow-up message is not listed.
    "thread.question_asked": ("message", N_("%(who)s asked a question about %(record)s.")),
    "thread.dispute_opened": ("message", N_("%(who)s disputed invoice %(record)s.")),
}
# What the portal did on its own (jobs, automatic charges), shown as the company's.
SYSTEM_ACTIONS: dict[str, tuple[str, str]] = {
    "autobill_paid": ("paid", N_("Invoice %(record)s was paid automatically with the saved card.")),
    "autobill_failed": ("system", N_("The automatic payment of invoice %(record)s failed.")),
    "payment_reminder_sent": ("system", N_("A payment reminder for invoice %(record)s was sent.")),
    "recurring_invoice_issued": ("system", N_("Recurring invoice issued: %(record)s.")),
    "subscription_renewed": ("plan", N_("The subscription %(record)s was renewed.")),
    "subscription_resumed": ("plan", N_("The subscription %(record)s resumed after its pause.")),
    "subscription_past_due": (
        "system",
        N_("The renewal payment of the subscription %(record)s failed."),
    ),
    "subscription_ended": ("plan", N_("The subscription %(record)s ended.")),
    "subscription_cancelled_unpaid": (
        "plan",
        N_("The subscription %(record)s was cancelled after its payments failed."),
    ),
}
# What staff did to the client's records (shown as "<company> staff").
STAFF_ACTIONS: dict[str, tuple[str, str]] = {
    "invoice.marked_paid": ("paid", N_("%(who)s marked invoice %(record)s as paid.")),
    "payment.refund_requested": ("paid", N_("%(who)s refunded payment %(record)s.")),
    "subscription_cancelled_by_staff": (
        "plan",
        N_("%(who)s cancelled the subscription %(record)s."),
    ),
    "subscription_cancellation_approved": (
        "plan",
        N_("%(who)s approved the cancellation of the subscription %(record)s."),
    ),
    "thread.answered": ("message", N_("%(who)s answered a question about %(record)s.")),
    "thread.resolved": (
        "message",
        N_("%(who)s marked the conversation about %(record)s as resolved."),
    ),
}
CONTACT_TYPES = ("contact", "staff_preview")
# Records named by one column, each lookup within the client's scope.
_NUMBERED: dict[str, Any] = {
    "invoice": Invoice,
    "quote": Quote,
    "credit": Credit,
    "payment": Payment,
    "recurring_invoice": RecurringInvoice,
}
DOWNLOAD_ENTITIES = ("invoice", "quote", "credit", "payment", "document")
EXPORT_KINDS = ("invoices", "payments", "credits")


def _visible(actor: Actor):
    """The client's events the page shows: its own rows, and only whitelisted actions by
    the kind of actor that does them."""
    contact_done = and_(
        col(AuditEvent.actor_type).in_(CONTACT_TYPES),
        col(AuditEvent.action).in_(list(CONTACT_ACTIONS)),
    )
    staff_done = and_(
        col(AuditEvent.actor_type) == "staff",
        col(AuditEvent.action).in_(list(STAFF_ACTIONS)),
    )
    system_done = and_(
        col(AuditEvent.actor_type) == "system",
        col(AuditEvent.action).in_(list(SYSTEM_ACTIONS)),
    )
    return and_(client_scope(AuditEvent, actor), or_(contact_done, staff_done, system_done))


def list_activity(
    session: Session, *, actor: Actor, page: int = 1, page_size: int = 25
) -> ActivityPage:
    """One page of what was done on the actor's client account, newest first.

    FullSessionRequired (a NotFoundError) for an e-mailed-link session: the activity is the
    whole account's."""
    link_scope.require_module(actor, "activity")
    page = max(1, min(int(page), MAX_PAGE))
    page_size = page_size if page_size in PAGE_SIZES else 25
    found = fetch_page(
        session,
        AuditEvent,
        where=_visible(actor),
        order=[col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc()],
        page=page,
        page_size=page_size,
        cap=COUNT_CAP,
    )
    events: list[AuditEvent] = list(found.rows)
    return ActivityPage(
        rows=_rows(session, actor, events),
        page=page,
        page_size=page_size,
        total=found.total,
        total_is_capped=found.total_is_capped,
        has_next=found.has_next,
    )


def _ids(events: list[AuditEvent], kind: str) -> set[int]:
    return {e.entity_id for e in events if e.entity_type == kind and e.entity_id}


def _details(event: AuditEvent) -> dict:
    try:
        data = json.loads(event.details or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _card_name(brand: object, last4: object) -> str:
    return card_label(str(brand or ""), str(last4 or "")[-4:])


def _record_names(session: Session, actor: Actor, events: list[AuditEvent]) -> dict:
    """(entity_type, id) -> how the client knows the record, for the client's own records."""
    names: dict[tuple[str, int], str] = {}
    for kind, model in _NUMBERED.items():
        ids = _ids(events, kind)
        if ids:
            rows = session.exec(
                select(model.id, model.number).where(
                    client_scope(model, actor, whole_client=True), col(model.id).in_(ids)
                )
            ).all()
            names.update({(kind, row_id): number for row_id, number in rows})
    files = _ids(events, "document")
    if files:
        # Only files the client may still see are named (one hidden since stays unnamed).
        rows = session.exec(
            select(Document.id, Document.name).where(
                client_scope(Document, actor, whole_client=True),
                col(Document.visible_to_client).is_(True),
                col(Document.id).in_(files),
            )
        ).all()
        names.update({("document", int(row_id or 0)): name for row_id, name in rows})
    cards = _ids(events, "payment_method")
    if cards:
        for card in session.exec(
            select(PaymentMethod).where(
                client_scope(PaymentMethod, actor, whole_client=True),
                col(PaymentMethod.id).in_(cards),
            )
        ).all():
            names[("payment_method", card.id or 0)] = _card_name(card.brand, card.last4)
    subscriptions = _ids(events, "subscription")
    if subscriptions:
        for sub_id, plan_name in session.exec(
            select(Subscription.id, SubscriptionPlan.name)
            .join(SubscriptionPlan, col(SubscriptionPlan.id) == Subscription.plan_id)
            .where(
                client_scope(Subscription, actor, whole_client=True),
                col(Subscription.id).in_(subscriptions),
            )
        ).all():
            names[("subscription", int(sub_id or 0))] = plan_name
    return names


def _amounts(session: Session, actor: Actor, events: list[AuditEvent], locale: str) -> dict:
    """Payment id -> the amount it received, formatted (for "paid" sentences)."""
    ids = {e.entity_id for e in events if e.action == "payment_completed" and e.entity_id}
    if not ids:
        return {}
    rows = session.exec(
        select(Payment.id, Payment.amount_minor, Payment.currency).where(
            client_scope(Payment, actor, whole_client=True), col(Payment.id).in_(ids)
        )
    ).all()
    return {pid: format_money(minor, currency, locale) for pid, minor, currency in rows}


def _template(event: AuditEvent) -> tuple[str, str]:
    """(kind, sentence) of an event the page shows, by who did it."""
    if event.actor_type == "staff":
        return STAFF_ACTIONS[event.action]
    if event.actor_type == "system":
        return SYSTEM_ACTIONS[event.action]
    return CONTACT_ACTIONS[event.action]


def _rows(session: Session, actor: Actor, events: list[AuditEvent]) -> list[ActivityRowView]:
    locale = client_locale(session, actor)
    # Held from here: the identity map keeps rows only while someone holds them, so the time
    # zone lookup finds this one instead of reading it again.
    company = session.get(Company, actor.company_id)
    zone = company_time_zone(session, actor.company_id)
    contact_ids = {e.actor_id for e in events if e.actor_type == "contact" and e.actor_id}
    contacts: dict[int, str] = {}
    if contact_ids:
        for contact in session.exec(
            select(ClientContact).where(
                client_scope(ClientContact, actor, whole_client=True),
                col(ClientContact.id).in_(contact_ids),
            )
        ).all():
            contacts[contact.id or 0] = contact.display_name
    staff_name = _("%(company)s staff") % {"company": company.name if company else ""}
    names = _record_names(session, actor, events)
    amounts = _amounts(session, actor, events, locale)
    rows = []
    for event in events:
        kind, template = _template(event)
        if event.actor_type == "system":
            who = company.name if company else ""
        elif event.actor_type != "contact":
            who = staff_name
        else:
            who = contacts.get(event.actor_id or 0, _("A contact"))
        record = names.get((event.entity_type, event.entity_id or 0), "")
        if not record and event.entity_type == "payment_method":
            details = _details(event)  # a removed card is named from what the event kept
            record = _card_name(details.get("brand"), details.get("last4"))
        text = _(template) % {
            "who": who,
            "record": record or "—",
            "amount": amounts.get(event.entity_id or 0, ""),
        }
        rows.append(
            ActivityRowView(
                id=event.id or 0,
                when=format_moment(event.created_at, locale, zone),
                who=who,
                text=text,
                kind=kind,
            )
        )
    return rows


def record_download(
    session: Session, *, actor: Actor, entity_type: str, entity_ids: list[int]
) -> None:
    """Note in the audit log that the client downloaded these records (an invoice, quote or
    credit PDF, a payment's receipt, a file) for their activity page; nothing for a staff
    preview."""
    if actor.is_preview or entity_type not in DOWNLOAD_ENTITIES:
        return
    for entity_id in entity_ids:
        _note(session, actor, f"{entity_type}_downloaded", entity_type, entity_id)


def record_file_download(session: Session, *, actor: Actor, what: str) -> None:
    """Note a download that is no single record: a statement ("statement") or an export
    ("invoices", "payments", "credits"); nothing for a staff preview."""
    if actor.is_preview:
        return
    if what == "statement":
        _note(session, actor, "statement_downloaded", "", None)
    elif what in EXPORT_KINDS:
        _note(session, actor, f"{what}_exported", "", None)


def _note(
    session: Session, actor: Actor, action: str, entity_type: str, entity_id: int | None
) -> None:
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action=action,
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type=entity_type,
        entity_id=entity_id,
        ip=actor.ip,
    )
