"""Errors services raise; pages turn them into clear messages.

Every one is a PortalError: its `user_message` is written for the person at the browser and is
safe to show as it is (no ids, no internals). A handler that lets one escape still shows that
message (portal_app/backend_errors.py) instead of "Something went wrong". Services raise them
with text already translated (core.i18n gettext, the event's language); the class defaults are
translated when shown.
"""

from portal_app.core.i18n import N_, current_language, gettext


class PortalError(Exception):
    """An expected refusal with a message for the user."""

    default_message = N_("That did not work. Please try again.")

    @property
    def user_message(self) -> str:
        """What to tell the user: the error's own text, else the class's default (translated)."""
        text = str(self) if self.args else ""
        return text or gettext(self.default_message)


class NotFoundError(PortalError):
    """The record does not exist or does not belong to the actor (never told apart).

    The argument names what was looked for ("invoice"); the message never says whose it is.
    """

    @property
    def user_message(self) -> str:
        """'We could not find that invoice.' (or 'that page' when nothing was named)."""
        noun = str(self.args[0]) if self.args else "page"
        if noun in _NOT_FOUND:
            return gettext(_NOT_FOUND[noun])
        if current_language() != "en":
            # Other names are internal words ("setup intent"): no sentence is built from them.
            return gettext("We could not find what you asked for.")
        return f"We could not find that {noun}."


# Whole sentences for the records a client looks for, so each is translated as one.
_NOT_FOUND = {
    "page": N_("We could not find that page."),
    "invoice": N_("We could not find that invoice."),
    "quote": N_("We could not find that quote."),
    "credit": N_("We could not find that credit note."),
    "payment": N_("We could not find that payment."),
    "document": N_("We could not find that document."),
}


class AuthError(PortalError):
    """Sign-in failed; the message is safe to show."""

    default_message = N_("Please sign in again.")


class ThrottledError(AuthError):
    """Too many failed attempts; try again later."""

    default_message = N_("Too many attempts. Please wait a few minutes and try again.")


class ValidationError(PortalError):
    """Bad input for one field; nothing was changed."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class ReadOnlyError(PortalError):
    """The session may not do this (staff preview, or an emailed-link session)."""

    default_message = N_("This view is read-only.")


class FieldErrors(ValidationError):
    """Several fields of one form are wrong; `errors` maps each field to its message (shown
    next to the field). Nothing was changed."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors), "form")
        super().__init__(first, errors.get(first, self.default_message))
        self.errors = dict(errors)
