"""Emailed invoice links: creating and opening invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError
from portal_app.core.tokens import new_token, token_hash
from portal_app.models import AuditEvent, AuthSession, Invitation
from portal_app.services.identity import auth, invitations


def _invitation(session, key: str) -> Invitation:
    return session.exec(select(Invitation).where(Invitation.key_hash == token_hash(key))).one()


def _refused(session, key: str) -> NotFoundError:
    with pytest.raises(NotFoundError) as caught:
        invitations.open_invitation(session, key=key, ip="203.0.113.9")
    return caught.value


def _assert_all_the_same(errors: list[NotFoundError]) -> None:
    # Nothing in the error tells an expired link from a forged one.
    assert {(type(e), str(e), e.args) for e in errors} == {(NotFoundError, "link", ("link",))}


def test_create_and_open_invoice_link(make, session):
    company = make.company(link_session_minutes=45)
    client = make.client(company)
    contact = make.contact(client)
    invoice = make.invoice(client, status="sent")

    key = invitations.create_invoice_invitation(session, contact=contact, invoice=invoice)

    invitation = _invitation(session, key)
    assert invitation.key_hash != key and key not in invitation.key_hash
    assert len(key) >= 22  # at least 128 random bits
    assert (invitation.contact_id, invitation.entity_type, invitation.entity_id) == (
        contact.id,
        "invoice",
        invoice.id,
    )
    expected_expiry = utcnow() + timedelta(days=company.link_lifetime_days)
    assert abs(invitation.expires_at - expected_expiry) < timedelta(minutes=1)
    assert invitation.viewed_at is None

    opened = invitations.open_invitation(session, key=key, ip="203.0.113.7", user_agent="Mail")

    assert (opened.entity_type, opened.entity_id) == ("invoice", invoice.id)
    row = session.get(AuthSession, opened.new_session.session_id)
    assert row.kind == "link"
    assert row.invitation_id == invitation.id and row.contact_id == contact.id
    assert row.ip == "203.0.113.7" and row.user_agent == "Mail"
    assert abs(row.expires_at - (utcnow() + timedelta(minutes=45))) < timedelta(minutes=1)
    actor = auth.resolve_actor(session, token=opened.new_session.token)
    assert actor is not None and actor.is_link_session and actor.contact_id == contact.id
    assert invitation.viewed_at is not None
    assert invoice.last_viewed_at is not None
    # An emailed link never counts as a password sign-in.
    assert contact.last_login_at is None
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.company_id == company.id, AuditEvent.action == "link_opened"
        )
    ).all()
    assert len(events) == 1
    event = events[0]
    assert (event.actor_type, event.actor_id, event.client_id) == ("contact", contact.id, client.id)
    assert (event.entity_type, event.entity_id) == ("invoice", invoice.id)
    assert event.ip == "203.0.113.7"
    assert f'"invitation_id": {invitation.id}' in event.details


def test_opening_twice_keeps_the_first_view_time(make, session):
    client = make.client(make.company())
    contact = make.contact(client)
    key = invitations.create_invoice_invitation(
        session, contact=contact, invoice=make.invoice(client)
    )
    first = invitations.open_invitation(session, key=key)
    viewed = _invitation(session, key).viewed_at
    second = invitations.open_invitation(session, key=key)
    assert first.new_session.token != second.new_session.token
    assert _invitation(session, key).viewed_at == viewed


def test_expired_revoked_malformed_and_unknown_keys_look_the_same(make, session):
    client = make.client(make.company())
    contact = make.contact(client)
    invoice = make.invoice(client)
    expired = invitations.create_invoice_invitation(
        session, contact=contact, invoice=invoice, lifetime=timedelta(seconds=-1)
    )
    revoked = invitations.create_invoice_invitation(session, contact=contact, invoice=invoice)
    row = _invitation(session, revoked)
    row.revoked_at = utcnow()
    session.add(row)
    session.flush()
    valid = invitations.create_invoice_invitation(session, contact=contact, invoice=invoice)

    errors = [
        _refused(session, key)
        for key in (
            expired,
            revoked,
            new_token(),
            "",
            "short",
            "not a key!!",
            "x" * 5000,
            "../../etc/passwd",
            token_hash(valid),  # the stored hash is not a key
            valid[:-1],
        )
    ]
    _assert_all_the_same(errors)
    assert _invitation(session, expired).viewed_at is None
    assert not session.exec(select(AuthSession).where(AuthSession.contact_id == contact.id)).all()
    assert invitations.open_invitation(session, key=valid).entity_id == invoice.id


def test_link_to_an_invoice_no_longer_visible_is_not_found(make, session):
    company = make.company()
    client, other_client = make.client(company), make.client(company)
    contact = make.contact(client)
    became_draft = make.invoice(client)
    moved = make.invoice(client)
    draft_key = invitations.create_invoice_invitation(
        session, contact=contact, invoice=became_draft
    )
    moved_key = invitations.create_invoice_invitation(session, contact=contact, invoice=moved)
    became_draft.status = "draft"
    moved.client_id = other_client.id
    session.add_all([became_draft, moved])
    session.flush()

    _assert_all_the_same([_refused(session, draft_key), _refused(session, moved_key)])
    assert became_draft.last_viewed_at is None and moved.last_viewed_at is None


def test_link_whose_contact_was_disabled_is_not_found(make, session):
    client = make.client(make.company())
    contact = make.contact(client)
    key = invitations.create_invoice_invitation(
        session, contact=contact, invoice=make.invoice(client)
    )
    contact.portal_enabled = False
    session.add(contact)
    session.flush()
    _assert_all_the_same([_refused(session, key)])


def test_forged_invitation_to_another_clients_invoice_is_not_found(make, session):
    company = make.company()
    client, other_client = make.client(company), make.client(company)
    contact = make.contact(client)
    foreign_invoice = make.invoice(other_client)
    other_company_invoice = make.invoice(make.client(make.company()))
    keys = []
    for invoice in (foreign_invoice, other_company_invoice):
        key = new_token()
        session.add(
            Invitation(
                company_id=contact.company_id,
                contact_id=contact.id,
                entity_type="invoice",
                entity_id=invoice.id,
                key_hash=token_hash(key),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        keys.append(key)
    session.flush()

    _assert_all_the_same([_refused(session, key) for key in keys])


def test_cannot_invite_a_contact_to_someone_elses_invoice(make, session):
    company = make.company()
    client, other_client = make.client(company), make.client(company)
    contact = make.contact(client)
    for invoice in (make.invoice(other_client), make.invoice(make.client(make.company()))):
        with pytest.raises(NotFoundError):
            invitations.create_invoice_invitation(session, contact=contact, invoice=invoice)
    assert not session.exec(select(Invitation).where(Invitation.contact_id == contact.id)).all()
