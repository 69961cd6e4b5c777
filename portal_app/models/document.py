"""Documents: files kept under the documents root (content-addressed), attached to a client."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import enum_field
from portal_app.models.statuses import UploadedBy

UPLOADED_BY = tuple(UploadedBy)


class Document(SQLModel, table=True):
    """A file belonging to a client, optionally attached to one of its invoices, quotes,
    credits or payments. The bytes live at documents_root/<sha256[:2]>/<sha256>,
    so the same content is stored once however many rows point at it."""

    __table_args__ = (
        Index("ix_document_company_client_date", "company_id", "client_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    client_id: int = Field(foreign_key="client.id")
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    credit_id: int | None = Field(default=None, foreign_key="credit.id", index=True)
    quote_id: int | None = Field(default=None, foreign_key="quote.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    name: str = Field(max_length=255)  # sanitised original name, never a path
    sha256: str = Field(max_length=64, index=True)
    size_bytes: int = Field(default=0, sa_type=BigInteger)
    media_type: str = Field(max_length=100)  # detected from the bytes, not the name
    visible_to_client: bool = True
    uploaded_by: UploadedBy = enum_field(UploadedBy, default=UploadedBy.STAFF, length=10)
    created_at: datetime = Field(default_factory=utcnow)
