"""What every input model of a form shares: refusals written for people, and errors by field.

A form model's validators refuse a value with `refuse("message")`; `field_errors` turns
pydantic's ValidationError into {field: message} (the first problem of each field, fields in
the order the model reports them), so services can raise core.errors.ValidationError
subclasses with the same messages the forms always showed. Pydantic's own wording never
reaches a person: an error that is not one of ours (a wrong type from a crafted request)
becomes a plain "check this field". Validators write their messages through core.i18n's
gettext, so they come out in the language of the event (the contact's or the staff user's).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from portal_app.core.i18n import N_, gettext

# The error type our validators raise; anything else is pydantic's and is not shown as is.
FORM_ERROR = "form"
GENERIC_MESSAGE = N_("Check this field.")


class FormModel(BaseModel):
    """Base of the form input models: unknown keys are ignored (a crafted request cannot
    set a column the form does not show), defaults go through the validators like typed
    values, and a checked form cannot be changed afterwards."""

    model_config = ConfigDict(
        extra="ignore", validate_default=True, frozen=True, from_attributes=True
    )


def refuse(message: str) -> PydanticCustomError:
    """The error a validator raises to refuse a value with `message`, shown as written."""
    # Braces would be read as placeholders by pydantic; our messages have none, but a
    # message built from user input must not be formatted.
    return PydanticCustomError(FORM_ERROR, message.replace("{", "(").replace("}", ")"))


def text(value: object) -> str:
    """What the browser sent as a string (None is empty)."""
    return "" if value is None else str(value)


def field_errors(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    """{"field" or "lines.2.unit_price": message}: the first error of each field."""
    errors: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_context=False, include_input=False):
        name = prefix + ".".join(str(part) for part in error["loc"])
        message = error["msg"] if error["type"] == FORM_ERROR else gettext(GENERIC_MESSAGE)
        errors.setdefault(name.rstrip(".") or "form", message)
    return errors
