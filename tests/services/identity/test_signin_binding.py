"""The sign-in binding's rules, and the read-only look-ups the pages make before a click:
who a preview would show, whose document an e-mailed link opens, and what opening it does."""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.tokens import new_token
from portal_app.models import AuditEvent, AuthSession, Invitation
from portal_app.services.identity import invitations, preview, signin_binding
from portal_app.services.identity.actor import Actor
from portal_app.state.emailed_link import ASK, GO, OPEN, link_decision
from tests.helpers.signin import BINDING
from tests.helpers.staff import add_staff, staff_actor

NOW = 1_800_000_000.0


def test_a_binding_is_live_for_its_lifetime_and_fresh_until_near_its_end():
    value = signin_binding.new_binding(now=NOW)
    issued, _, token = value.partition(".")
    assert int(issued) == int(NOW) and len(token) >= 43
    assert signin_binding.is_fresh(value, now=NOW)
    late = NOW + signin_binding.BINDING_SECONDS - signin_binding.MIN_LEFT_SECONDS + 1
    assert signin_binding.is_live(value, now=late) and not signin_binding.is_fresh(value, now=late)
    gone = NOW + signin_binding.BINDING_SECONDS + 1
    assert not signin_binding.is_live(value, now=gone)
    # Issued in the future (beyond clock skew): refused.
    assert not signin_binding.is_live(value, now=NOW - 3600)


@pytest.mark.parametrize(
    "value",
    [None, "", "abc", f"{int(NOW)}", f"{int(NOW)}.", f"x{int(NOW)}.{new_token()}",
     f"{int(NOW)}.short", f"{int(NOW)}.{new_token()}!", f"{'9' * 13}.{new_token()}",
     f"{int(NOW)}.{'a' * 200}", "１２３.abcdefghijklmnopqrstuvwxyz"],
)  # fmt: skip
def test_malformed_bindings_are_never_live(value):
    assert not signin_binding.is_live(value, now=NOW)


def test_the_stored_handoff_hash_needs_code_and_binding():
    code = new_token()
    a, b = signin_binding.new_binding(), signin_binding.new_binding()
    assert signin_binding.bound_handoff_hash(code, a) != signin_binding.bound_handoff_hash(code, b)
    assert signin_binding.bound_handoff_hash(code, a) == signin_binding.bound_handoff_hash(code, a)


def test_preview_target_names_the_contact_and_changes_nothing(make, session):
    company = make.company()
    contact = make.contact(make.client(company))
    user = add_staff(session, company, password_hash="x")
    target = preview.preview_target(session, actor=staff_actor(user), contact_id=contact.id)
    assert (target.contact_id, target.contact_email) == (contact.id, contact.email)
    assert target.client_id == contact.client_id
    assert session.exec(select(AuthSession).where(AuthSession.contact_id == contact.id)).all() == []
    assert (
        session.exec(select(AuditEvent).where(AuditEvent.action == "preview_started")).all() == []
    )


def test_preview_target_refuses_as_start_preview_does(make, session):
    company = make.company()
    user = add_staff(session, company, password_hash="x")
    stranger = make.contact(make.client(make.company()))
    off = make.contact(make.client(company), portal_enabled=False)
    with pytest.raises(NotFoundError):
        preview.preview_target(session, actor=staff_actor(user), contact_id=stranger.id)
    with pytest.raises(NotFoundError):
        preview.preview_target(session, actor=staff_actor(user), contact_id="nope")
    with pytest.raises(ValidationError):
        preview.preview_target(session, actor=staff_actor(user), contact_id=off.id)


def test_start_preview_binds_its_handoff_to_the_staff_browser(make, session):
    company = make.company()
    contact = make.contact(make.client(company))
    user = add_staff(session, company, password_hash="x")
    opened = preview.start_preview(
        session, actor=staff_actor(user), contact_id=contact.id, binding=BINDING
    )
    row = session.get(AuthSession, opened.session_id)
    assert row.handoff_hash == signin_binding.bound_handoff_hash(opened.handoff_code, BINDING)


def test_link_target_reads_whose_document_a_link_opens_and_opens_nothing(make, session):
    client = make.client(make.company())
    contact = make.contact(client)
    own_invoice = make.invoice(client)
    key = invitations.create_invoice_invitation(session, contact=contact, invoice=own_invoice)
    target = invitations.link_target(session, key=key, entity_type="invoice")
    assert (target.company_id, target.client_id, target.contact_id) == (
        contact.company_id,
        contact.client_id,
        contact.id,
    )
    assert (target.entity_type, target.entity_id) == ("invoice", own_invoice.id)
    invitation = session.exec(select(Invitation).where(Invitation.entity_id == own_invoice.id))
    assert invitation.one().viewed_at is None
    assert session.exec(select(AuthSession).where(AuthSession.contact_id == contact.id)).all() == []
    for bad_key, kind in ((key, "quote"), (new_token(), "invoice"), ("junk", "invoice")):
        with pytest.raises(NotFoundError):
            invitations.link_target(session, key=bad_key, entity_type=kind)


def _actor(company_id=1, client_id=10, kind="password") -> Actor:
    return Actor(company_id, client_id, 100, 1000, kind)


def _target(company_id=1, client_id=10) -> invitations.LinkTarget:
    return invitations.LinkTarget(company_id, client_id, 101, "invoice", 5)


def test_opening_a_link_never_silently_replaces_another_accounts_session():
    assert link_decision(None, _target()) == OPEN
    # The link's own client: a full session stays (and sees the document), a link session is
    # replaced by this link's.
    assert link_decision(_actor(kind="password"), _target()) == GO
    assert link_decision(_actor(kind="code"), _target()) == GO
    assert link_decision(_actor(kind="link"), _target()) == OPEN
    # Anyone else, or a staff preview (even of that client): ask first.
    assert link_decision(_actor(client_id=11), _target()) == ASK
    assert link_decision(_actor(client_id=11, kind="link"), _target()) == ASK
    assert link_decision(_actor(company_id=2), _target()) == ASK
    assert link_decision(_actor(kind="staff_preview"), _target()) == ASK
