"""A page view's audit row written by one prebuilt INSERT is the row the ORM path writes."""

from __future__ import annotations

import dataclasses

from sqlmodel import select

from portal_app.models import AuditEvent
from portal_app.services.identity import audit

_COLUMNS = [
    "company_id",
    "client_id",
    "actor_type",
    "actor_id",
    "action",
    "entity_type",
    "entity_id",
    "ip",
    "details",
]


def _row(session, action):
    event = session.exec(select(AuditEvent).where(AuditEvent.action == action)).one()
    return {name: getattr(event, name) for name in _COLUMNS}, event


def test_the_prebuilt_insert_writes_what_record_contact_action_writes(make, session):
    client = make.client(make.company())
    actor = dataclasses.replace(make.actor(make.contact(client)), ip="203.0.113.9" + "0" * 80)
    invoice = make.invoice(client)

    audit.insert_contact_action(session, actor, "invoice", invoice.id, "invoice_viewed")
    audit.record_contact_action(session, actor, "invoice", invoice.id, "invoice_viewed_orm")
    session.flush()

    inserted, inserted_event = _row(session, "invoice_viewed")
    recorded, _ = _row(session, "invoice_viewed_orm")
    recorded["action"] = "invoice_viewed"
    assert inserted == recorded
    assert inserted["actor_type"] == "contact"
    assert inserted["ip"] == actor.ip[:64]
    assert inserted_event.created_at is not None


def test_every_view_is_its_own_row(make, session):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)

    for _ in range(3):
        audit.insert_contact_action(session, actor, "invoice", invoice.id, "invoice_viewed")

    rows = session.exec(select(AuditEvent).where(AuditEvent.action == "invoice_viewed")).all()
    assert len(rows) == 3
    assert len({row.id for row in rows}) == 3
