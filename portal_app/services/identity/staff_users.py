"""The company's staff users as /staff/settings lists them, and the owner's changes to them
(role, active). Adding a staff user stays with the operator's CLI (`create-staff`), which sets
the first password; nothing here handles passwords.

Rules: only roles the staff_roles table allows ("manage_staff": owners) change anything; nobody
changes their own role or deactivates themselves, so a company always keeps the owner acting
here (and so at least one active owner).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.core.i18n import gettext
from portal_app.core.pickling import positional_pickle
from portal_app.models import AuthSession, StaffUser
from portal_app.models.statuses import StaffRole
from portal_app.services.identity.staff_roles import (
    ROLE_LABELS,
    ROLE_ORDER,
    StaffAction,
    require_role,
    require_staff,
)
from portal_app.services.identity.staff_scope import own_row, record


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffUserRow:
    """One staff user of the company for the settings page."""

    id: int
    name: str
    email: str
    role: str
    role_label: str
    active: bool
    is_you: bool


def list_staff(session: Session, *, actor) -> list[StaffUserRow]:
    """The company's staff users, owners first then by name (every role may read the list)."""
    require_staff(actor)
    users = session.exec(
        select(StaffUser)
        .where(StaffUser.company_id == actor.company_id)
        .order_by(col(StaffUser.name), col(StaffUser.email))
    ).all()
    rank = {role: index for index, role in enumerate(ROLE_ORDER)}
    users = sorted(users, key=lambda u: (not u.is_active, rank.get(StaffRole(u.role), 9)))
    return [
        StaffUserRow(
            id=user.id or 0,
            name=user.name or user.email,
            email=user.email,
            role=str(user.role),
            role_label=gettext(ROLE_LABELS.get(StaffRole(user.role), str(user.role))),
            active=user.is_active,
            is_you=user.id == actor.staff_user_id,
        )
        for user in users
    ]


def _other_user(session: Session, actor, staff_user_id: object, refusal: str) -> StaffUser:
    """The staff user `staff_user_id` of the actor's company, never the actor (`refusal`, a
    translated sentence, says why not)."""
    require_role(actor, StaffAction.MANAGE_STAFF)
    user = own_row(session, StaffUser, staff_user_id, actor, what="staff user", lock=True)
    if user.id == actor.staff_user_id:
        raise ValidationError("staff", refusal)
    return user


def set_staff_role(session: Session, *, actor, staff_user_id: object, role: object) -> StaffUser:
    """Give another staff user of the company a new role; audited (a no-op records nothing).

    The new role counts from that user's next action (roles are read on every event)."""
    try:
        new_role = StaffRole(str(role))
    except ValueError:
        raise ValidationError("role", gettext("Choose owner, admin or staff.")) from None
    user = _other_user(
        session,
        actor,
        staff_user_id,
        gettext("You cannot change the role of yourself; another owner can."),
    )
    before = str(user.role)
    if before != new_role:
        user.role = new_role
        session.add(user)
        session.flush()
        record(
            session,
            actor,
            action="staff_role_changed",
            entity_type="staff_user",
            entity_id=user.id,
            client_id=None,
            details={"email": user.email, "from": before, "to": str(new_role)},
        )
    return user


def set_staff_active(session: Session, *, actor, staff_user_id: object, active: bool) -> StaffUser:
    """Deactivate another staff user (their open sessions and previews end at once) or
    reactivate one; audited."""
    user = _other_user(
        session, actor, staff_user_id, gettext("You cannot deactivate yourself; another owner can.")
    )
    if user.is_active == bool(active):
        return user
    user.is_active = bool(active)
    session.add(user)
    ended = 0
    if not active:
        result = session.exec(
            update(AuthSession)
            .where(
                col(AuthSession.staff_user_id) == user.id,
                col(AuthSession.revoked_at).is_(None),
            )
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        ended = result.rowcount or 0
    session.flush()
    record(
        session,
        actor,
        action="staff_activated" if active else "staff_deactivated",
        entity_type="staff_user",
        entity_id=user.id,
        client_id=None,
        details={"email": user.email, "sessions_ended": ended},
    )
    return user
