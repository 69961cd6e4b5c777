"""Staff preview: open the client portal exactly as one contact sees it, read-only.

A preview is an AuthSession of kind "staff_preview" for the contact, with the staff user's id
on it. It goes into the client cookie (the portal reads it like any client session); every
money- or record-changing client service refuses an actor whose `is_preview` is true, views
are not recorded as the client's, and each start is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.core.paging import parse_record_id
from portal_app.core.settings import get_settings
from portal_app.core.tokens import looks_like_token, token_hash
from portal_app.models import AuthSession, Client, ClientContact
from portal_app.services.identity import audit
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.auth import NewSession, open_session
from portal_app.services.identity.staff_roles import StaffAction, require_role

PREVIEW_KIND = "staff_preview"


@dataclass(frozen=True, slots=True)
class PreviewTarget:
    """Who a preview would show: named on the page that asks before starting it."""

    contact_id: int
    contact_name: str
    contact_email: str
    client_id: int
    client_name: str


def _previewable_contact(
    session: Session, *, actor: StaffActor, contact_id: object
) -> tuple[ClientContact, Client | None]:
    if not isinstance(actor, StaffActor):
        raise ReadOnlyError(gettext("Sign in as staff to do this."))
    require_role(actor, StaffAction.PREVIEW_PORTAL)
    contact = session.get(ClientContact, parse_record_id(contact_id, "contact"))
    if contact is None or contact.company_id != actor.company_id:
        raise NotFoundError("contact")
    if not contact.portal_enabled:
        raise ValidationError(
            "contact", gettext("Portal access is off for this contact; switch it on to preview.")
        )
    return contact, session.get(Client, contact.client_id)


def preview_target(session: Session, *, actor: StaffActor, contact_id: object) -> PreviewTarget:
    """The contact a preview would show, checked as start_preview checks it; changes nothing."""
    contact, client = _previewable_contact(session, actor=actor, contact_id=contact_id)
    return PreviewTarget(
        contact_id=contact.id,
        contact_name=contact.display_name,
        contact_email=contact.email,
        client_id=contact.client_id,
        client_name=client.name if client else "",
    )


def start_preview(
    session: Session,
    *,
    actor: StaffActor,
    contact_id: object,
    user_agent: str = "",
    binding: str | None = None,
) -> NewSession:
    """Open a preview session as this contact of the actor's company; audited. Its handoff
    code goes only to the staff browser holding the sign-in `binding`. Called from the
    "Start preview" button, never from opening a URL.

    NotFoundError for another company's (or an unknown) contact; ValidationError when the
    contact has no portal access (the portal would not open for them either).
    """
    contact, client = _previewable_contact(session, actor=actor, contact_id=contact_id)
    opened = open_session(
        session,
        contact=contact,
        kind=PREVIEW_KIND,
        lifetime=timedelta(minutes=get_settings().preview_session_minutes),
        ip=actor.ip,
        user_agent=user_agent,
        staff_user_id=actor.staff_user_id,
        binding=binding,
    )
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=contact.client_id,
        action="preview_started",
        actor_type="staff",
        actor_id=actor.staff_user_id,
        entity_type="contact",
        entity_id=contact.id,
        ip=actor.ip,
        details={
            "contact": contact.email,
            "client": client.name if client else "",
            "session_id": opened.session_id,
        },
    )
    return opened


def end_preview(session: Session, *, token: str | None) -> int | None:
    """End the preview behind a client cookie token; return its client id (None otherwise).

    Only a live "staff_preview" session is ended: a contact's own session is never touched
    here, so a stray link cannot sign a client out.
    """
    if not token or not looks_like_token(token):
        return None
    row = session.exec(
        select(AuthSession).where(AuthSession.token_hash == token_hash(token))
    ).first()
    if row is None or row.kind != PREVIEW_KIND or row.revoked_at is not None:
        return None
    row.revoked_at = utcnow()
    session.add(row)
    contact = session.get(ClientContact, row.contact_id) if row.contact_id else None
    client_id = contact.client_id if contact else None
    audit.record(
        session,
        company_id=row.company_id,
        client_id=client_id,
        action="preview_ended",
        actor_type="staff",
        actor_id=row.staff_user_id,
        entity_type="contact",
        entity_id=row.contact_id,
    )
    return client_id
