"""Short-lived signed tokens: a few text fields and an expiry, sealed with a key derived from
the secret. Download links of documents, statements and ZIPs use them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

from portal_app.core.errors import NotFoundError
from portal_app.core.settings import Settings, get_settings

_TOKEN_PURPOSE = b"portal-document-download-v1"


# Room for a ZIP token of MAX_ZIP_DOCUMENTS ten-digit ids (~750 characters), no more.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,1000}\.[A-Za-z0-9_-]{43}")


def _token_key(settings: Settings | None = None) -> bytes:
    # A key of its own, derived from the secret, so a token can never double as anything else.
    secret = (settings or get_settings()).secret_key.encode()
    return hmac.new(secret, _TOKEN_PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_payload(fields: list[str], *, seconds: int | None = None, now: float | None = None):
    """A signed token carrying `fields` (no ':' in them) and an expiry `seconds` from now
    (settings.download_token_seconds by default). Other services' short-lived file tokens
    use this too; each starts its fields with a kind of its own."""
    settings = get_settings()
    ttl = settings.download_token_seconds if seconds is None else seconds
    expires = int((time.time() if now is None else now) + ttl)
    payload = ":".join([*fields, str(expires)]).encode()
    mac = hmac.new(_token_key(settings), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def open_payload(token: str, *, now: float | None = None) -> list[str]:
    """The fields of a token made by seal_payload (expiry removed); NotFoundError when it is
    malformed, tampered with or expired."""
    if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
        raise NotFoundError("download")
    body, mac = token.split(".")
    try:
        payload = _unb64(body)
        expected = hmac.new(_token_key(), payload, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise NotFoundError("download")
        *fields, expires = payload.decode().split(":")
        if int(expires) < (time.time() if now is None else now):
            raise NotFoundError("download")
        return fields
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotFoundError("download") from exc
