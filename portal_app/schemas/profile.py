"""/client/profile: the forms as input models (errors by field, in the contact's language) and
the view the page fills its fields from.

Each section of the page is its own form and model: the contact's details, a new e-mail
address, a password change, the client's billing details and the preferences. Messages go
through core.i18n's gettext when the check runs, so they reach the page in the language of
the event (PortalState._begin sets it). `field_errors` (schemas/forms.py) turns a failed
check into {field: message}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationInfo, field_validator

from portal_app.core.i18n import SHIPPED_LANGUAGES
from portal_app.core.i18n import gettext as _
from portal_app.core.mail import EMAIL_PATTERN
from portal_app.schemas.forms import FormModel, refuse, text

# Longest text each field takes (the column's length).
LIMITS: dict[str, int] = {
    "first_name": 100,
    "last_name": 100,
    "phone": 50,
    "email": 254,
    "address1": 200,
    "city": 100,
    "postal_code": 20,
    "country": 100,
    "vat_number": 50,
}
# The formats a client may pick for money and dates (empty: the company's). A short list a
# person can choose from; each is named in the viewer's language on the page.
LOCALE_CHOICES: tuple[str, ...] = (
    "en_US",
    "en_GB",
    "de_DE",
    "de_AT",
    "de_CH",
    "fr_FR",
    "fr_CH",
    "fr_CA",
    "es_ES",
    "es_MX",
    "pt_BR",
    "ja_JP",
    "ar_SA",
    "ar_AE",
)
BILLING_FIELDS = ("address1", "city", "postal_code", "country", "vat_number")
_PHONE = re.compile(r"\+?[0-9 ()./-]+")
_VAT = re.compile(r"[A-Za-z0-9 ./-]+")


def _line(value: object, name: str) -> str:
    """The value as one line of text, whitespace collapsed, within the field's limit."""
    cleaned = " ".join(text(value).split())
    limit = LIMITS[name]
    if len(cleaned) > limit:
        raise refuse(_("Use at most %(num)d characters.") % {"num": limit})
    return cleaned


class ContactDetailsIn(FormModel):
    """The contact's own name and phone."""

    first_name: str = ""
    last_name: str = ""
    phone: str = ""

    @field_validator("first_name", mode="before")
    @classmethod
    def _first(cls, value: object) -> str:
        value = _line(value, "first_name")
        if not value:
            raise refuse(_("Enter your first name."))
        return value

    @field_validator("last_name", mode="before")
    @classmethod
    def _last(cls, value: object) -> str:
        value = _line(value, "last_name")
        if not value:
            raise refuse(_("Enter your last name."))
        return value

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> str:
        value = _line(value, "phone")
        digits = sum(c.isdigit() for c in value)
        if value and (not _PHONE.fullmatch(value) or digits < 3):
            raise refuse(_("Enter a phone number: digits, spaces and + ( ) - only."))
        return value


class EmailChangeIn(FormModel):
    """The address the contact wants to use from now on (confirmed from that address)."""

    email: str = ""

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: object) -> str:
        # Stored lower-cased, as every contact's address (services/identity/signin.py).
        value = _line(value, "email").lower()
        if not EMAIL_PATTERN.fullmatch(value):
            raise refuse(_("Enter a valid e-mail address."))
        return value


class PasswordChangeIn(FormModel):
    """The current password and the new one, typed twice (the service checks the current
    one and the new one's strength)."""

    current_password: str = ""
    new_password: str = ""
    repeat_password: str = ""

    @field_validator("current_password", mode="before")
    @classmethod
    def _current(cls, value: object) -> str:
        return text(value)[:300]

    @field_validator("new_password", mode="before")
    @classmethod
    def _new(cls, value: object) -> str:
        # Its strength is checked by the service, with the rule registration and the reset
        # link use (services/identity/passwords.py).
        return text(value)[:300]

    @field_validator("repeat_password", mode="before")
    @classmethod
    def _repeat(cls, value: object, info: ValidationInfo) -> str:
        value = text(value)[:300]
        new = info.data.get("new_password")
        if new is not None and value != new:
            raise refuse(_("The two new passwords are not the same."))
        return value


class BillingDetailsIn(FormModel):
    """The client's billing address and tax number (when the company lets contacts edit them)."""

    address1: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""
    vat_number: str = ""

    @field_validator("address1", "city", "postal_code", "country", mode="before")
    @classmethod
    def _plain(cls, value: object, info: ValidationInfo) -> str:
        return _line(value, info.field_name or "")

    @field_validator("vat_number", mode="before")
    @classmethod
    def _vat(cls, value: object) -> str:
        value = _line(value, "vat_number")
        if value and not _VAT.fullmatch(value):
            raise refuse(_("Use letters, digits, spaces, dots and dashes only."))
        return value


class PreferencesIn(FormModel):
    """The portal language (empty: the browser's), the formats of money and dates (empty:
    the company's) and whether this contact signs in with e-mailed codes only."""

    language: str = ""
    locale: str = ""
    codes_only: bool = False

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: object) -> str:
        value = text(value).strip()
        if value and value not in SHIPPED_LANGUAGES:
            raise refuse(_("Choose a language from the list."))
        return value

    @field_validator("locale", mode="before")
    @classmethod
    def _locale(cls, value: object) -> str:
        value = text(value).strip()
        if value and value not in LOCALE_CHOICES:
            raise refuse(_("Choose a format from the list."))
        return value


@dataclass(frozen=True, slots=True)
class ProfileView:
    """What /client/profile shows: the contact's and the client's current values (strings
    for the form fields), and what the contact may change."""

    values: dict[str, str]
    email: str
    client_name: str
    has_password: bool
    codes_only: bool
    # The company signs everyone in with codes: no password section, no preference.
    company_codes_only: bool
    may_edit_billing: bool
