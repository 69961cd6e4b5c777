"""A contact's chosen portal language and a staff user's console language: saved for that
person, refused when not shipped, never saved from a staff preview or for another company's
staff user; the shells' identities carry what decides the language."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError
from portal_app.models import AuditEvent, StaffUser
from portal_app.services.identity import auth, staff_auth
from portal_app.services.identity.language import set_contact_language, set_staff_language
from tests.helpers.staff_docs import staff_actor


def test_a_contact_saves_a_shipped_language(make, session):
    contact = make.contact(make.client(make.company(locale="fr_FR")))
    actor = make.actor(contact)
    assert auth.portal_identity(session, actor=actor).contact_language is None
    assert set_contact_language(session, actor=actor, language="de") is True
    session.flush()
    identity = auth.portal_identity(session, actor=actor)
    assert identity.contact_language == "de" and identity.company_locale == "fr_FR"
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "contact.language_changed")
    ).all()
    assert [e.entity_id for e in event if e.client_id == contact.client_id] == [contact.id]


def test_a_language_that_is_not_shipped_is_not_saved(make, session):
    contact = make.contact(make.client(make.company()), language="ja")
    assert set_contact_language(session, actor=make.actor(contact), language="xx") is False
    assert set_contact_language(session, actor=make.actor(contact), language="pt-BR") is False
    session.refresh(contact)
    assert contact.language == "ja"


def test_a_staff_preview_does_not_change_the_contacts_language(make, session):
    contact = make.contact(make.client(make.company()), language="es")
    preview = make.actor(contact, kind="staff_preview")
    assert set_contact_language(session, actor=preview, language="ar") is False
    session.refresh(contact)
    assert contact.language == "es"


def test_a_staff_user_saves_a_console_language_of_their_own(make, session):
    company = make.company(locale="fr_FR")
    actor = staff_actor(session, company)
    assert staff_auth.staff_identity(session, actor=actor).language is None
    assert set_staff_language(session, actor=actor, language="de") is True
    session.flush()
    identity = staff_auth.staff_identity(session, actor=actor)
    assert identity.language == "de" and identity.company_locale == "fr_FR"
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "staff.language_changed",
            AuditEvent.company_id == company.id,
        )
    ).all()
    assert [(e.actor_type, e.actor_id) for e in events] == [("staff", actor.staff_user_id)]


def test_a_staff_language_that_is_not_shipped_is_not_saved(make, session):
    actor = staff_actor(session, make.company())
    assert set_staff_language(session, actor=actor, language="ja") is True
    assert set_staff_language(session, actor=actor, language="xx") is False
    assert set_staff_language(session, actor=actor, language="pt-BR") is False
    assert session.get(StaffUser, actor.staff_user_id).language == "ja"


def test_a_staff_user_of_another_company_is_not_found(make, session):
    mine, theirs = make.company(), make.company()
    actor = staff_actor(session, mine)
    other = staff_actor(session, theirs)
    forged = replace(actor, staff_user_id=other.staff_user_id)
    with pytest.raises(NotFoundError):
        set_staff_language(session, actor=forged, language="de")
    assert session.get(StaffUser, other.staff_user_id).language is None
