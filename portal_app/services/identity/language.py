"""A contact's choice of portal language and a staff user's choice of console language (the
switchers in the portal shell and the staff shell)."""

from __future__ import annotations

from sqlmodel import Session

from portal_app.core.errors import NotFoundError
from portal_app.core.i18n import SHIPPED_LANGUAGES, language_of_locale
from portal_app.models import Client, ClientContact, Company, StaffUser
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor, StaffActor


def set_contact_language(session: Session, *, actor: Actor, language: str | None) -> bool:
    """Remember `language` as the signed-in contact's portal language (None: none chosen, the
    browser's then); False (nothing saved) for a language that is not shipped or a staff
    preview, which changes no client record."""
    if (language is not None and language not in SHIPPED_LANGUAGES) or actor.is_preview:
        return False
    contact = session.get(ClientContact, actor.contact_id)
    if contact is None or contact.company_id != actor.company_id:
        raise NotFoundError("contact not found")
    if contact.language != language:
        contact.language = language
        session.add(contact)
        audit.record(
            session,
            company_id=actor.company_id,
            action="contact.language_changed",
            actor_type="contact",
            actor_id=actor.contact_id,
            client_id=actor.client_id,
            entity_type="client_contact",
            entity_id=contact.id,
            ip=actor.ip,
            details={"language": language or ""},
        )
    return True


def set_staff_language(session: Session, *, actor: StaffActor, language: str | None) -> bool:
    """Remember `language` as the signed-in staff user's console language (None: none chosen,
    the browser's then); False (nothing saved) for a language that is not shipped."""
    if language is not None and language not in SHIPPED_LANGUAGES:
        return False
    user = session.get(StaffUser, actor.staff_user_id)
    if user is None or user.company_id != actor.company_id:
        raise NotFoundError("staff user not found")
    if user.language != language:
        user.language = language
        session.add(user)
        audit.record(
            session,
            company_id=actor.company_id,
            action="staff.language_changed",
            actor_type="staff",
            actor_id=actor.staff_user_id,
            entity_type="staff_user",
            entity_id=user.id,
            ip=actor.ip,
            details={"language": language or ""},
        )
    return True


def email_language(contact: ClientContact, client: Client, company: Company) -> str:
    """The language e-mails to this contact are written in: their choice, else the client's
    formatting locale's, else the company's, else English."""
    return (
        contact.language
        or language_of_locale(client.locale)
        or language_of_locale(company.locale)
        or "en"
    )
