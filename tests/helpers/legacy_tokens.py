"""Tokens made the way the portal made them before it signed through itsdangerous.

A copy of the old hand-made HMAC-SHA256 code (core/signing.seal_payload, password_reset's and
registration's make_*_token), so the tests can show that links issued just before the upgrade
still work for one lifetime, and no longer. Delete with core.signing's legacy section.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import datetime, timedelta

from portal_app.core.db import utcnow
from portal_app.core.settings import get_settings
from portal_app.models import ClientContact
from portal_app.services.identity.actor import Actor

DOWNLOAD_KEY_PURPOSE = b"portal-document-download-v1"
RESET_KEY_PURPOSE = b"portal_app.password_reset.v1"
CONFIRM_KEY_PURPOSE = b"portal_app.registration_confirm.v1"


def _key(purpose: bytes) -> bytes:
    secret = get_settings().secret_key.encode("utf-8")
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def b64(data: bytes) -> str:
    """URL-safe base64 without padding, as the old tokens spelled it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    """Inverse of b64."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def old_seal_payload(fields: list[str], *, seconds: int | None = None, now: float | None = None):
    """The old core.signing.seal_payload: fields and an expiry, HMAC over the payload bytes."""
    ttl = get_settings().download_token_seconds if seconds is None else seconds
    expires = int((time.time() if now is None else now) + ttl)
    payload = ":".join([*fields, str(expires)]).encode()
    mac = hmac.new(_key(DOWNLOAD_KEY_PURPOSE), payload, hashlib.sha256).digest()
    return f"{b64(payload)}.{b64(mac)}"


def old_download_token(document_id: int, client_id: int, *, now: float | None = None) -> str:
    """The old documents.make_download_token."""
    return old_seal_payload(["d", str(document_id), str(client_id)], now=now)


def old_zip_token(document_ids: list[int], client_id: int, *, now: float | None = None) -> str:
    """The old documents.make_zip_token."""
    ids = "-".join(str(i) for i in document_ids)
    return old_seal_payload(["z", ids, str(client_id)], now=now)


def old_generated_token(file_id: str, actor: Actor, *, now: float | None = None) -> str:
    """The old generated_files.make_generated_token."""
    owner = [actor.company_id, actor.client_id, actor.contact_id, actor.session_id]
    return old_seal_payload(["g", file_id, *(str(i) for i in owner)], now=now)


def old_reset_token(contact: ClientContact, *, now: datetime | None = None) -> str:
    """The old password_reset.make_reset_token (HMAC over the base64 body)."""
    key = _key(RESET_KEY_PURPOSE)
    expires = (now or utcnow()) + timedelta(minutes=get_settings().password_reset_minutes)
    fingerprint = hmac.new(
        key, b"fingerprint:" + (contact.password_hash or "").encode("utf-8"), "sha256"
    )
    payload = ":".join(
        ["v1", str(contact.id), str(int(expires.timestamp())), b64(fingerprint.digest()[:16])]
    )
    body = b64(payload.encode("ascii"))
    return f"{body}.{b64(hmac.new(key, body.encode('ascii'), hashlib.sha256).digest())}"


def old_confirm_token(contact: ClientContact, *, hours: int, now: datetime | None = None) -> str:
    """The old registration.make_confirm_token, valid `hours` (CONFIRM_HOURS) from `now`."""
    expires = (now or utcnow()) + timedelta(hours=hours)
    email_digest = hashlib.sha256(contact.email.encode()).hexdigest()[:16]
    body = b64(f"v1:{contact.id}:{int(expires.timestamp())}:{email_digest}".encode("ascii"))
    key = _key(CONFIRM_KEY_PURPOSE)
    return f"{body}.{b64(hmac.new(key, body.encode('ascii'), hashlib.sha256).digest())}"
