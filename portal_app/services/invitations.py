"""Emailed links: one invitation per contact per document, opened without a password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from portal_app.db import utcnow
from portal_app.models import ClientContact, Company, Invitation, Invoice
from portal_app.models.invoice import VISIBLE_STATUSES
from portal_app.services import audit
from portal_app.services.auth import NewSession, open_session
from portal_app.services.errors import NotFoundError
from portal_app.services.tokens import looks_like_token, new_token, token_hash


@dataclass(frozen=True, slots=True)
class OpenedLink:
    """An emailed link that was opened: the session it started and the document it shows."""

    new_session: NewSession
    entity_type: str
    entity_id: int


def create_invoice_invitation(
    session: Session, *, contact: ClientContact, invoice: Invoice, lifetime: timedelta | None = None
) -> str:
    """Create an invitation for `contact` to `invoice` and return its key (stored only hashed)."""
    if invoice.client_id != contact.client_id or invoice.company_id != contact.company_id:
        raise NotFoundError("invoice")
    company = session.get(Company, contact.company_id)
    key = new_token()
    session.add(
        Invitation(
            company_id=contact.company_id,
            contact_id=contact.id,
            entity_type="invoice",
            entity_id=invoice.id,
            key_hash=token_hash(key),
            expires_at=utcnow() + (lifetime or timedelta(days=company.link_lifetime_days)),
        )
    )
    session.flush()
    return key


def open_invitation(
    session: Session, *, key: str, ip: str = "", user_agent: str = ""
) -> OpenedLink:
    """Open an emailed link: a limited "link" session for its contact, the view recorded.

    Malformed, unknown, expired and revoked keys, and links to documents that are no longer
    visible, all raise the same NotFoundError.
    """
    if not looks_like_token(key):
        raise NotFoundError("link")
    invitation = session.exec(
        select(Invitation).where(Invitation.key_hash == token_hash(key))
    ).first()
    now = utcnow()
    if invitation is None or invitation.revoked_at is not None or invitation.expires_at < now:
        raise NotFoundError("link")
    contact = session.get(ClientContact, invitation.contact_id)
    if contact is None or not contact.portal_enabled:
        raise NotFoundError("link")
    if invitation.entity_type != "invoice":
        raise NotFoundError("link")
    invoice = session.get(Invoice, invitation.entity_id)
    if (
        invoice is None
        or invoice.client_id != contact.client_id
        or invoice.company_id != contact.company_id
        or invoice.status not in VISIBLE_STATUSES
    ):
        raise NotFoundError("link")
    company = session.get(Company, contact.company_id)
    new_session = open_session(
        session,
        contact=contact,
        kind="link",
        lifetime=timedelta(minutes=company.link_session_minutes),
        ip=ip,
        user_agent=user_agent,
        invitation_id=invitation.id,
    )
    invitation.viewed_at = invitation.viewed_at or now
    invoice.last_viewed_at = now
    session.add(invitation)
    session.add(invoice)
    audit.record(
        session,
        company_id=contact.company_id,
        client_id=contact.client_id,
        action="link_opened",
        actor_type="contact",
        actor_id=contact.id,
        entity_type="invoice",
        entity_id=invoice.id,
        ip=ip,
        details={"invitation_id": invitation.id},
    )
    return OpenedLink(new_session=new_session, entity_type="invoice", entity_id=invoice.id)
