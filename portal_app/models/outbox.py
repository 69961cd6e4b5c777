"""The e-mail outbox: one row per message, written in the transaction of the event that causes
it and sent later by the outbox job (services/mail/outbox.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import enum_field
from portal_app.models.statuses import OutboxStatus


class OutboxMessage(SQLModel, table=True):
    """One e-mail to one recipient and its delivery state.

    `idempotency_key` is unique, so the same event never queues a message twice.
    `message_id` is the Message-ID header, fixed when queued, so a resend after a crash in the
    middle of a send carries the same id and the receiving side can recognise it.
    A sender claims a row by moving it queued -> sending with its own `claim_token`; a claim
    older than the abandon time counts as a dead sender and the row is claimed again.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_company_time", "company_id", "created_at"),
        CheckConstraint("attempts >= 0", name="ck_outbox_message_attempts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    idempotency_key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=50)
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    text_body: str = Field(sa_type=Text)
    html_body: str | None = Field(default=None, sa_type=Text)
    # The record the message is about (an invoice, a contact...), for the staff list.
    entity_type: str = Field(default="", max_length=30)
    entity_id: int | None = None
    message_id: str = Field(max_length=300)
    # The List-Unsubscribe URL of an optional message (a reminder), sent as that header with
    # one-click unsubscribe (RFC 8058); empty for the others.
    list_unsubscribe: str = Field(default="", max_length=1000)
    status: OutboxStatus = enum_field(OutboxStatus, default=OutboxStatus.QUEUED, length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    last_error: str = Field(default="", max_length=500)
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class OutboxAttachment(SQLModel, table=True):
    """A file sent with an outbox message: its bytes stored here, or a reference to a stored
    Document whose bytes are read when the message is sent."""

    __tablename__ = "outbox_attachment"
    __table_args__ = (
        CheckConstraint(
            "(content IS NULL) <> (document_id IS NULL)", name="ck_outbox_attachment_one_source"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", index=True)
    filename: str = Field(max_length=255)
    media_type: str = Field(max_length=100)
    content: bytes | None = Field(default=None, sa_type=LargeBinary)
    document_id: int | None = Field(default=None, foreign_key="document.id")
