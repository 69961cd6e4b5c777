"""Staff users for tests (both the unit and the browser suites build them the same way)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from portal_app.models import Company, StaffUser


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
