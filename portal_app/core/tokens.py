"""Random bearer tokens and their stored hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from portal_app.core.settings import get_settings


def new_token() -> str:
    """A URL-safe random token of 256 bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The sha256 hex digest stored in place of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(value: str) -> bool:
    """Cheap shape check before any database look-up (rejects junk and huge input)."""
    return 20 <= len(value) <= 100 and all(c.isalnum() or c in "-_" for c in value)


def derived_token(purpose: str, value: str, *, nbytes: int = 32) -> str:
    """A URL-safe token of `nbytes` (16 to 32) bytes derived from `value` under the server
    secret (HMAC-SHA256, truncated): the same input gives the same token, so a key printed on a
    document can be found again without storing it; nobody without PORTAL_SECRET_KEY can
    compute one."""
    if not 16 <= nbytes <= 32:
        raise ValueError("a derived token has 16 to 32 bytes")
    secret = get_settings().secret_key.encode("utf-8")
    digest = hmac.new(secret, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:nbytes]).rstrip(b"=").decode("ascii")
