"""People who run the business side."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import enum_field
from portal_app.models.statuses import StaffRole

STAFF_ROLES = tuple(StaffRole)


class StaffUser(SQLModel, table=True):
    """A member of the company's staff (owner, admin or staff)."""

    __table_args__ = (UniqueConstraint("company_id", "email", name="uq_staff_company_email"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)
    role: StaffRole = enum_field(StaffRole, default=StaffRole.STAFF, length=10)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    # The console language the staff user chose (a code of core.i18n.SHIPPED_LANGUAGES); None
    # means their browser's language, else the company's (core.i18n.choose_language).
    language: str | None = Field(default=None, max_length=10)
