"""The durable e-mail outbox: queue a message in the caller's transaction, send it later.

`queue_email` adds one row in the transaction of the event that causes the message (it never
commits), so a rolled-back event leaves no message and a committed one always has one. Its
unique idempotency key makes queueing the same event twice a no-op.

`deliver_due` (the "outbox" job, jobs/outbox.py) sends what is due through SMTP. Each row is
claimed with a conditional UPDATE (queued -> sending, with a claim token and time) in its own
transaction, so two senders never take the same row; the SMTP call happens outside any
transaction; the outcome is written only if the claim is still ours. A failed send is retried
with exponential backoff and fails for good after MAX_ATTEMPTS. A claim older than
ABANDONED_AFTER is a sender that died mid-send: the row is claimed again and resent with the
same Message-ID, so a message the server had already taken is recognisable as a duplicate.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from portal_app import storage
from portal_app.core import mail
from portal_app.core.db import utcnow
from portal_app.core.i18n import N_, gettext
from portal_app.models import Document, OutboxAttachment, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

Tx = Callable[[], AbstractContextManager[Session]]

MAX_ATTEMPTS = 8
# First retry a minute after a failure, doubling up to six hours between tries.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
# A claim this old belongs to a sender that died (a send takes seconds: SMTP timeout is 15 s).
ABANDONED_AFTER = timedelta(minutes=10)
BATCH_SIZE = 100


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to send with a message: its bytes, or the id of a stored Document."""

    filename: str
    media_type: str
    content: bytes | None = None
    document_id: int | None = None


def _single_line(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"e-mail {name} must be a single line")
    return value


def queue_email(
    session: Session,
    *,
    company_id: int,
    idempotency_key: str,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    entity_type: str = "",
    entity_id: int | None = None,
    attachments: Sequence[Attachment] = (),
    list_unsubscribe: str = "",
) -> bool:
    """Queue one e-mail in the caller's transaction; False when this key was queued before.

    `list_unsubscribe` is the unsubscribe URL of an optional message (sent as List-Unsubscribe).

    Raises ValueError for a recipient or subject with a line break (header injection) and for
    an attachment with both or neither of bytes and document.
    """
    _single_line("to", to)
    _single_line("subject", subject)
    _single_line("list_unsubscribe", list_unsubscribe)
    if len(list_unsubscribe) > 1000:
        raise ValueError("the unsubscribe URL is too long")
    for item in attachments:
        if (item.content is None) == (item.document_id is None):
            raise ValueError("an attachment has either bytes or a document, not both")
    values = {
        "company_id": company_id,
        "idempotency_key": idempotency_key[:200],
        "kind": kind[:50],
        "to_address": to,
        "subject": subject[:300],
        "text_body": text,
        "html_body": html,
        "entity_type": entity_type[:30],
        "entity_id": entity_id,
        "message_id": mail.new_message_id(),
        "list_unsubscribe": list_unsubscribe,
        "status": OutboxStatus.QUEUED.value,
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "last_error": "",
        "created_at": utcnow(),
    }
    # INSERT ... ON CONFLICT DO NOTHING: a duplicate key (even from a concurrent transaction)
    # neither raises nor spoils the caller's transaction.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(col(OutboxMessage.id))
    )
    row_id = session.exec(statement).scalar_one_or_none()  # type: ignore[call-overload]
    if row_id is None:
        return False
    if attachments:
        for item in attachments:
            session.add(
                OutboxAttachment(
                    message_id=row_id,
                    filename=_single_line("filename", item.filename)[:255],
                    media_type=item.media_type[:100],
                    content=item.content,
                    document_id=item.document_id,
                )
            )
        session.flush()
    return True


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try before the next one."""
    return min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_CAP)


def _due(now: datetime):
    return or_(
        and_(
            col(OutboxMessage.status) == OutboxStatus.QUEUED,
            col(OutboxMessage.next_attempt_at) <= now,
        ),
        and_(
            col(OutboxMessage.status) == OutboxStatus.SENDING,
            col(OutboxMessage.claimed_at) < now - ABANDONED_AFTER,
        ),
    )


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    token: str
    attempts: int
    fields: dict
    attachments: list[tuple[str, str, bytes]]


def _attachment_bytes(session: Session, row: OutboxAttachment) -> bytes:
    if row.content is not None:
        return row.content
    document = session.get(Document, row.document_id)
    if document is None:
        raise FileNotFoundError(f"document {row.document_id}")
    # The file store keeps bytes content-addressed (a missing object is a FileNotFoundError).
    return storage.get_store().get(storage.content_key(document.sha256))


def _claim(tx: Tx, message_id: int, now: datetime) -> _Claimed | None:
    token = secrets.token_hex(16)
    with tx() as session:
        claimed = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, _due(now))
            .values(
                status=OutboxStatus.SENDING,
                claim_token=token,
                claimed_at=now,
                attempts=col(OutboxMessage.attempts) + 1,
            )
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            return None  # another sender took it first
        row = session.exec(select(OutboxMessage).where(OutboxMessage.id == message_id)).one()
        session.refresh(row)
        files = session.exec(
            select(OutboxAttachment)
            .where(OutboxAttachment.message_id == message_id)
            .order_by(col(OutboxAttachment.id))
        ).all()
        attachments = [(f.filename, f.media_type, _attachment_bytes(session, f)) for f in files]
        return _Claimed(
            id=message_id,
            token=token,
            attempts=row.attempts,
            fields={
                "to": row.to_address,
                "subject": row.subject,
                "text": row.text_body,
                "html": row.html_body,
                "message_id": row.message_id,
                "list_unsubscribe": row.list_unsubscribe,
            },
            attachments=attachments,
        )


def _finish(tx: Tx, claimed: _Claimed, **values) -> bool:
    with tx() as session:
        done = session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == claimed.id,
                col(OutboxMessage.claim_token) == claimed.token,
            )
            .values(claim_token=None, **values)
        ).rowcount  # type: ignore[attr-defined]
    return done == 1


def _give_up_abandoned(tx: Tx, now: datetime) -> int:
    # A message whose every try killed its sender stops being retried.
    with tx() as session:
        return session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.status) == OutboxStatus.SENDING,
                col(OutboxMessage.claimed_at) < now - ABANDONED_AFTER,
                col(OutboxMessage.attempts) >= MAX_ATTEMPTS,
            )
            .values(
                status=OutboxStatus.FAILED,
                claim_token=None,
                last_error="The sender stopped during every attempt.",
            )
        ).rowcount  # type: ignore[attr-defined]


def _due_ids(tx: Tx, now: datetime, limit: int) -> list[int]:
    with tx() as session:
        return list(
            session.exec(
                select(OutboxMessage.id)
                .where(_due(now))
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                .limit(limit)
            ).all()
        )


def deliver_due(tx: Tx, *, now: datetime | None = None, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send up to `limit` due messages; counts of sent, retrying, failed and skipped ones.

    `tx()` opens one transaction (committed when its block ends); `now` is the time the run
    acts at (tests move it forward to reach a retry).
    """
    now = now or utcnow()
    counts = {"sent": 0, "retrying": 0, "failed": _give_up_abandoned(tx, now), "skipped": 0}
    for message_id in _due_ids(tx, now, limit):
        try:
            claimed = _claim(tx, message_id, now)
        except OSError as exc:  # an attached document's file is missing: no use retrying
            log.warning("outbox message %s has an unreadable attachment: %s", message_id, exc)
            _fail_unclaimed(tx, message_id, f"Attachment unreadable: {exc.__class__.__name__}")
            counts["failed"] += 1
            continue
        if claimed is None:
            counts["skipped"] += 1
            continue
        try:
            mail.send_email(**claimed.fields, attachments=claimed.attachments)
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:500]
            final = claimed.attempts >= MAX_ATTEMPTS
            log.warning(
                "outbox message %s: attempt %s failed (%s)", claimed.id, claimed.attempts, error
            )
            _finish(
                tx,
                claimed,
                status=OutboxStatus.FAILED if final else OutboxStatus.QUEUED,
                next_attempt_at=now + backoff(claimed.attempts),
                last_error=error,
            )
            counts["failed" if final else "retrying"] += 1
            continue
        if _finish(tx, claimed, status=OutboxStatus.SENT, sent_at=utcnow(), last_error=""):
            counts["sent"] += 1
        else:
            # Our claim was taken over as abandoned while we sent: the other sender owns the
            # row now and will resend it with the same Message-ID.
            log.warning("outbox message %s: claim lost during the send", claimed.id)
            counts["sent"] += 1
    return counts


def _fail_unclaimed(tx: Tx, message_id: int, error: str) -> None:
    with tx() as session:
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, _due(utcnow()))
            .values(status=OutboxStatus.FAILED, claim_token=None, last_error=error[:500])
        )


def requeue_failed(session: Session, *, company_id: int, message_id: int) -> bool:
    """Put one failed message of this company back in the queue, due now, with a fresh round
    of attempts; False when it is not (or no longer) failed. Never commits.

    A conditional UPDATE (only while it is still failed): two clicks, or two staff users at
    once, requeue it once.
    """
    changed = session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            col(OutboxMessage.company_id) == company_id,
            col(OutboxMessage.status) == OutboxStatus.FAILED,
        )
        .values(
            status=OutboxStatus.QUEUED,
            next_attempt_at=utcnow(),
            attempts=0,
            claim_token=None,
            claimed_at=None,
        )
    ).rowcount  # type: ignore[attr-defined]
    return changed == 1


# What the recorded exception class names mean, for people who do not read SMTP errors.
_PLAIN_ERRORS = {
    "SMTPRecipientsRefused": N_("The mail server refused the recipient's address."),
    "SMTPSenderRefused": N_("The mail server refused our sender address."),
    "SMTPAuthenticationError": N_("The mail server refused our sign-in (check the SMTP settings)."),
    "SMTPNotSupportedError": N_("The mail server does not support what we asked of it."),
    "SMTPDataError": N_("The mail server refused the message."),
    "SMTPServerDisconnected": N_("The mail server closed the connection."),
    "SMTPConnectError": N_("The mail server could not be reached."),
    "SMTPHeloError": N_("The mail server refused our greeting."),
    "ConnectionRefusedError": N_("The mail server could not be reached."),
    "ConnectionResetError": N_("The mail server closed the connection."),
    "TimeoutError": N_("The mail server did not answer in time."),
    "gaierror": N_("The mail server's name could not be found."),
}


def plain_error(last_error: str) -> str:
    """A failed send's recorded error in plain words in the reader's language ('' when there
    is none); what is recorded stays as the mail library said it."""
    if not last_error:
        return ""
    if last_error.startswith("Attachment unreadable"):
        return gettext("An attached file could not be read.")
    name = last_error.split(":", 1)[0].strip()
    if name in _PLAIN_ERRORS:
        return gettext(_PLAIN_ERRORS[name])
    if " " in name:  # already a sentence (e.g. the abandoned-sender note)
        return last_error
    return gettext("The mail server could not take the message.")
