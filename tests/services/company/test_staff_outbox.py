"""Staff read the company's e-mail outbox (newest first, filtered, searched, scoped) and put a
failed message back in the queue, once, with an audit event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from portal_app.core import i18n
from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, OutboxMessage, OutboxStatus
from portal_app.services.company import staff_outbox
from portal_app.services.mail import outbox
from tests.helpers.staff_docs import staff_actor


def _message(session, company, *, to=None, status=OutboxStatus.QUEUED, **values) -> OutboxMessage:
    key = f"test:{uuid.uuid4().hex}"
    outbox.queue_email(
        session,
        company_id=company.id,
        idempotency_key=key,
        kind=values.pop("kind", "invoice_sent"),
        to=to or f"r-{uuid.uuid4().hex[:8]}@example.test",
        subject=values.pop("subject", "Invoice INV-1 from Acme"),
        text="Body",
    )
    row = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()
    row.status = status
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def test_lists_the_companys_messages_newest_first_in_its_locale(make, session):
    company = make.company(locale="de_DE")
    actor = staff_actor(session, company)
    start = utcnow() - timedelta(hours=3)
    old = _message(session, company, to="old@example.test", created_at=start)
    sent = _message(
        session,
        company,
        to="sent@example.test",
        status=OutboxStatus.SENT,
        created_at=start + timedelta(hours=1),
        sent_at=datetime(2026, 1, 5, 15, 4, 5, tzinfo=UTC),
        attempts=1,
    )
    failed = _message(
        session,
        company,
        to="failed@example.test",
        status=OutboxStatus.FAILED,
        created_at=start + timedelta(hours=2),
        attempts=8,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    _message(session, make.company(), to="other@example.test")

    result = staff_outbox.list_messages(session, actor=actor)

    assert [r.recipient for r in result.rows] == [
        "failed@example.test",
        "sent@example.test",
        "old@example.test",
    ]
    assert result.total == 3 and not result.has_next
    first, second, third = result.rows
    assert (first.id, first.status_label, first.attempts) == (failed.id, "Failed", 8)
    assert first.error == "The mail server could not be reached."
    assert "Errno 111" in first.error_detail
    assert first.can_retry and not second.can_retry and not third.can_retry
    assert first.next_attempt == ""  # a failed message waits for a person
    assert (second.id, second.sent_at, second.error) == (sent.id, "05.01.2026, 15:04:05 UTC", "")
    assert second.kind == "Invoice" and second.subject == "Invoice INV-1 from Acme"
    assert third.id == old.id and third.status_label == "Queued" and third.next_attempt
    assert third.sent_at == ""


def test_times_are_in_the_companys_time_zone(make, session):
    company = make.company(locale="de_DE", time_zone="Europe/Berlin")
    _message(
        session,
        company,
        status=OutboxStatus.SENT,
        sent_at=datetime(2026, 7, 5, 15, 4, 5, tzinfo=UTC),
    )
    (row,) = staff_outbox.list_messages(session, actor=staff_actor(session, company)).rows
    assert row.sent_at == "05.07.2026, 17:04:05 MESZ"


def test_status_filter_recipient_search_and_paging(make, session):
    company = make.company()
    actor = staff_actor(session, company)
    for i in range(12):
        _message(session, company, to=f"ann{i}@example.test")
    _message(session, company, to="Bob_Smith@Example.test", status=OutboxStatus.FAILED)
    _message(session, company, to="bobby@example.test", status=OutboxStatus.SENT)

    failed = staff_outbox.list_messages(session, actor=actor, status="failed")
    assert [r.recipient for r in failed.rows] == ["Bob_Smith@Example.test"]
    sent = staff_outbox.list_messages(session, actor=actor, status="sent")
    assert [r.recipient for r in sent.rows] == ["bobby@example.test"]
    found = staff_outbox.list_messages(session, actor=actor, search="  BOB ")
    assert {r.recipient for r in found.rows} == {"Bob_Smith@Example.test", "bobby@example.test"}
    # '_' is a literal underscore, not a LIKE wildcard.
    assert staff_outbox.list_messages(session, actor=actor, search="bo_b").rows == []
    assert staff_outbox.list_messages(session, actor=actor, status="bogus").total == 14

    first = staff_outbox.list_messages(session, actor=actor, page=1, page_size=10)
    second = staff_outbox.list_messages(session, actor=actor, page=2, page_size=10)
    assert len(first.rows) == 10 and first.has_next and first.total == 14
    assert len(second.rows) == 4 and not second.has_next
    assert not {r.id for r in first.rows} & {r.id for r in second.rows}


def test_an_empty_outbox_and_a_non_staff_actor(make, session):
    company = make.company()
    result = staff_outbox.list_messages(session, actor=staff_actor(session, company))
    assert result.rows == [] and result.total == 0
    with pytest.raises(ReadOnlyError):
        staff_outbox.list_messages(session, actor=make.actor(make.contact(make.client(company))))


def test_retry_requeues_a_failed_message_once_and_audits_it(make, session):
    company = make.company()
    actor = staff_actor(session, company)
    later = utcnow() + timedelta(hours=5)
    message = _message(
        session,
        company,
        status=OutboxStatus.FAILED,
        attempts=8,
        next_attempt_at=later,
        last_error="SMTPRecipientsRefused: {'x@example.test': (550, b'No such user')}",
    )

    row = staff_outbox.retry_message(session, actor=actor, message_id=str(message.id))

    assert (row.status, row.can_retry, row.attempts) == ("queued", False, 0)
    session.refresh(message)
    assert message.status == OutboxStatus.QUEUED and message.attempts == 0
    assert message.next_attempt_at.replace(tzinfo=None) <= utcnow().replace(tzinfo=None)
    (event,) = session.exec(
        select(AuditEvent).where(
            AuditEvent.company_id == company.id, AuditEvent.action == "email.retried"
        )
    ).all()
    assert (event.entity_type, event.entity_id, event.actor_id) == (
        "email",
        message.id,
        actor.staff_user_id,
    )
    assert "No such user" in event.details

    # A second click finds it queued: refused, nothing recorded twice.
    with pytest.raises(ValidationError, match="already queued"):
        staff_outbox.retry_message(session, actor=actor, message_id=message.id)
    events = select(AuditEvent).where(AuditEvent.action == "email.retried")
    assert len(session.exec(events.where(AuditEvent.company_id == company.id)).all()) == 1


def test_requeue_is_conditional_on_the_message_still_failing(make, session):
    company = make.company()
    message = _message(session, company, status=OutboxStatus.FAILED, attempts=8)
    assert outbox.requeue_failed(session, company_id=company.id, message_id=message.id)
    assert not outbox.requeue_failed(session, company_id=company.id, message_id=message.id)
    other = make.company()
    failed = _message(session, company, status=OutboxStatus.FAILED)
    assert not outbox.requeue_failed(session, company_id=other.id, message_id=failed.id)


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (OutboxStatus.SENT, "was sent"),
        (OutboxStatus.QUEUED, "already queued"),
        (OutboxStatus.SENDING, "being sent"),
    ],
)
def test_retry_refuses_a_message_that_has_not_failed(make, session, status, words):
    company = make.company()
    actor = staff_actor(session, company)
    message = _message(session, company, status=status, attempts=1)
    with pytest.raises(ValidationError, match=words):
        staff_outbox.retry_message(session, actor=actor, message_id=message.id)
    session.refresh(message)
    assert message.status == status and message.attempts == 1


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "99999999999", None, "1.5"])
def test_retry_of_an_unknown_id_is_not_found(make, session, raw):
    actor = staff_actor(session, make.company())
    with pytest.raises(NotFoundError):
        staff_outbox.retry_message(session, actor=actor, message_id=raw)


def test_retry_of_another_companys_message_is_not_found(make, session):
    mine, theirs = make.company(), make.company()
    message = _message(session, theirs, status=OutboxStatus.FAILED)
    with pytest.raises(NotFoundError):
        staff_outbox.retry_message(session, actor=staff_actor(session, mine), message_id=message.id)
    session.refresh(message)
    assert message.status == OutboxStatus.FAILED
    with pytest.raises(ReadOnlyError):
        staff_outbox.retry_message(
            session, actor=make.actor(make.contact(make.client(theirs))), message_id=message.id
        )


def test_errors_in_plain_words():
    assert outbox.plain_error("") == ""
    assert outbox.plain_error("TimeoutError: timed out").endswith("did not answer in time.")
    assert outbox.plain_error("Attachment unreadable: FileNotFoundError").startswith("An attached")
    assert outbox.plain_error("The sender stopped during every attempt.").startswith("The sender")
    assert outbox.plain_error("WeirdError: x") == "The mail server could not take the message."


def test_errors_in_plain_words_in_the_readers_language():
    """The recorded error stays as the mail library said it; the sentence is translated."""
    with i18n.use_language("de"):
        assert outbox.plain_error("SMTPConnectError: x") == "Der Mailserver war nicht erreichbar."
        assert outbox.plain_error("WeirdError: x") == (
            "Der Mailserver konnte die Nachricht nicht annehmen."
        )
