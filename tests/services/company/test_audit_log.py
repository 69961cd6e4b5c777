"""The audit log as staff read it: company-wide and per client, named, paged, scoped."""

from __future__ import annotations

import pytest

from portal_app.core.errors import NotFoundError, ReadOnlyError
from portal_app.services.company import audit_log
from portal_app.services.identity import audit
from tests.helpers.staff import add_staff, staff_actor


def test_events_are_named_paged_and_scoped(make, session):
    company = make.company()
    user = add_staff(session, company, password_hash="x", name="Olive Owner")
    actor = staff_actor(user)
    client = make.client(company, name="Client One")
    contact = make.contact(client, email="one@example.test")
    invoice = make.invoice(client, number="INV-AUDIT-1")
    audit.record(
        session,
        company_id=company.id,
        client_id=client.id,
        action="invoice_viewed",
        actor_type="contact",
        actor_id=contact.id,
        entity_type="invoice",
        entity_id=invoice.id,
        ip="192.0.2.1",
        details={"via": "link"},
    )
    for i in range(30):
        audit.record(
            session,
            company_id=company.id,
            action="settings_changed",
            actor_type="staff",
            actor_id=user.id,
            details={"n": i},
        )
    audit.record(
        session,
        company_id=company.id,
        client_id=client.id,
        action="payment_method_added",
        actor_type="staff_preview",
        actor_id=contact.id,
    )
    other = make.company()
    audit.record(session, company_id=other.id, action="secret", actor_type="staff", actor_id=1)
    session.flush()

    first = audit_log.list_events(session, actor=actor, page=1, page_size=25)
    assert first.total == 32 and first.has_next and len(first.rows) == 25
    assert all(r.action != "secret" for r in first.rows)
    assert first.rows[1].who == "Staff: Olive Owner"
    last = audit_log.list_events(session, actor=actor, page=2, page_size=25)
    assert len(last.rows) == 7 and not last.has_next

    mine = audit_log.client_events(session, actor=actor, client_id=str(client.id))
    preview_row, row = mine.rows
    assert preview_row.who == "Staff preview as one@example.test"
    assert row.who == "one@example.test" and row.action == "invoice viewed"
    assert row.record == "Invoice INV-AUDIT-1" and row.client == "Client One"
    assert row.details == "via: link" and row.ip == "192.0.2.1"


def test_another_companys_client_and_client_actors_are_refused(make, session):
    company = make.company()
    actor = staff_actor(add_staff(session, company, password_hash="x"))
    foreign = make.client(make.company())
    for bad in (foreign.id, "x", -1):
        with pytest.raises(NotFoundError):
            audit_log.client_events(session, actor=actor, client_id=bad)
    contact = make.contact(make.client(company))
    with pytest.raises(ReadOnlyError):
        audit_log.list_events(session, actor=make.actor(contact))
