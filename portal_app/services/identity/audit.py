"""The audit trail."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from portal_app.models import AuditEvent


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
