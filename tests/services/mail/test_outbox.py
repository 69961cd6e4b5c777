"""The e-mail outbox against a real SMTP server (aiosmtpd): queued with the caller's
transaction, sent once, retried with backoff while the server is down, never taken by two
senders, and a sender that died mid-send is retried exactly once with the same Message-ID."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.jobs import runner
from portal_app.models import OutboxAttachment, OutboxMessage, OutboxStatus
from portal_app.services.mail import outbox
from tests.conftest import Factory
from tests.helpers.mailbox import Mailbox, deliver, free_port, serve, smtp_settings


def _queue(session, company_id: int, *, key: str | None = None, **kw) -> str:
    key = key or f"test:{uuid.uuid4().hex}"
    outbox.queue_email(
        session,
        company_id=company_id,
        idempotency_key=key,
        kind=kw.pop("kind", "test"),
        to=kw.pop("to", f"o-{uuid.uuid4().hex[:8]}@example.test"),
        subject=kw.pop("subject", "Hello"),
        text=kw.pop("text", "Plain body"),
        **kw,
    )
    return key


def _row(session, key: str) -> OutboxMessage:
    row = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()
    session.refresh(row)
    return row


def test_queued_in_the_callers_transaction(engine):
    with Session(engine) as session:
        company_id = Factory(session).company().id
        session.commit()
    key = f"test:{uuid.uuid4().hex}"
    with Session(engine) as session:
        _queue(session, company_id, key=key)
        session.rollback()  # the event failed: its e-mail goes with it
    with Session(engine) as session:
        found = select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
        assert session.exec(found).first() is None


def test_sent_once_with_both_bodies_and_attachments(make, session, mailbox):
    company = make.company()
    key = _queue(
        session,
        company.id,
        to="ann@example.test",
        subject="Receipt",
        text="Thanks",
        html="<p>Thanks</p>",
        entity_type="payment",
        entity_id=7,
        attachments=[outbox.Attachment("receipt.pdf", "application/pdf", content=b"%PDF-1.4 x")],
    )
    assert mailbox.messages == []

    assert deliver(session) == {"sent": 1, "retrying": 0, "failed": 0, "skipped": 0}
    assert deliver(session)["sent"] == 0  # nothing twice

    (message,) = mailbox.messages
    assert mailbox.recipients == [["ann@example.test"]]
    assert message["Subject"] == "Receipt"
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "Thanks"
    assert "<p>Thanks</p>" in message.get_body(preferencelist=("html",)).get_content()
    (part,) = list(message.iter_attachments())
    assert part.get_filename() == "receipt.pdf" and part.get_content() == b"%PDF-1.4 x"
    row = _row(session, key)
    assert (row.status, row.attempts, row.claim_token) == (OutboxStatus.SENT, 1, None)
    assert row.sent_at is not None and message["Message-ID"] == row.message_id


def test_duplicate_key_is_a_no_op(make, session):
    company = make.company()
    key = _queue(session, company.id, subject="First")
    assert not outbox.queue_email(
        session, company_id=company.id, idempotency_key=key, kind="test", to="x@example.test",
        subject="Second", text="again",
    )  # fmt: skip
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).all()
    assert [r.subject for r in rows] == ["First"]


def test_header_injection_is_refused(make, session):
    company = make.company()
    with pytest.raises(ValueError):
        _queue(session, company.id, to="a@example.test\nBcc: b@example.test")
    with pytest.raises(ValueError):
        _queue(session, company.id, subject="x\r\nBcc: b@example.test")


def test_retried_with_backoff_while_the_server_is_down_then_sent(make, session):
    company = make.company()
    key = _queue(session, company.id)
    port = free_port()
    start = utcnow()
    with smtp_settings(port):
        # Nothing listens: each try fails, and the next waits twice as long.
        assert deliver(session, now=start)["retrying"] == 1
        row = _row(session, key)
        assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)
        assert row.next_attempt_at == start + outbox.backoff(1)
        assert row.last_error
        assert deliver(session, now=start + timedelta(seconds=30))["retrying"] == 0  # not yet
        second = start + outbox.backoff(1)
        assert deliver(session, now=second)["retrying"] == 1
        assert _row(session, key).next_attempt_at == second + outbox.backoff(2)
        assert outbox.backoff(2) == 2 * outbox.backoff(1)

        with serve(Mailbox(), port) as box:  # the server comes back
            assert deliver(session, now=second + outbox.backoff(2))["sent"] == 1
            assert deliver(session, now=second + timedelta(days=1))["sent"] == 0
    assert len(box.messages) == 1
    row = _row(session, key)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 3, "")


def test_fails_for_good_after_the_last_attempt(make, session, monkeypatch):
    monkeypatch.setattr(outbox, "MAX_ATTEMPTS", 2)
    company = make.company()
    key = _queue(session, company.id)
    now = utcnow()
    with smtp_settings(free_port()):
        assert deliver(session, now=now)["retrying"] == 1
        assert deliver(session, now=now + timedelta(days=1))["failed"] == 1
        assert deliver(session, now=now + timedelta(days=2))["failed"] == 0
    assert _row(session, key).status == OutboxStatus.FAILED


def test_a_sender_killed_mid_send_is_retried_exactly_once(make, session, mailbox):
    company = make.company()
    key = _queue(session, company.id)
    recent, old = _queue(session, company.id), _queue(session, company.id)
    claimed_at = {recent: utcnow() - timedelta(minutes=1), old: utcnow() - timedelta(hours=1)}
    # Both rows were claimed by a sender that then died (status stays 'sending').
    for row_key, when in claimed_at.items():
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.idempotency_key) == row_key)
            .values(status="sending", claim_token="dead", claimed_at=when, attempts=1)
        )
    first_id = _row(session, old).message_id

    assert deliver(session)["sent"] == 2  # `key`, and the abandoned `old` claim
    assert deliver(session)["sent"] == 0
    assert _row(session, recent).status == OutboxStatus.SENDING  # maybe still being sent
    row = _row(session, old)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    resent = [m for m in mailbox.messages if m["To"] == row.to_address]
    assert len(resent) == 1 and resent[0]["Message-ID"] == first_id
    assert _row(session, key).status == OutboxStatus.SENT


def _commit_messages(engine, count: int) -> tuple[int, list[str]]:
    with Session(engine) as session:
        company_id = Factory(session).company().id
        keys = [_queue(session, company_id) for _ in range(count)]
        session.commit()
    return company_id, keys


def _forget(engine, keys: list[str]) -> None:
    # Committed rows outlive the test: take them out of later runs.
    with Session(engine) as session:
        ids = select(OutboxMessage.id).where(col(OutboxMessage.idempotency_key).in_(keys))
        session.exec(delete(OutboxAttachment).where(col(OutboxAttachment.message_id).in_(ids)))
        session.exec(delete(OutboxMessage).where(col(OutboxMessage.idempotency_key).in_(keys)))
        session.commit()


def test_two_racing_senders_send_each_message_once(engine, mailbox):
    _company_id, keys = _commit_messages(engine, 12)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def sender():
        try:
            barrier.wait()
            results.append(outbox.deliver_due(runner.engine_tx(engine)))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert sum(r["sent"] for r in results) == 12
        with Session(engine) as session:
            rows = session.exec(
                select(OutboxMessage).where(col(OutboxMessage.idempotency_key).in_(keys))
            ).all()
            assert {r.status for r in rows} == {OutboxStatus.SENT}
            addresses = sorted(r.to_address for r in rows)
        assert sorted(rcpt for rcpts in mailbox.recipients for rcpt in rcpts) == addresses
    finally:
        _forget(engine, keys)


def test_the_outbox_job_sends_under_the_job_runner(engine, mailbox):
    _company_id, keys = _commit_messages(engine, 2)
    try:
        summary = runner.run_jobs(engine, only=["outbox"])
        assert summary.ran and summary.results["outbox"]["sent"] == 2
        assert len(mailbox.messages) == 2
    finally:
        _forget(engine, keys)
