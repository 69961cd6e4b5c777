"""The client's answer to a quote as staff read it, and the signature it was approved with."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError
from portal_app.models import AuditEvent, Invoice
from portal_app.services.billing import quotes, staff_quotes
from tests.helpers.quotes import add_quote, signature_png
from tests.helpers.staff_docs import staff_actor


def _setup(make, session, **company_kw):
    company = make.company(**company_kw)
    client = make.client(company)
    contact = make.contact(client)
    actor = dataclasses.replace(make.actor(contact), ip="203.0.113.7")
    quote = add_quote(session, client, number=f"Q-{uuid.uuid4().hex[:8]}")
    return company, contact, actor, quote


def test_an_approval_in_full(make, session):
    company, contact, actor, quote = _setup(
        make,
        session,
        require_quote_terms=True,
        quote_terms_version=3,
        require_quote_signature=True,
    )
    png = signature_png()
    quotes.approve_quotes(
        session,
        actor=actor,
        quote_ids=[quote.id],
        terms_accepted=True,
        terms_version=3,
        signature_png=png,
        po_number="PO-77",
        user_agent="Firefox/140",
    )
    staff = staff_actor(session, company)
    answer = staff_quotes.quote_answer(session, actor=staff, quote_id=quote.id)
    invoice = session.get(Invoice, quote.invoice_id)
    assert answer.answer == "approved" and answer.recorded
    assert answer.contact == f"{contact.display_name} <{contact.email}>"
    assert answer.address == "203.0.113.7" and answer.browser == "Firefox/140"
    assert answer.via == "signed in"
    assert answer.terms == "Accepted (version 3)" and answer.po_number == "PO-77"
    assert answer.has_signature and answer.answered_at.endswith("UTC")
    assert (answer.invoice_id, answer.invoice_number) == (invoice.id, invoice.number)
    assert staff_quotes.approval_signature(session, actor=staff, quote_id=quote.id) == png


def test_an_approval_through_the_link_without_terms_or_signature(make, session):
    company, _, actor, quote = _setup(make, session, convert_approved_quotes=False)
    link_actor = dataclasses.replace(actor, kind="link", link_type="quote", link_id=quote.id)
    quotes.approve_quotes(session, actor=link_actor, quote_ids=[quote.id])
    staff = staff_actor(session, company)
    answer = staff_quotes.quote_answer(session, actor=staff, quote_id=quote.id)
    assert answer.via == "the e-mailed link" and answer.terms == "Not asked"
    assert not answer.has_signature and answer.invoice_id == 0
    with pytest.raises(NotFoundError):
        staff_quotes.approval_signature(session, actor=staff, quote_id=quote.id)


def test_the_answer_time_is_in_the_companys_time_zone(make, session):
    company, _, actor, quote = _setup(make, session, time_zone="America/New_York")
    quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id])
    answer = staff_quotes.quote_answer(
        session, actor=staff_actor(session, company), quote_id=quote.id
    )
    assert answer.answered_at.endswith((" EST", " EDT"))


def test_a_decline_names_the_contact_and_address_from_its_audit_event(make, session):
    company, contact, actor, quote = _setup(make, session)
    quotes.decline_quote(session, actor=actor, quote_id=quote.id, reason="Too dear")
    answer = staff_quotes.quote_answer(
        session, actor=staff_actor(session, company), quote_id=quote.id
    )
    assert answer.answer == "declined" and answer.recorded
    assert answer.decline_reason == "Too dear" and answer.address == "203.0.113.7"
    assert answer.contact.endswith(f"<{contact.email}>")
    assert not answer.has_signature and answer.invoice_id == 0


def test_what_was_not_recorded_stays_empty(make, session):
    company = make.company()
    client = make.client(company)
    # Marked approved or declined with no approval row and no audit event (seeded data).
    approved = add_quote(session, client, number=f"Q-{uuid.uuid4().hex[:8]}", status="approved")
    declined = add_quote(session, client, number=f"Q-{uuid.uuid4().hex[:8]}", status="declined")
    pending = add_quote(session, client, number=f"Q-{uuid.uuid4().hex[:8]}")
    staff = staff_actor(session, company)
    answer = staff_quotes.quote_answer(session, actor=staff, quote_id=approved.id)
    assert answer.answer == "approved" and not answer.recorded
    assert (answer.contact, answer.address, answer.terms) == ("", "", "")
    answer = staff_quotes.quote_answer(session, actor=staff, quote_id=declined.id)
    assert answer.answer == "declined" and not answer.recorded and answer.contact == ""
    assert staff_quotes.quote_answer(session, actor=staff, quote_id=pending.id).answer == ""


def test_another_companys_quote_is_not_found(make, session):
    _, _, actor, quote = _setup(make, session, require_quote_signature=True)
    quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id], signature_png=signature_png())
    stranger = staff_actor(session, make.company(), role="owner")
    for call in (staff_quotes.quote_answer, staff_quotes.approval_signature):
        with pytest.raises(NotFoundError):
            call(session, actor=stranger, quote_id=quote.id)
        with pytest.raises(NotFoundError):
            call(session, actor=stranger, quote_id="1 OR 1=1")


def test_a_contact_of_another_client_is_never_named(make, session):
    company, _, actor, quote = _setup(make, session)
    quotes.decline_quote(session, actor=actor, quote_id=quote.id)
    stranger = make.contact(make.client(company))
    row = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == quote.id, AuditEvent.action == "quote_declined"
        )
    ).one()
    row.actor_id = stranger.id
    session.add(row)
    session.flush()
    answer = staff_quotes.quote_answer(
        session, actor=staff_actor(session, company), quote_id=quote.id
    )
    assert answer.contact == ""
