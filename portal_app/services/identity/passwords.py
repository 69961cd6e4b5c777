"""Password hashing through passlib's API with argon2."""

from __future__ import annotations

from passlib.context import CryptContext

from portal_app.core.i18n import gettext as _

_context = CryptContext(schemes=["argon2"], deprecated="auto")

# A real hash of a random value, so that unknown e-mails cost as much time as wrong passwords.
_DUMMY_HASH = _context.hash("not-a-real-password-timing-equaliser")

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """Hash a password with argon2."""
    return _context.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password against a stored hash; a missing hash still spends the same time."""
    if not password_hash:
        _context.verify(password, _DUMMY_HASH)
        return False
    try:
        return _context.verify(password, password_hash)
    except (ValueError, TypeError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None (in the language of the current event)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(num)d characters.") % {"num": MIN_PASSWORD_LENGTH}
    if len(password) > 256:
        return _("Use at most %(num)d characters.") % {"num": 256}
    return None
