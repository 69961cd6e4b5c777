"""What every staff service checks first: the row is the staff user's company's, and the role
may do this.

A staff actor is anything with `company_id`, `staff_user_id` and `role` (services.actor's
StaffActor). Rows of another company are "not found", exactly like ids that do not exist.

Role rules are the one table in services/identity/staff_roles.py; `require_role` (re-exported
here) is its check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from portal_app.core.errors import NotFoundError
from portal_app.core.paging import parse_record_id
from portal_app.models import InvoiceLock
from portal_app.services.identity import audit
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_roles import StaffAction, require_role, require_staff

__all__ = [
    "MAX_ID",
    "StaffAction",
    "being_paid",
    "own_row",
    "record",
    "require_role",
    "require_staff",
]

MAX_ID = 2**31 - 1

_Row = TypeVar("_Row", bound=SQLModel)


def own_row(
    session: Session,
    model: type[_Row],
    raw_id: object,
    actor: StaffActor,
    *,
    what: str,
    lock: bool = False,
) -> _Row:
    """The row of `model` with this id in the actor's company, read fresh (and locked FOR
    UPDATE on PostgreSQL when `lock`); NotFoundError otherwise."""
    record_id = parse_record_id(raw_id, what)
    if record_id > MAX_ID:  # PostgreSQL would fail on an id beyond its integer column
        raise NotFoundError(what)
    # Any table with an id and a company_id: its columns are SQL expressions, untyped here.
    table: Any = model
    statement = select(model).where(table.id == record_id, table.company_id == actor.company_id)
    if lock:
        statement = statement.with_for_update()
    row = session.exec(statement.execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFoundError(what)
    return row


def being_paid(session: Session, invoice_id: int, now: datetime) -> bool:
    """True while a client's checkout holds this invoice (staff wait rather than race it)."""
    lock = session.get(InvoiceLock, invoice_id)
    if lock is None:
        return False
    expires = lock.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=now.tzinfo)
    return expires > now


def record(
    session: Session,
    actor: StaffActor,
    *,
    action: str,
    entity_type: str,
    entity_id: int | None,
    client_id: int | None,
    details: dict[str, Any] | None = None,
) -> None:
    """An audit event done by this staff user."""
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=client_id,
        action=action,
        actor_type="staff",
        actor_id=actor.staff_user_id,
        entity_type=entity_type,
        entity_id=entity_id,
        ip=getattr(actor, "ip", "") or "",
        details=details,
    )
