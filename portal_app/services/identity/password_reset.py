"""Forgotten passwords: an e-mailed, signed, single-use reset link.

No table holds reset tokens. A token is signed by core.signing (its own purpose, so no other
token passes for one) and holds the contact id and a keyed fingerprint of the contact's current
password hash; it lives settings.password_reset_minutes. Setting a new password changes the
hash, so a token works once and every older token dies with it.
"""

from __future__ import annotations

import html
import logging
import secrets
from datetime import UTC, datetime

from sqlmodel import Session, select

from portal_app.core import signing
from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.core.i18n import N_, gettext, ngettext, use_language
from portal_app.core.routes import password_reset_url
from portal_app.core.settings import get_settings
from portal_app.models import Client, ClientContact, Company
from portal_app.services.identity import audit, signin, throttle
from portal_app.services.identity.auth import normalize_email
from portal_app.services.identity.language import email_language
from portal_app.services.identity.passwords import hash_password, password_problem
from portal_app.services.mail import outbox

log = logging.getLogger(__name__)

THROTTLE_SCOPE = "password_reset"
INVALID_TOKEN_MESSAGE = N_("This reset link is invalid or has expired.")
NEUTRAL_MESSAGE = N_(
    "If that e-mail address belongs to a portal account, we have sent it a link to choose a new "
    "password."
)

_PURPOSE = signing.Purpose.PASSWORD_RESET


def _fingerprints(password_hash: str | None) -> list[str]:
    """What a live token for a contact with this password hash may carry."""
    text = password_hash or ""
    return [
        signing.fingerprint(_PURPOSE, text),
        # Legacy (before itsdangerous): delete with core.signing's legacy section.
        signing.legacy_fingerprint(_PURPOSE, text),
    ]


def _aware(now: datetime | None) -> datetime:
    """`now`, or the current time; a naive value is taken as UTC."""
    now = now or utcnow()
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def make_reset_token(contact: ClientContact, *, now: datetime | None = None) -> str:
    """Sign a reset token for `contact`, valid for settings.password_reset_minutes from `now`."""
    payload = [contact.id, _fingerprints(contact.password_hash)[0]]
    return signing.sign(_PURPOSE, payload, now=_aware(now).timestamp())


def _from_legacy(fields: list[str]) -> list:
    """A reset token made before itsdangerous: ["v1", contact id, fingerprint]."""
    version, contact_id, carried = fields
    if version != "v1":
        raise ValueError("unknown reset token version")
    return [int(contact_id), carried]


def _contact_for_token(session: Session, token: str, now: datetime) -> ClientContact:
    """The contact a token was issued to, or ValidationError when it cannot be used."""
    invalid = ValidationError("token", gettext(INVALID_TOKEN_MESSAGE))
    try:
        contact_id, carried = signing.unsign(
            _PURPOSE,
            token,
            max_age=get_settings().password_reset_minutes * 60,
            now=now.timestamp(),
            legacy=_from_legacy,
        )
    except signing.InvalidToken:
        raise invalid from None
    contact = session.get(ClientContact, contact_id)
    if contact is None or not contact.portal_enabled:
        raise invalid
    if not any(secrets.compare_digest(carried, f) for f in _fingerprints(contact.password_hash)):
        raise invalid
    return contact


def _reset_email(contact: ClientContact, company: Company | None, link: str) -> dict[str, str]:
    """Subject, plain text and HTML of the reset e-mail, in the current language."""
    minutes = get_settings().password_reset_minutes
    # Header values must stay on one line whatever the company's name holds.
    company_name = " ".join(company.name.split()) if company else ""
    names = {"company": company_name, "minutes": minutes}
    greeting = gettext("Hello %(name)s,") % {"name": contact.display_name}
    asked = (
        gettext("Someone asked to reset the password of your %(company)s portal account.")
        if company_name
        else gettext("Someone asked to reset the password of your portal account.")
    ) % names
    within = (
        ngettext(
            "To choose a new password, open this link within %(minutes)s minute:",
            "To choose a new password, open this link within %(minutes)s minutes:",
            minutes,
        )
        % names
    )
    once = gettext(
        "The link works once. If you did not ask for this, ignore this e-mail: your password "
        "stays as it is."
    )
    text = f"{greeting}\n\n{asked}\n{within}\n\n{link}\n\n{once}\n"
    html_body = (
        f"<p>{html.escape(greeting)}</p>"
        f"<p>{html.escape(asked)} {html.escape(within)}</p>"
        f'<p><a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></p>'
        f"<p>{html.escape(once)}</p>"
    )
    subject = (
        gettext("Reset your %(company)s portal password")
        if company_name
        else gettext("Reset your portal password")
    ) % names
    return {"subject": subject, "text": text, "html": html_body}


def request_password_reset(
    session: Session,
    *,
    email: str,
    ip: str = "",
    now: datetime | None = None,
    language: str | None = None,
) -> str | None:
    """E-mail a reset link to the portal contact with this address; return its token.

    The e-mail is in the contact's chosen language, else `language` (the page the visitor
    asked on), else the client's or company's (identity.language.email_language).

    Unknown or disabled addresses get nothing and return None, as do throttled requests
    (settings.login_max_failures per window, per e-mail address and per client address, every
    request counted before the lookup, known account or not). The e-mail is queued in the
    outbox in the caller's transaction and sent by the outbox job.
    Callers show NEUTRAL_MESSAGE in every case so nobody learns which addresses exist.
    """
    email = normalize_email(email)
    if not email or not throttle.allow_attempt(THROTTLE_SCOPE, email, ip):
        return None
    contacts = session.exec(
        select(ClientContact)
        .where(ClientContact.email == email, ClientContact.portal_enabled == True)  # noqa: E712
        .order_by(ClientContact.id)
    ).all()
    first_token: str | None = None
    base = get_settings().base_url.rstrip("/")
    # The same address may be a contact of several companies: each account gets its own link.
    for contact in contacts:
        token = make_reset_token(contact, now=now)
        company = session.get(Company, contact.company_id)
        client = session.get(Client, contact.client_id)
        written_in = contact.language or language
        if not written_in and company is not None and client is not None:
            written_in = email_language(contact, client, company)
        with use_language(written_in or "en"):
            message = _reset_email(contact, company, base + password_reset_url(token))
        # Queued with the request's transaction; the outbox job sends it (and retries).
        outbox.queue_email(
            session,
            company_id=contact.company_id,
            # Every request is its own event (two in one second may carry the same token).
            idempotency_key=f"password_reset:{contact.id}:{secrets.token_hex(16)}",
            kind="password_reset",
            to=contact.email,
            entity_type="contact",
            entity_id=contact.id,
            **message,
        )
        audit.record(
            session,
            company_id=contact.company_id,
            client_id=contact.client_id,
            action="password_reset_requested",
            actor_type="contact",
            actor_id=contact.id,
            entity_type="contact",
            entity_id=contact.id,
            ip=ip,
            details={"queued": True},
        )
        if first_token is None:
            first_token = token
    return first_token


def reset_password(
    session: Session,
    *,
    token: str,
    new_password: str,
    ip: str = "",
    now: datetime | None = None,
) -> ClientContact:
    """Set a new password from a reset token; sign out every session of that contact.

    Raises ValidationError("token", ...) for a malformed, tampered, expired or used token and
    ValidationError("password", ...) for an unacceptable password; nothing changes then.
    """
    now = _aware(now)
    contact = _contact_for_token(session, token, now)
    if problem := password_problem(new_password):
        raise ValidationError("password", problem)
    contact.password_hash = hash_password(new_password)
    session.add(contact)
    revoked = signin.revoke_contact_sessions(session, contact_id=contact.id, at=now)
    audit.record(
        session,
        company_id=contact.company_id,
        client_id=contact.client_id,
        action="password_reset",
        actor_type="contact",
        actor_id=contact.id,
        entity_type="contact",
        entity_id=contact.id,
        ip=ip,
        details={"sessions_revoked": revoked},
    )
    session.flush()
    return contact
