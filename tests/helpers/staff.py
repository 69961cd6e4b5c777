"""Staff users for tests (both the unit and the browser suites build them the same way)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from portal_app.models import Company, StaffUser
from portal_app.services.identity.actor import StaffActor


def add_staff(
    session: Session, company: Company, *, password_hash: str, role: str = "owner", **kw
) -> StaffUser:
    """A staff user of `company` with a unique e-mail; flushed, not committed."""
    user = StaffUser(
        company_id=company.id,
        email=kw.pop("email", f"staff-{uuid.uuid4().hex[:10]}@example.test"),
        name=kw.pop("name", "Sam Staff"),
        role=role,
        password_hash=password_hash,
        **kw,
    )
    session.add(user)
    session.flush()
    return user


def staff_actor(user: StaffUser, *, session_id: int = 0, ip: str = "") -> StaffActor:
    """The actor a signed-in `user` acts as (no session row needed for service tests)."""
    return StaffActor(
        company_id=user.company_id,
        staff_user_id=user.id,
        role=user.role,
        session_id=session_id,
        ip=ip,
    )
