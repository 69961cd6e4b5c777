"""Questions and disputes on an invoice or quote: one conversation per document between the
client's contacts and the company's staff (services/billing/disputes.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Text
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import enum_field
from portal_app.models.statuses import ThreadKind, ThreadStatus


class DocumentThread(SQLModel, table=True):
    """The conversation about one invoice or one quote (exactly one of the two ids is set).

    One row per document, kept for its whole life: a resolved thread that the client writes in
    again opens again. `kind` is what the client last said it is; an open dispute on an invoice
    pauses its reminders and auto-bill until staff resolve it. The unique document ids make two
    tabs that ask at once share one thread instead of making two.
    """

    __tablename__ = "document_thread"
    __table_args__ = (
        CheckConstraint(
            "(invoice_id IS NULL) <> (quote_id IS NULL)", name="ck_document_thread_one_document"
        ),
        Index("ix_document_thread_company_status", "company_id", "status", "last_message_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    client_id: int = Field(foreign_key="client.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", unique=True)
    quote_id: int | None = Field(default=None, foreign_key="quote.id", unique=True)
    kind: ThreadKind = enum_field(ThreadKind, default=ThreadKind.QUESTION, length=10)
    status: ThreadStatus = enum_field(ThreadStatus, default=ThreadStatus.OPEN, length=10)
    # Who is to answer next: True after a client message, False after a staff answer.
    awaiting_staff: bool = True
    last_message_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    resolved_by_staff_id: int | None = Field(default=None, foreign_key="staffuser.id")
    created_at: datetime = Field(default_factory=utcnow)


class ThreadMessage(SQLModel, table=True):
    """One message in a document thread, written by a contact or by a staff user, with an
    optional file kept as a Document of the client (never in Reflex's upload folder)."""

    __tablename__ = "document_thread_message"
    __table_args__ = (
        CheckConstraint(
            "(contact_id IS NULL) <> (staff_user_id IS NULL)",
            name="ck_document_thread_message_one_author",
        ),
        Index("ix_document_thread_message_thread_time", "thread_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="document_thread.id")
    company_id: int = Field(foreign_key="company.id")
    contact_id: int | None = Field(default=None, foreign_key="clientcontact.id")
    staff_user_id: int | None = Field(default=None, foreign_key="staffuser.id")
    body: str = Field(sa_type=Text)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    created_at: datetime = Field(default_factory=utcnow)
