"""Forgotten passwords: an e-mailed, signed, single-use reset link.

No table holds reset tokens. A token is a payload signed with HMAC-SHA256 under a key derived
from the portal secret, holding the contact id, the expiry and a fingerprint of the contact's
current password hash. Setting a new password changes the hash, so a token works once and every
older token dies with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import re
import smtplib
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.core.mail import send_email
from portal_app.core.routes import password_reset_url
from portal_app.core.settings import get_settings
from portal_app.models import AuthSession, ClientContact, Company
from portal_app.services.identity import audit, throttle
from portal_app.services.identity.auth import normalize_email
from portal_app.services.identity.passwords import hash_password, password_problem

log = logging.getLogger(__name__)

THROTTLE_SCOPE = "password_reset"
INVALID_TOKEN_MESSAGE = "This reset link is invalid or has expired."
NEUTRAL_MESSAGE = (
    "If that e-mail address belongs to a portal account, we have sent it a link to choose a new "
    "password."
)

_KEY_PURPOSE = b"portal_app.password_reset.v1"
_VERSION = "v1"
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{43}")


def _key() -> bytes:
    """The signing key: the portal secret narrowed to this one purpose."""
    secret = get_settings().secret_key.encode("utf-8")
    return hmac.new(secret, _KEY_PURPOSE, hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Inverse of _b64encode."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fingerprint(key: bytes, password_hash: str | None) -> str:
    """A short keyed digest of the stored password hash (reveals nothing about the hash)."""
    digest = hmac.new(key, b"fingerprint:" + (password_hash or "").encode("utf-8"), "sha256")
    return _b64encode(digest.digest()[:16])


def _aware(now: datetime | None) -> datetime:
    """`now`, or the current time; a naive value is taken as UTC."""
    now = now or utcnow()
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def make_reset_token(contact: ClientContact, *, now: datetime | None = None) -> str:
    """Sign a reset token for `contact`, valid for settings.password_reset_minutes from `now`."""
    key = _key()
    expires = _aware(now) + timedelta(minutes=get_settings().password_reset_minutes)
    payload = ":".join(
        [
            _VERSION,
            str(contact.id),
            str(int(expires.timestamp())),
            _fingerprint(key, contact.password_hash),
        ]
    )
    body = _b64encode(payload.encode("ascii"))
    signature = _b64encode(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
    return f"{body}.{signature}"


def _contact_for_token(session: Session, token: str, now: datetime) -> ClientContact:
    """The contact a token was issued to, or ValidationError when it cannot be used."""
    invalid = ValidationError("token", INVALID_TOKEN_MESSAGE)
    if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
        raise invalid
    body, _, signature = token.partition(".")
    key = _key()
    # Compare the canonical encodings, so no second spelling of a signature is accepted.
    expected = _b64encode(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise invalid
    try:
        payload = _b64decode(body).decode("ascii")
    except (ValueError, UnicodeError):
        raise invalid from None
    parts = payload.split(":")
    if len(parts) != 4 or parts[0] != _VERSION:
        raise invalid
    try:
        contact_id, expires_at = int(parts[1]), int(parts[2])
    except ValueError:
        raise invalid from None
    if expires_at <= now.timestamp():
        raise invalid
    contact = session.get(ClientContact, contact_id)
    if contact is None or not contact.portal_enabled:
        raise invalid
    if not hmac.compare_digest(parts[3], _fingerprint(key, contact.password_hash)):
        raise invalid
    return contact


def _reset_email(contact: ClientContact, company: Company | None, link: str) -> dict[str, str]:
    """Subject, plain text and HTML of the reset e-mail."""
    minutes = get_settings().password_reset_minutes
    # Header values must stay on one line whatever the company's name holds.
    company_name = " ".join(company.name.split()) if company else "the client portal"
    greeting = f"Hello {contact.display_name},"
    text = (
        f"{greeting}\n\n"
        f"Someone asked to reset the password of your {company_name} portal account.\n"
        f"To choose a new password, open this link within {minutes} minutes:\n\n"
        f"{link}\n\n"
        "The link works once. If you did not ask for this, ignore this e-mail: "
        "your password stays as it is.\n"
    )
    html_body = (
        f"<p>{html.escape(greeting)}</p>"
        f"<p>Someone asked to reset the password of your {html.escape(company_name)} portal "
        f"account. To choose a new password, open this link within {minutes} minutes:</p>"
        f'<p><a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></p>'
        "<p>The link works once. If you did not ask for this, ignore this e-mail: your password "
        "stays as it is.</p>"
    )
    return {
        "subject": f"Reset your {company_name} portal password",
        "text": text,
        "html": html_body,
    }


def request_password_reset(
    session: Session, *, email: str, ip: str = "", now: datetime | None = None
) -> str | None:
    """E-mail a reset link to the portal contact with this address; return its token.

    Unknown or disabled addresses get nothing and return None, as do throttled requests
    (settings.login_max_failures per window, per e-mail address and per client address, every
    request counted before the lookup, known account or not) and mail that could not be sent.
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
        sent = True
        try:
            send_email(
                to=contact.email, **_reset_email(contact, company, base + password_reset_url(token))
            )
        except (smtplib.SMTPException, OSError):
            log.exception("password reset e-mail to contact %s failed", contact.id)
            sent = False
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
            details={"sent": sent},
        )
        if sent and first_token is None:
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
    open_sessions = session.exec(
        select(AuthSession).where(
            AuthSession.contact_id == contact.id, AuthSession.revoked_at.is_(None)
        )
    ).all()
    for row in open_sessions:
        row.revoked_at = now
        session.add(row)
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
        details={"sessions_revoked": len(open_sessions)},
    )
    session.flush()
    return contact
