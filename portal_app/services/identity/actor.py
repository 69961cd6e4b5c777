"""Who is acting: resolved from the session cookie on every handler that touches data."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.services.identity import staff_roles


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in client contact (or staff previewing as one)."""

    company_id: int
    client_id: int
    contact_id: int
    session_id: int
    kind: str  # password | link | code | staff_preview
    ip: str = ""
    # An e-mailed-link session sees only the document its link named ("invoice" or "quote"
    # and its id) and what hangs off it (services/link_scope.py).
    link_type: str = ""
    link_id: int = 0

    @property
    def is_preview(self) -> bool:
        return self.kind == "staff_preview"

    @property
    def is_link_session(self) -> bool:
        return self.kind == "link"

    @property
    def may_move_money(self) -> bool:
        return not self.is_preview


@dataclass(frozen=True, slots=True)
class StaffActor:
    """A signed-in staff user of one company (owner, admin or staff)."""

    company_id: int
    staff_user_id: int
    role: str  # owner | admin | staff
    session_id: int
    ip: str = ""

    def may(self, action: str) -> bool:
        """True when this staff user's role may do `action` (services.identity.staff_roles)."""
        return staff_roles.may(self.role, action)
