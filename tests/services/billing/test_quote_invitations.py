"""Emailed quote links: a limited session for the contact; only the quote link page opens them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError
from portal_app.models import AuditEvent, AuthSession
from portal_app.services.billing import quotes
from portal_app.services.identity import invitations
from tests.helpers.quotes import add_quote


def _quote(session, client, **kw):
    return add_quote(session, client, number=f"Q-{uuid.uuid4().hex[:8]}", **kw)


def test_open_quote_link_starts_a_link_session(make, session):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    quote = _quote(session, client)
    key = invitations.create_quote_invitation(session, contact=contact, quote=quote)
    opened = invitations.open_invitation(
        session, key=key, ip="203.0.113.5", user_agent="Mail", entity_type="quote"
    )
    assert (opened.entity_type, opened.entity_id) == ("quote", quote.id)
    row = session.get(AuthSession, opened.new_session.session_id)
    assert row.kind == "link" and row.contact_id == contact.id
    session.refresh(quote)
    assert quote.last_viewed_at is not None
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "link_opened", AuditEvent.entity_id == quote.id
        )
    ).one()
    assert event.entity_type == "quote"


def test_quote_key_does_not_open_on_the_invoice_page_and_back(make, session):
    client = make.client(make.company())
    contact = make.contact(client)
    quote = _quote(session, client)
    invoice = make.invoice(client)
    quote_key = invitations.create_quote_invitation(session, contact=contact, quote=quote)
    invoice_key = invitations.create_invoice_invitation(session, contact=contact, invoice=invoice)
    with pytest.raises(NotFoundError):
        invitations.open_invitation(session, key=quote_key)  # the invoice page's default
    with pytest.raises(NotFoundError):
        invitations.open_invitation(session, key=invoice_key, entity_type="quote")
    with pytest.raises(NotFoundError):
        invitations.open_invitation(session, key=quote_key, entity_type="payment")


def test_draft_expired_link_or_foreign_quote_is_refused(make, session):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    draft = _quote(session, client, status="draft")
    key = invitations.create_quote_invitation(session, contact=contact, quote=draft)
    with pytest.raises(NotFoundError):
        invitations.open_invitation(session, key=key, entity_type="quote")
    quote = _quote(session, client)
    old = invitations.create_quote_invitation(
        session, contact=contact, quote=quote, lifetime=timedelta(seconds=-1)
    )
    with pytest.raises(NotFoundError):
        invitations.open_invitation(session, key=old, entity_type="quote")
    foreign = _quote(session, make.client(company))
    with pytest.raises(NotFoundError):
        invitations.create_quote_invitation(session, contact=contact, quote=foreign)


def test_link_session_may_approve_the_quote(make, session):
    client = make.client(make.company())
    contact = make.contact(client)
    quote = _quote(session, client)
    key = invitations.create_quote_invitation(session, contact=contact, quote=quote)
    invitations.open_invitation(session, key=key, entity_type="quote")
    actor = make.actor(contact, kind="link", link_to=quote)
    result = quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id])
    assert len(result.invoice_ids) == 1
