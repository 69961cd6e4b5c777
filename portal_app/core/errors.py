"""Errors services raise; pages turn them into clear messages."""


class NotFoundError(Exception):
    """The record does not exist or does not belong to the actor (never told apart)."""


class AuthError(Exception):
    """Sign-in failed; the message is safe to show."""


class ThrottledError(AuthError):
    """Too many failed attempts; try again later."""


class ValidationError(Exception):
    """Bad input for one field; nothing was changed."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class ReadOnlyError(Exception):
    """The session may not do this (staff preview, or an emailed-link session)."""
