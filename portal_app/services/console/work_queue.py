"""The staff home's work queue: what is waiting for a person, and the navigation's counts.

Kinds (each a list and a count, both from the same WHERE conditions so they agree):
- recurring_cancellation / subscription_cancellation: open cancellation requests (the rules of
  services.subscriptions.staff_cancellations, which approves and declines them on the client's
  staff page);
- unapplied_payment: received payments with money on no invoice (as the payments list's
  "unapplied" filter);
- failed_charge: invoices still owing money after an unattended charge failed (an
  `autobill_failed` audit event: recurring auto-bill and subscription renewals both charge
  through services.payments.autobill); paying or cancelling the invoice takes it off;
- quote_answered: quotes approved or declined today (the company's day: `today` is its local
  date, services.company.locale.company_today, and the day starts at its local midnight) that
  are not converted yet;
- client_upload: files a client uploaded in the last 7 days. Documents carry no "seen by
  staff" marker, so age is the only test;
- client_message: questions and disputes on invoices and quotes whose last message is the
  client's (services.documents.threads), the longest waiting first; answering or resolving
  takes them off.
Every query is limited to the staff user's company.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, func, select

from portal_app.core import routes
from portal_app.core.i18n import gettext as _
from portal_app.core.locale import format_day, start_of_day
from portal_app.core.money import format_money
from portal_app.core.pickling import positional_pickle
from portal_app.models import (
    AuditEvent,
    Client,
    Document,
    DocumentThread,
    Invoice,
    Payment,
    Quote,
    RecurringInvoice,
    Subscription,
)
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.models.statuses import QuoteStatus, ThreadKind, UploadedBy
from portal_app.services.company.locale import company_locale, company_time_zone
from portal_app.services.documents import threads
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_scope import require_staff
from portal_app.services.payments.ledger import RECEIVED_STATUSES
from portal_app.services.subscriptions import staff_cancellations

KINDS = (
    "recurring_cancellation",
    "subscription_cancellation",
    "unapplied_payment",
    "failed_charge",
    "quote_answered",
    "client_upload",
    "client_message",
)
MAX_PER_KIND = 50
UPLOAD_DAYS = 7
ANSWERED_STATUSES = (QuoteStatus.APPROVED, QuoteStatus.DECLINED)


@positional_pickle
@dataclass(frozen=True, slots=True)
class QueueItem:
    """One thing waiting, formatted; `href` is where staff handle it."""

    kind: str
    key: str
    title: str
    client_name: str
    detail: str
    when: str
    href: str
    action: str


@dataclass(frozen=True, slots=True)
class WorkQueue:
    """The items of each kind (at most MAX_PER_KIND each) and the full count per kind."""

    items: list[QueueItem]
    counts: dict[str, int]


def _day_start(day: date, time_zone: str) -> datetime:
    """When `day` began in the company's time zone (stored times are UTC)."""
    return start_of_day(day, time_zone)


def _failed_invoice_ids(company_id: int):
    return (
        select(AuditEvent.entity_id)
        .where(
            AuditEvent.company_id == company_id,
            AuditEvent.action == "autobill_failed",
            AuditEvent.entity_type == "invoice",
        )
        .distinct()
    )


def _conditions(kind: str, company_id: int, today: date, time_zone: str) -> tuple[type, list]:
    """The table a kind counts and its WHERE conditions (shared by the list and the count)."""
    if kind == "recurring_cancellation":
        return RecurringInvoice, staff_cancellations.recurring_request_conditions(company_id)
    if kind == "subscription_cancellation":
        return Subscription, staff_cancellations.subscription_request_conditions(company_id)
    if kind == "unapplied_payment":
        return Payment, [
            Payment.company_id == company_id,
            col(Payment.status).in_(RECEIVED_STATUSES),
            # unapplied = amount - applied - refunded, as services.payments.ledger says.
            Payment.amount_minor - Payment.applied_minor - Payment.refunded_minor > 0,
        ]
    if kind == "failed_charge":
        return Invoice, [
            Invoice.company_id == company_id,
            col(Invoice.status).in_(PAYABLE_STATUSES),
            Invoice.balance_minor > 0,
            col(Invoice.id).in_(_failed_invoice_ids(company_id)),
        ]
    if kind == "quote_answered":
        start = _day_start(today, time_zone)
        return Quote, [
            Quote.company_id == company_id,
            col(Quote.status).in_(ANSWERED_STATUSES),
            (col(Quote.approved_at) >= start) | (col(Quote.declined_at) >= start),
        ]
    if kind == "client_upload":
        return Document, [
            Document.company_id == company_id,
            Document.uploaded_by == UploadedBy.CONTACT,
            Document.created_at >= _day_start(today - timedelta(days=UPLOAD_DAYS), time_zone),
        ]
    if kind == "client_message":
        return DocumentThread, threads.waiting_for_staff(company_id)
    raise ValueError(kind)


def queue_counts(session: Session, *, actor: StaffActor, today: date) -> dict[str, int]:
    """How many items of each kind wait for the staff user's company (one query per kind);
    `today` is the company's local date."""
    require_staff(actor)
    time_zone = company_time_zone(session, actor.company_id)
    counts: dict[str, int] = {}
    for kind in KINDS:
        model, where = _conditions(kind, actor.company_id, today, time_zone)
        counts[kind] = session.exec(select(func.count()).select_from(model).where(*where)).one()
    return counts


def work_queue(session: Session, *, actor: StaffActor, today: date) -> WorkQueue:
    """Every kind's waiting items (oldest request first, newest event first otherwise);
    `today` is the company's local date."""
    require_staff(actor)
    locale = company_locale(session, actor.company_id)
    time_zone = company_time_zone(session, actor.company_id)
    company_id = actor.company_id
    items: list[QueueItem] = []
    for request in staff_cancellations.open_requests(session, actor=actor)[: MAX_PER_KIND * 2]:
        kind = f"{request.kind}_cancellation"
        items.append(
            QueueItem(
                kind=kind,
                key=f"{kind}-{request.record_id}",
                title=request.title,
                client_name=request.client_name,
                detail=request.reason or _("No reason given"),
                when=request.requested_on,
                href=routes.staff_client_url(request.client_id),
                action=_("Approve or decline"),
            )
        )

    def rows(kind: str, model, order):
        _, where = _conditions(kind, company_id, today, time_zone)
        return session.exec(
            select(model, Client.name)
            .join(Client, col(Client.id) == model.client_id)
            .where(*where)
            .order_by(order, col(model.id).desc())
            .limit(MAX_PER_KIND)
        ).all()

    for payment, client_name in rows("unapplied_payment", Payment, col(Payment.created_at).desc()):
        left = payment.amount_minor - payment.applied_minor - payment.refunded_minor
        items.append(
            QueueItem(
                kind="unapplied_payment",
                key=f"unapplied_payment-{payment.id}",
                title=_("Payment %(number)s") % {"number": payment.number},
                client_name=client_name,
                detail=_("%(amount)s not applied")
                % {"amount": format_money(left, payment.currency, locale)},
                when=format_day(payment.paid_at or payment.created_at, locale),
                href=f"{routes.STAFF_PAYMENTS}?filter=unapplied",
                action=_("Apply"),
            )
        )
    failed = rows("failed_charge", Invoice, col(Invoice.updated_at).desc())
    sources = _failure_sources(session, company_id, [invoice.id for invoice, _ in failed])
    for invoice, client_name in failed:
        source, failed_at = sources.get(invoice.id, ("recurring", None))
        items.append(
            QueueItem(
                kind="failed_charge",
                key=f"failed_charge-{invoice.id}",
                title=_("Invoice %(number)s") % {"number": invoice.number},
                client_name=client_name,
                detail=(
                    _("Renewal failed, %(amount)s due")
                    if source == "subscription"
                    else _("Auto-bill failed, %(amount)s due")
                )
                % {"amount": format_money(invoice.balance_minor, invoice.currency, locale)},
                when=format_day(failed_at or invoice.updated_at, locale),
                href=routes.staff_record_url("invoice", invoice.id),
                action=_("Follow up"),
            )
        )
    for quote, client_name in rows("quote_answered", Quote, col(Quote.updated_at).desc()):
        approved = quote.status == QuoteStatus.APPROVED
        items.append(
            QueueItem(
                kind="quote_answered",
                key=f"quote_answered-{quote.id}",
                title=_("Quote %(number)s") % {"number": quote.number},
                client_name=client_name,
                detail=(_("Approved, %(amount)s") if approved else _("Declined, %(amount)s"))
                % {"amount": format_money(quote.amount_minor, quote.currency, locale)},
                when=format_day(quote.approved_at if approved else quote.declined_at, locale),
                href=routes.staff_record_url("quote", quote.id),
                action=_("Convert") if approved else _("Open"),
            )
        )
    for doc, client_name in rows("client_upload", Document, col(Document.created_at).desc()):
        items.append(
            QueueItem(
                kind="client_upload",
                key=f"client_upload-{doc.id}",
                title=_("File %(name)s") % {"name": doc.name},
                client_name=client_name,
                detail=_("Uploaded by the client"),
                when=format_day(doc.created_at, locale),
                href=routes.staff_client_url(doc.client_id),
                action=_("Open"),
            )
        )
    waiting = rows("client_message", DocumentThread, col(DocumentThread.last_message_at))
    for thread, client_name in waiting:
        document_type, document = threads.thread_document(session, thread)
        if document is None:
            continue
        dispute = thread.kind == ThreadKind.DISPUTE
        excerpt = threads.latest_excerpt(session, thread.id or 0)
        items.append(
            QueueItem(
                kind="client_message",
                key=f"client_message-{thread.id}",
                title=threads.staff_document_label(document_type, document),
                client_name=client_name,
                detail=f"{'Dispute' if dispute else 'Question'}: {excerpt}",
                when=format_day(thread.last_message_at, locale),
                href=routes.staff_record_url(document_type, document.id or 0),
                action="Answer",
            )
        )
    return WorkQueue(items=items, counts=queue_counts(session, actor=actor, today=today))


def _failure_sources(
    session: Session, company_id: int, invoice_ids: list[int]
) -> dict[int, tuple[str, datetime]]:
    # The latest failure per invoice says whether a schedule or a subscription charged it.
    if not invoice_ids:
        return {}
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.company_id == company_id,
            AuditEvent.action == "autobill_failed",
            AuditEvent.entity_type == "invoice",
            col(AuditEvent.entity_id).in_(invoice_ids),
        )
        .order_by(col(AuditEvent.created_at), col(AuditEvent.id))
    ).all()
    found: dict[int, tuple[str, datetime]] = {}
    for event in events:
        try:
            source = str(json.loads(event.details or "{}").get("source", "recurring"))
        except (ValueError, AttributeError):
            source = "recurring"
        found[event.entity_id or 0] = (source, event.created_at)
    return found
