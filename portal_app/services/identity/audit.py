"""The audit trail."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, insert
from sqlmodel import Session

from portal_app.core.db import utcnow
from portal_app.models import AuditEvent
from portal_app.services.identity.actor import Actor


def record(
    session: Session,
    *,
    company_id: int,
    action: str,
    actor_type: str,
    actor_id: int | None,
    client_id: int | None = None,
    entity_type: str = "",
    entity_id: int | None = None,
    ip: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the caller's transaction."""
    event = AuditEvent(
        company_id=company_id,
        client_id=client_id,
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        ip=ip[:64],
        details=json.dumps(details or {}, default=str)[:2000],
    )
    session.add(event)
    return event


# The table, not the class: an ORM-enabled INSERT costs as much again in SQLAlchemy. Built
# once with bound parameters, like the invoice page's reads: `insert().values(...)` built per
# call paid for coercing each value and for the statement's cache key on every page view.
_AUDIT_TABLE = AuditEvent.__table__  # type: ignore[attr-defined]
_CONTACT_ACTION_COLUMNS = (
    "actor_type",
    "details",
    "company_id",
    "client_id",
    "actor_id",
    "action",
    "entity_type",
    "entity_id",
    "ip",
    "created_at",
)
# Every value a named parameter (none given in the statement), named apart from any column:
# it also runs as the INSERT of a statement whose CTE updates another table
# (services/billing/invoices.py), and SQLAlchemy adds an execution parameter named like a
# column of the updated table to that UPDATE's SET clause.
_PARAM_PREFIX = "audit_"
INSERT_CONTACT_ACTION = insert(_AUDIT_TABLE).values(
    **{
        name: bindparam(_PARAM_PREFIX + name, type_=_AUDIT_TABLE.c[name].type)
        for name in _CONTACT_ACTION_COLUMNS
    },
)


def insert_contact_action(
    session: Session, actor: Actor, entity_type: str, entity_id: int | None, action: str, /
) -> None:
    """`record_contact_action` without details, written at once by one INSERT in the caller's
    transaction instead of an object for the ORM's flush: a page view notes one on every
    load, and the unit of work cost more than the statement (issue 25)."""
    session.execute(
        INSERT_CONTACT_ACTION, contact_action_params(actor, entity_type, entity_id, action)
    )


def contact_action_params(
    actor: Actor, entity_type: str, entity_id: int | None, action: str, /
) -> dict[str, object]:
    """The bound parameters of INSERT_CONTACT_ACTION (a statement may carry it with more: the
    invoice page's view record, services/billing/invoices.py)."""
    values = {
        "actor_type": "contact",
        "details": "{}",
        "company_id": actor.company_id,
        "client_id": actor.client_id,
        "actor_id": actor.contact_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "ip": actor.ip[:64],
        "created_at": utcnow(),
    }
    return {_PARAM_PREFIX + name: value for name, value in values.items()}


def record_contact_action(
    session: Session,
    actor: Actor,
    entity_type: str,
    entity_id: int | None,
    action: str,
    /,
    **details: Any,
) -> AuditEvent:
    """Add one audit event for what the signed-in contact `actor` did to a record of theirs
    (their company, client, contact id and address), to the caller's transaction."""
    return record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action=action,
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type=entity_type,
        entity_id=entity_id,
        ip=actor.ip,
        details=details,
    )
