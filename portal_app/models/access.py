"""Emailed-link invitations, sign-in sessions and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import EnumString
from portal_app.models.statuses import SessionKind

SESSION_KINDS = tuple(SessionKind)


class Invitation(SQLModel, table=True):
    """One contact's emailed link to one document. Only the key's sha256 is stored."""

    __table_args__ = (Index("ix_invitation_entity", "entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    contact_id: int = Field(foreign_key="clientcontact.id", index=True)
    entity_type: str = Field(max_length=20)
    entity_id: int
    key_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime
    sent_at: datetime | None = None
    viewed_at: datetime | None = None
    revoked_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its sha256 is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    kind: SessionKind = Field(sa_type=EnumString(SessionKind, 20))
    contact_id: int | None = Field(default=None, foreign_key="clientcontact.id", index=True)
    staff_user_id: int | None = Field(default=None, foreign_key="staffuser.id")
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    # One-time code that moves a session created in a Reflex event into an HttpOnly cookie.
    handoff_hash: str | None = Field(default=None, max_length=64, unique=True)
    handoff_expires_at: datetime | None = None
    expires_at: datetime
    revoked_at: datetime | None = None
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, when and from where."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_company_client_time", "company_id", "client_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    client_id: int | None = Field(default=None, foreign_key="client.id")
    actor_type: str = Field(max_length=20)
    actor_id: int | None = None
    action: str = Field(max_length=50)
    entity_type: str = Field(default="", max_length=30)
    entity_id: int | None = None
    ip: str = Field(default="", max_length=64)
    details: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class SignInCode(SQLModel, table=True):
    """A six-digit code e-mailed to a contact to sign in with (services/identity/signin_codes.py).

    Only a keyed hash of the code is stored: six digits are a million tries away from any plain
    digest, so the key (the app's secret) is what keeps a copied table from giving codes away.
    """

    __tablename__ = "signin_code"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    contact_id: int = Field(foreign_key="clientcontact.id", index=True)
    email: str = Field(max_length=254, index=True)
    code_hash: str = Field(max_length=64)
    expires_at: datetime
    # Set when the code signed in, was burnt by wrong guesses, or a newer code replaced it.
    used_at: datetime | None = None
    failed_attempts: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
