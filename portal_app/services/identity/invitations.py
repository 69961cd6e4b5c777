"""Emailed links: one invitation per contact per document, opened without a password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError
from portal_app.core.tokens import derived_token, looks_like_token, new_token, token_hash
from portal_app.models import ClientContact, Company, Invitation, Invoice, Quote
from portal_app.models.invoice import VISIBLE_STATUSES
from portal_app.models.quote import VISIBLE_QUOTE_STATUSES
from portal_app.services.identity import audit
from portal_app.services.identity.auth import NewSession, open_session


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


def create_quote_invitation(
    session: Session, *, contact: ClientContact, quote: Quote, lifetime: timedelta | None = None
) -> str:
    """Create an invitation for `contact` to `quote` and return its key (stored only hashed)."""
    if quote.client_id != contact.client_id or quote.company_id != contact.company_id:
        raise NotFoundError("quote")
    company = session.get(Company, contact.company_id)
    key = new_token()
    session.add(
        Invitation(
            company_id=contact.company_id,
            contact_id=contact.id,
            entity_type="quote",
            entity_id=quote.id,
            key_hash=token_hash(key),
            expires_at=utcnow() + (lifetime or timedelta(days=company.link_lifetime_days)),
        )
    )
    session.flush()
    return key


# The salt of the pay-link QR keys (derived_token): never reuse it for another kind of key.
PAY_QR_PURPOSE = "portal_app.invoice-pay-qr"


def _pay_qr_key(invitation_id: int) -> str:
    # 128 bits, the least a link key has: a shorter URL makes a smaller QR code, quicker to
    # scan and to draw.
    return derived_token(PAY_QR_PURPOSE, str(invitation_id), nbytes=16)


def invoice_pay_qr_key(session: Session, *, contact: ClientContact, invoice: Invoice) -> str:
    """The key of the invoice's pay-link QR code for `contact` (the PDF and the invoice page
    print it): an invitation like an e-mailed link's, whose key is derived from its row id
    under the server secret, so every rendering finds the same key again instead of storing a
    new one each time. A new invitation is made when none has half its lifetime left, so a
    freshly printed code stays usable for at least that long. Opening it is open_invitation's
    business (same expiry, revocation and scope as an e-mailed link)."""
    if invoice.client_id != contact.client_id or invoice.company_id != contact.company_id:
        raise NotFoundError("invoice")
    company = session.get(Company, contact.company_id)
    lifetime = timedelta(days=company.link_lifetime_days)
    now = utcnow()
    candidates = session.exec(
        select(Invitation)
        .where(
            Invitation.company_id == contact.company_id,
            Invitation.contact_id == contact.id,
            Invitation.entity_type == "invoice",
            Invitation.entity_id == invoice.id,
            col(Invitation.revoked_at).is_(None),
            col(Invitation.sent_at).is_(None),
            Invitation.expires_at > now + lifetime / 2,
        )
        .order_by(col(Invitation.expires_at).desc())
    ).all()
    for invitation in candidates:
        key = _pay_qr_key(invitation.id)
        # An e-mailed link's key is random, so only a QR invitation's hash matches.
        if invitation.key_hash == token_hash(key):
            return key
    # The key derives from the id, known only after the insert: a random placeholder first.
    invitation = Invitation(
        company_id=contact.company_id,
        contact_id=contact.id,
        entity_type="invoice",
        entity_id=invoice.id,
        key_hash=token_hash(new_token()),
        expires_at=now + lifetime,
    )
    session.add(invitation)
    session.flush()
    key = _pay_qr_key(invitation.id)
    invitation.key_hash = token_hash(key)
    session.add(invitation)
    session.flush()
    return key


# entity_type -> (table, statuses the portal shows)
_LINKABLE = {"invoice": (Invoice, VISIBLE_STATUSES), "quote": (Quote, VISIBLE_QUOTE_STATUSES)}


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """Whose document an emailed link opens (read without opening anything)."""

    company_id: int
    client_id: int
    contact_id: int
    entity_type: str
    entity_id: int


def _valid_link(session: Session, *, key: str, entity_type: str):
    """The invitation, its contact and its document, or NotFoundError (all the same)."""
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
    if invitation.entity_type != entity_type or entity_type not in _LINKABLE:
        raise NotFoundError("link")
    table, visible = _LINKABLE[invitation.entity_type]
    record = session.get(table, invitation.entity_id)
    if (
        record is None
        or record.client_id != contact.client_id
        or record.company_id != contact.company_id
        or record.status not in visible
    ):
        raise NotFoundError("link")
    return invitation, contact, record


def link_target(session: Session, *, key: str, entity_type: str = "invoice") -> LinkTarget:
    """Whose document a valid link opens; changes nothing. NotFoundError as open_invitation."""
    invitation, contact, record = _valid_link(session, key=key, entity_type=entity_type)
    return LinkTarget(
        company_id=contact.company_id,
        client_id=contact.client_id,
        contact_id=contact.id,
        entity_type=invitation.entity_type,
        entity_id=record.id,
    )


def open_invitation(
    session: Session,
    *,
    key: str,
    ip: str = "",
    user_agent: str = "",
    entity_type: str = "invoice",
    binding: str | None = None,
) -> OpenedLink:
    """Open an emailed link: a limited "link" session for its contact, the view recorded.
    The session's handoff code goes only to the browser holding the sign-in `binding`.

    `entity_type` is what the page opening it shows ("invoice" or "quote"): a quote's key
    opened on the invoice link page is refused, so each page only ever shows its own kind.
    Malformed, unknown, expired and revoked keys, links of another kind, and links to
    documents that are no longer visible, all raise the same NotFoundError.
    """
    invitation, contact, record = _valid_link(session, key=key, entity_type=entity_type)
    now = utcnow()
    company = session.get(Company, contact.company_id)
    new_session = open_session(
        session,
        contact=contact,
        kind="link",
        lifetime=timedelta(minutes=company.link_session_minutes),
        ip=ip,
        user_agent=user_agent,
        invitation_id=invitation.id,
        binding=binding,
    )
    invitation.viewed_at = invitation.viewed_at or now
    record.last_viewed_at = now
    session.add(invitation)
    session.add(record)
    audit.record(
        session,
        company_id=contact.company_id,
        client_id=contact.client_id,
        action="link_opened",
        actor_type="contact",
        actor_id=contact.id,
        entity_type=invitation.entity_type,
        entity_id=record.id,
        ip=ip,
        details={"invitation_id": invitation.id},
    )
    return OpenedLink(
        new_session=new_session, entity_type=invitation.entity_type, entity_id=record.id
    )
