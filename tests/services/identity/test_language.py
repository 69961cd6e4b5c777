"""A contact's chosen portal language: saved for the contact, refused when not shipped,
never saved from a staff preview; the shell's identity carries what decides the language."""

from __future__ import annotations

from sqlmodel import select

from portal_app.models import AuditEvent
from portal_app.services.identity import auth
from portal_app.services.identity.language import set_contact_language


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
