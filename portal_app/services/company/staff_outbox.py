"""The company's e-mail outbox as staff read it, and retrying a message that failed.

Every e-mail the portal sends goes through the outbox (services/mail/outbox.py). Staff see
their company's messages, newest first, with the delivery state in plain words, and may put a
failed one back in the queue. Any staff role may: retrying resends an e-mail the portal already
wrote, and every role may e-mail documents (services/identity/staff_scope.py). Another
company's message is "not found".
"""

from __future__ import annotations

from sqlalchemy import and_
from sqlmodel import Session, col

from portal_app.core.errors import ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.core.locale import format_moment
from portal_app.core.paging import COUNT_CAP, PAGE_SIZES, contains_text, fetch_page
from portal_app.models import OutboxMessage, OutboxStatus
from portal_app.schemas.outbox import OutboxPage, OutboxRowView
from portal_app.services.company.locale import company_locale, company_time_zone
from portal_app.services.identity.staff_scope import (
    StaffAction,
    own_row,
    record,
    require_role,
    require_staff,
)
from portal_app.services.mail import outbox

STATUS_FILTERS = ("all", "queued", "sending", "sent", "failed")
MAX_SEARCH = 100
# English msgids (N_), translated when a row is built.
STATUS_LABELS = {
    OutboxStatus.QUEUED: N_("Queued"),
    OutboxStatus.SENDING: N_("Sending"),
    OutboxStatus.SENT: N_("Sent"),
    OutboxStatus.FAILED: N_("Failed"),
}
KIND_LABELS = {
    "invoice_sent": N_("Invoice"),
    "quote_sent": N_("Quote"),
    "credit_sent": N_("Credit"),
    "password_reset": N_("Password reset"),
    "contact_password_link": N_("Password link"),
    "registration_confirm": N_("Registration"),
    "registration_duplicate": N_("Registration (already registered)"),
}
# Why a retry is refused, by the status the message is in.
_NOT_RETRYABLE = {
    OutboxStatus.QUEUED: N_("This e-mail is already queued; it goes out with the next send."),
    OutboxStatus.SENDING: N_("This e-mail is being sent right now."),
    OutboxStatus.SENT: N_("This e-mail was sent; there is nothing to retry."),
}


def _row(message: OutboxMessage, shown_in: tuple[str, str]) -> OutboxRowView:
    # shown_in: the company's (locale, time zone), from _shown_in.
    locale, zone = shown_in
    status = OutboxStatus(message.status)
    return OutboxRowView(
        id=message.id or 0,
        queued_at=format_moment(message.created_at, locale, zone),
        kind=gettext(KIND_LABELS.get(message.kind, message.kind.replace("_", " ").capitalize())),
        recipient=message.to_address,
        subject=message.subject,
        status=status.value,
        status_label=gettext(STATUS_LABELS[status]),
        attempts=message.attempts,
        next_attempt=(
            format_moment(message.next_attempt_at, locale, zone)
            if status is OutboxStatus.QUEUED
            else ""
        ),
        error="" if status is OutboxStatus.SENT else outbox.plain_error(message.last_error),
        error_detail="" if status is OutboxStatus.SENT else message.last_error,
        sent_at=format_moment(message.sent_at, locale, zone),
        can_retry=status is OutboxStatus.FAILED,
    )


def _shown_in(session: Session, company_id: int) -> tuple[str, str]:
    return company_locale(session, company_id), company_time_zone(session, company_id)


def list_messages(
    session: Session,
    *,
    actor,
    status: str = "all",
    search: str = "",
    page: int = 1,
    page_size: int = 25,
) -> OutboxPage:
    """One page of the company's e-mails, newest first, optionally of one status and with the
    recipient containing `search` (case-insensitive)."""
    require_staff(actor)
    page = page if isinstance(page, int) and 1 <= page <= 1_000_000 else 1
    page_size = page_size if page_size in PAGE_SIZES else 25
    conditions = [col(OutboxMessage.company_id) == actor.company_id]
    if status in STATUS_FILTERS and status != "all":
        conditions.append(col(OutboxMessage.status) == OutboxStatus(status))
    text = str(search or "").strip()[:MAX_SEARCH]
    if text:
        conditions.append(contains_text(OutboxMessage.to_address, text))
    found = fetch_page(
        session,
        OutboxMessage,
        where=and_(*conditions),
        order=[col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc()],
        page=page,
        page_size=page_size,
        cap=COUNT_CAP,
    )
    shown_in = _shown_in(session, actor.company_id)
    return OutboxPage(
        rows=[_row(message, shown_in) for message in found.rows],
        page=page,
        page_size=page_size,
        total=found.total,
        total_is_capped=found.total_is_capped,
        has_next=found.has_next,
    )


def retry_message(session: Session, *, actor, message_id: object) -> OutboxRowView:
    """Put a failed e-mail of the company back in the queue, due now, and record who did it.

    NotFoundError for another company's message or an unknown id; ValidationError("status")
    for a message that is queued, being sent or sent (a second click included).
    """
    require_role(actor, StaffAction.RESEND_EMAIL)
    message = own_row(session, OutboxMessage, message_id, actor, what="e-mail")
    status = OutboxStatus(message.status)
    if status is not OutboxStatus.FAILED:
        raise ValidationError("status", gettext(_NOT_RETRYABLE[status]))
    attempts, error = message.attempts, message.last_error
    message_row_id = message.id or 0
    if not outbox.requeue_failed(session, company_id=actor.company_id, message_id=message_row_id):
        # Requeued by someone else between our read and the update.
        raise ValidationError("status", gettext(_NOT_RETRYABLE[OutboxStatus.QUEUED]))
    record(
        session,
        actor,
        action="email.retried",
        entity_type="email",
        entity_id=message_row_id,
        client_id=None,
        details={"to": message.to_address, "attempts": attempts, "error": error[:200]},
    )
    session.refresh(message)
    return _row(message, _shown_in(session, actor.company_id))
