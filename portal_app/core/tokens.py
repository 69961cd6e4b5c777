"""Random bearer tokens and their stored hashes."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """A URL-safe random token of 256 bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The sha256 hex digest stored in place of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(value: str) -> bool:
    """Cheap shape check before any database look-up (rejects junk and huge input)."""
    return 20 <= len(value) <= 100 and all(c.isalnum() or c in "-_" for c in value)
