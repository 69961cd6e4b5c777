"""Signed, expiring tokens: values the portal hands out and later takes back unchanged (download
links of documents, statements and ZIPs; password-reset and e-mail confirmation links).

Signed with itsdangerous (URL-safe timed serializer, HMAC-SHA256) under PORTAL_SECRET_KEY, with
one salt per Purpose: a token made for one purpose is refused by every other (a download token
is no reset token). A token records when it was issued and the reader decides how long it lives
(`max_age`). Its JSON payload is readable by whoever holds it: ids, never secrets (carry a
`fingerprint` instead).

Not for the opaque random bearer tokens stored hashed (sessions, invitations, handoff codes):
those are core/tokens.py.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from itsdangerous import BadData, Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, want_bytes

from portal_app.core.settings import get_settings

# Room for a ZIP token of MAX_ZIP_DOCUMENTS ten-digit ids (~800 characters), with a margin.
MAX_TOKEN_CHARS = 2000
_TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_.-]{{1,{MAX_TOKEN_CHARS}}}")
# Several workers sign and check; their clocks may differ by a little, never by more.
_CLOCK_SKEW_SECONDS = 60


class Purpose(StrEnum):
    """What a token is for. The value is its salt: never reuse one for another kind of token."""

    DOCUMENT_DOWNLOAD = "portal_app.document-download"
    GENERATED_FILE = "portal_app.generated-file"
    PASSWORD_RESET = "portal_app.password-reset"
    REGISTRATION_CONFIRM = "portal_app.registration-confirm"
    EMAIL_CHANGE = "portal_app.email-change"
    # Unsubscribe links of payment reminders sent before the other kinds had one (still read).
    REMINDER_UNSUBSCRIBE = "portal_app.reminder-unsubscribe"
    EMAIL_UNSUBSCRIBE = "portal_app.email-unsubscribe"


class InvalidToken(Exception):
    """A token that is malformed, tampered with, signed for another purpose or key, or expired."""


class _CanonicalMixin:
    """Accepts a signature only in its canonical base64 spelling.

    The last character of a 32-byte signature carries two spare bits, so base64 decoding
    takes four spellings of one signature; a token has exactly one form."""

    def verify_signature(self, value: str | bytes, sig: str | bytes) -> bool:
        sig = want_bytes(sig)
        try:
            canonical = base64_encode(base64_decode(sig)) == sig
        except BadData:
            return False
        return canonical and super().verify_signature(value, sig)  # type: ignore[misc]


class _TimestampSigner(_CanonicalMixin, TimestampSigner):
    """itsdangerous' timestamp signer with an injectable clock (tests, back-dated links)."""

    def __init__(self, *args: Any, now: float | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(time.time() if self._now is None else self._now)


def _serializer(purpose: Purpose, now: float | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        get_settings().secret_key,
        salt=Purpose(purpose).value,
        signer=_TimestampSigner,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256, "now": now},
    )


def sign(purpose: Purpose, payload: Any, *, now: float | None = None) -> str:
    """A URL-safe token for `purpose` carrying `payload` (JSON: lists, strings, ints), issued at
    `now` (unix seconds; the current time by default)."""
    return _serializer(purpose, now).dumps(payload)


def unsign(
    purpose: Purpose,
    token: object,
    *,
    max_age: float,
    now: float | None = None,
    legacy: Callable[[list[str]], Any] | None = None,
) -> Any:
    """The payload of a token made by `sign` for this `purpose` and issued less than `max_age`
    seconds before `now`; InvalidToken for anything else.

    `legacy` converts the fields of a token made the old way (read_legacy_token) into the
    payload shape; with it such tokens are accepted too, until their own expiry.
    """
    if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
        raise InvalidToken(purpose)
    now = time.time() if now is None else now
    try:
        payload, issued = _serializer(purpose).loads(token, return_timestamp=True)
    except BadData:
        if legacy is None:
            raise InvalidToken(purpose) from None
        try:
            return legacy(read_legacy_token(purpose, token, now=now))
        except (ValueError, TypeError) as exc:
            raise InvalidToken(purpose) from exc
    # Checked here rather than by itsdangerous' max_age: a token dies at issue + max_age (as
    # before the switch; itsdangerous keeps it for that second too), and a worker whose clock
    # runs a little behind the one that signed still accepts it.
    age = now - issued.timestamp()
    if age >= max_age or age < -_CLOCK_SKEW_SECONDS:
        raise InvalidToken(purpose)
    return payload


def fingerprint(purpose: Purpose, text: str) -> str:
    """A short keyed digest of `text` (e.g. a password hash) for a token to carry: it reveals
    nothing of `text` and stops matching once `text` changes."""
    signer = Signer(
        get_settings().secret_key,
        salt=f"{Purpose(purpose).value}.fingerprint",
        key_derivation="hmac",
        digest_method=hashlib.sha256,
    )
    return signer.get_signature(text).decode("ascii")[:22]


# -- Legacy: tokens signed by hand (HMAC-SHA256) before itsdangerous -------------------------
# Only so that links issued just before the upgrade keep working for one lifetime: a legacy
# token carries its own expiry and dies with it. DELETE this section, the `legacy=` arguments
# of the unsign calls and legacy_fingerprint's caller once the longest lifetime has passed since
# the deploy that introduced itsdangerous: 48 hours (registration.CONFIRM_HOURS; resets live
# PORTAL_PASSWORD_RESET_MINUTES, downloads PORTAL_DOWNLOAD_TOKEN_SECONDS).

# Each old token's key was HMAC(secret, one of these), which is itsdangerous' "hmac" key
# derivation with the same string as salt, so the old signatures are checked through it.
_LEGACY_SALTS = {
    Purpose.DOCUMENT_DOWNLOAD: b"portal-document-download-v1",
    Purpose.GENERATED_FILE: b"portal-document-download-v1",  # one key served every download
    Purpose.PASSWORD_RESET: b"portal_app.password_reset.v1",
    Purpose.REGISTRATION_CONFIRM: b"portal_app.registration_confirm.v1",
}
_LEGACY_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,1000}\.[A-Za-z0-9_-]{43}")


class _LegacySigner(_CanonicalMixin, Signer):
    pass


def _legacy_signer(purpose: Purpose) -> Signer:
    return _LegacySigner(
        get_settings().secret_key,
        salt=_LEGACY_SALTS[purpose],
        key_derivation="hmac",
        digest_method=hashlib.sha256,
    )


def read_legacy_token(purpose: Purpose, token: str, *, now: float | None = None) -> list[str]:
    """The fields of a token signed the old way for `purpose`, its expiry checked and taken out.
    InvalidToken when it is malformed, tampered with or expired.

    Downloads: base64(fields..:expiry) . base64(HMAC of those bytes). Reset and confirmation
    links: base64(v1:id:expiry:digest) . base64(HMAC of that base64 text).
    """
    if not _LEGACY_SHAPE.fullmatch(token):
        raise InvalidToken(purpose)
    body, sig = token.split(".")
    download = purpose in (Purpose.DOCUMENT_DOWNLOAD, Purpose.GENERATED_FILE)
    try:
        payload = base64_decode(body)
        if not _legacy_signer(purpose).verify_signature(payload if download else body, sig):
            raise InvalidToken(purpose)
        fields = payload.decode("ascii").split(":")
        expires = int(fields.pop(-1 if download else 2))
    except (BadData, ValueError, IndexError) as exc:
        raise InvalidToken(purpose) from exc
    if expires <= (time.time() if now is None else now):
        raise InvalidToken(purpose)
    return fields


def legacy_fingerprint(purpose: Purpose, text: str) -> str:
    """The keyed digest of `text` that legacy reset tokens carry (the old `_fingerprint`)."""
    signer = _legacy_signer(purpose)
    digest = signer.algorithm.get_signature(signer.derive_key(), b"fingerprint:" + text.encode())
    return base64_encode(digest[:16]).decode("ascii")
