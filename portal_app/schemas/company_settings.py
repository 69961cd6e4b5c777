"""The /staff/settings form as an input model: every field checked, money in minor units.

`CompanySettingsIn.from_form(values, flags, modules, required_fields)` takes what the page
sends (text as typed, on/off flags, the chosen modules and registration fields);
`columns()` gives the Company column values to store. A field's own check wins over its
length limit, as the form always showed. Fields are declared in the order they are checked:
the money fields read the currency, the maximum reads the minimum (pydantic hands a
validator the fields declared before it that passed).
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from portal_app.core.i18n import gettext
from portal_app.core.locale import valid_country_code, valid_locale, valid_time_zone
from portal_app.core.money import SUPPORTED_CURRENCIES, parse_major
from portal_app.models import ALL_MODULES
from portal_app.schemas.forms import FormModel, refuse, text

# Text fields as typed: name -> longest text accepted. Money fields are typed in major units.
TEXT_FIELDS: dict[str, int] = {
    "name": 200,
    "email": 254,
    "phone": 50,
    "address1": 200,
    "address2": 200,
    "city": 100,
    "postal_code": 20,
    "country": 100,
    "vat_number": 50,
    "legal_name": 200,
    "country_code": 2,
    "iban": 34,
    "bic": 11,
    "payment_terms": 1000,
    "primary_color": 7,
    "currency": 3,
    "locale": 20,
    "time_zone": 64,
    "invoice_terms": 4000,
    "invoice_footer": 2000,
    "registration_terms": 4000,
    "quote_terms": 4000,
    "subscription_cancel_mode": 10,
    "renewal_retry_days": 50,
    "reminder_days": 50,
    "link_lifetime_days": 4,
    "link_session_minutes": 5,
    "due_soon_days": 3,
    "prepayment_min": 20,
    "prepayment_max": 20,
    "minimum_under_payment": 20,
}
# Long texts keep their line breaks; every other field has its whitespace collapsed.
MULTILINE_FIELDS = (
    "invoice_terms",
    "invoice_footer",
    "registration_terms",
    "quote_terms",
    "payment_terms",
)
PLAIN_TEXT_FIELDS = (
    "email",
    "phone",
    "address1",
    "address2",
    "city",
    "postal_code",
    "country",
    "vat_number",
    "legal_name",
    *MULTILINE_FIELDS,
)
FLAG_FIELDS = (
    "allow_registration",
    "codes_only",
    "allow_under_payment",
    "allow_over_payment",
    "staff_may_add_cards",
    "allow_client_uploads",
    "allow_client_detail_edits",
    "require_quote_terms",
    "require_quote_signature",
    "convert_approved_quotes",
    "allow_quote_decline",
    "cancel_after_failed_retries",
)
REGISTRATION_FIELDS = ("phone", "address", "vat_number")
CANCEL_MODES = ("self", "request")
MONEY_FIELDS = {
    "prepayment_min": "prepayment_min_minor",
    "prepayment_max": "prepayment_max_minor",
    "minimum_under_payment": "minimum_under_payment_minor",
}
# The largest amount a money setting may hold, in minor units.
MAX_MINOR = 99_999_999
INT_RANGES = {
    "link_lifetime_days": (1, 365),
    "link_session_minutes": (5, 1440),
    "due_soon_days": (0, 90),
}


def _typed(name: str, value: object) -> str:
    raw = text(value or "")
    return raw.strip() if name in MULTILINE_FIELDS else " ".join(raw.split())


def _within(name: str, value: str) -> str:
    limit = TEXT_FIELDS[name]
    if len(value) > limit:
        raise refuse(gettext("Use at most %(num)d characters.") % {"num": limit})
    return value


def _is_colour(value: str) -> bool:
    return (
        len(value) == 7
        and value[0] == "#"
        and all(c in "0123456789abcdefABCDEF" for c in value[1:])
    )


def _retry_days(value: str) -> str | None:
    """'1,3,7' normalised, or None when not 1-10 increasing whole days between 1 and 60."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or len(parts) > 10 or not all(p.isdigit() and len(p) <= 2 for p in parts):
        return None
    try:
        days = [int(p) for p in parts]
    except ValueError:  # digits int() does not read, e.g. superscripts
        return None
    if any(d < 1 or d > 60 for d in days) or days != sorted(set(days)):
        return None
    return ",".join(str(d) for d in days)


# Payment reminders: at most this many steps, each this many days from the due date.
MAX_REMINDER_STEPS = 5
REMINDER_DAY_RANGE = (-60, 365)


def reminder_steps(value: str) -> list[int] | None:
    """A reminder schedule ('-3, 7,14': days from the due date, negative before it) as sorted
    distinct days; [] for an empty one; None when a part is not a whole number within
    REMINDER_DAY_RANGE or there are more than MAX_REMINDER_STEPS."""
    parts = [p.strip() for p in (value or "").split(",") if p.strip()]
    low, high = REMINDER_DAY_RANGE
    days = set()
    for part in parts:
        digits = part[1:] if part[:1] in "+-" else part
        # isascii: int() also reads other scripts' digits, which nobody types here.
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 3):
            return None
        day = int(part)
        if not low <= day <= high:
            return None
        days.add(day)
    if len(days) > MAX_REMINDER_STEPS:
        return None
    return sorted(days)


class CompanySettingsIn(FormModel):
    """The settings form, checked. Money settings are integer minor units of `currency`."""

    name: str = ""
    email: str = ""
    phone: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""
    vat_number: str = ""
    legal_name: str = ""
    country_code: str = ""
    iban: str = ""
    bic: str = ""
    payment_terms: str = ""
    primary_color: str = ""
    currency: str = ""
    locale: str = ""
    time_zone: str = ""
    invoice_terms: str = ""
    invoice_footer: str = ""
    registration_terms: str = ""
    quote_terms: str = ""
    subscription_cancel_mode: str = ""
    renewal_retry_days: str = ""
    reminder_days: str = ""
    link_lifetime_days: int | None = None
    link_session_minutes: int | None = None
    due_soon_days: int | None = None
    prepayment_min: int | None = None
    prepayment_max: int | None = None
    minimum_under_payment: int | None = None
    allow_registration: bool = False
    codes_only: bool = False
    allow_under_payment: bool = False
    allow_over_payment: bool = False
    staff_may_add_cards: bool = False
    allow_client_uploads: bool = False
    allow_client_detail_edits: bool = False
    require_quote_terms: bool = False
    require_quote_signature: bool = False
    convert_approved_quotes: bool = False
    allow_quote_decline: bool = False
    cancel_after_failed_retries: bool = False
    # Typed as the list "modules"; errors are reported under that name.
    enabled_modules: str = Field("", validation_alias="modules")
    registration_required_fields: str = ""

    @classmethod
    def from_form(
        cls, values: dict, flags: dict, modules: list, required_fields: list
    ) -> CompanySettingsIn:
        """Check the page's form: text from `values`, flags from `flags` (other keys in
        either are ignored). ValidationError names every wrong field."""
        data: dict = {name: values.get(name, "") for name in TEXT_FIELDS}
        data.update({name: flags.get(name, False) for name in FLAG_FIELDS})
        data["modules"] = list(modules or [])
        data["registration_required_fields"] = list(required_fields or [])
        return cls.model_validate(data)

    def columns(self) -> dict:
        """The Company column values this form sets."""
        out = self.model_dump(exclude=set(MONEY_FIELDS))
        for name, column in MONEY_FIELDS.items():
            out[column] = getattr(self, name)
        return out

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        value = _typed("name", value)
        if not value:
            raise refuse(gettext("Enter the company's name."))
        return _within("name", value)

    @field_validator(*PLAIN_TEXT_FIELDS, mode="before")
    @classmethod
    def _plain(cls, value: object, info: ValidationInfo) -> str:
        return _within(info.field_name, _typed(info.field_name, value))

    @field_validator("country_code", mode="before")
    @classmethod
    def _country_code(cls, value: object) -> str:
        value = _typed("country_code", value).upper()
        if value and not valid_country_code(value):
            raise refuse(gettext("Use the two-letter ISO country code, e.g. DE, FR, US."))
        return value

    @field_validator("iban", mode="before")
    @classmethod
    def _iban(cls, value: object) -> str:
        # Stored compact (no spaces, upper case): the e-invoice and the payment QR need it so.
        value = _typed("iban", value)
        if not value:
            return ""
        try:
            return IBAN(value).compact
        except SchwiftyException:
            raise refuse(gettext("Not a valid IBAN (check the digits).")) from None

    @field_validator("bic", mode="before")
    @classmethod
    def _bic(cls, value: object, info: ValidationInfo) -> str:
        value = _typed("bic", value)
        if not value:
            return ""
        try:
            bic = BIC(value)
        except SchwiftyException:
            raise refuse(gettext("Not a valid BIC (8 or 11 letters and digits).")) from None
        iban = info.data.get("iban")
        if iban and bic.country_code != iban[:2]:
            raise refuse(gettext("This BIC belongs to another country than the IBAN."))
        return bic.compact

    @field_validator("primary_color", mode="before")
    @classmethod
    def _colour(cls, value: object) -> str:
        value = _typed("primary_color", value)
        if not _is_colour(value):
            raise refuse(gettext("Use a colour like #4f46e5 (# and six hex digits)."))
        return value.lower()

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: object) -> str:
        value = _typed("currency", value)
        if value.upper() not in SUPPORTED_CURRENCIES:
            raise refuse(
                gettext("Choose one of %(choices)s.") % {"choices": ", ".join(SUPPORTED_CURRENCIES)}
            )
        return _within("currency", value).upper()

    @field_validator("locale", mode="before")
    @classmethod
    def _locale(cls, value: object) -> str:
        value = _typed("locale", value)
        if not valid_locale(value):
            raise refuse(gettext("Not a known locale (e.g. en_US, de_DE, fr_FR)."))
        return _within("locale", value)

    @field_validator("time_zone", mode="before")
    @classmethod
    def _time_zone(cls, value: object) -> str:
        # An IANA name the zone database knows; staff pages show times in it. Empty: UTC,
        # the zone every time was shown in before companies had one.
        value = _typed("time_zone", value) or "UTC"
        if not valid_time_zone(value):
            raise refuse(
                gettext("Not a known time zone (e.g. UTC, Europe/Berlin, America/New_York).")
            )
        return _within("time_zone", value)

    @field_validator("subscription_cancel_mode", mode="before")
    @classmethod
    def _cancel_mode(cls, value: object) -> str:
        value = _typed("subscription_cancel_mode", value)
        if value not in CANCEL_MODES:
            raise refuse(gettext("Choose self-service or on request."))
        return value

    @field_validator("renewal_retry_days", mode="before")
    @classmethod
    def _retry(cls, value: object) -> str:
        value = _typed("renewal_retry_days", value)
        days = _retry_days(value)
        if days is None:
            raise refuse(gettext("Whole days, increasing, 1 to 60, e.g. 1,3,7."))
        _within("renewal_retry_days", value)
        return days

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _reminders(cls, value: object) -> str:
        value = _typed("reminder_days", value)
        days = reminder_steps(value)
        low, high = REMINDER_DAY_RANGE
        if days is None:
            raise refuse(
                gettext(
                    "Up to %(max)d whole numbers of days from %(low)d to %(high)d, "
                    "e.g. -3,7,14 (negative: before the due date)."
                )
                % {"max": MAX_REMINDER_STEPS, "low": low, "high": high}
            )
        return ",".join(str(d) for d in days)

    @field_validator(*INT_RANGES, mode="before")
    @classmethod
    def _whole_number(cls, value: object, info: ValidationInfo) -> int:
        value = _typed(info.field_name, value)
        low, high = INT_RANGES[info.field_name]
        try:
            number = int(value) if value.isdigit() else None
        except ValueError:  # digits int() does not read, e.g. superscripts
            number = None
        if number is None or not low <= number <= high:
            raise refuse(
                gettext("Enter a whole number from %(low)d to %(high)d.")
                % {"low": low, "high": high}
            )
        _within(info.field_name, value)
        return number

    @field_validator(*MONEY_FIELDS, mode="before")
    @classmethod
    def _money(cls, value: object, info: ValidationInfo) -> int | None:
        value = _typed(info.field_name, value)
        currency = info.data.get("currency")
        if currency is None:
            # Amounts mean nothing without a valid currency; that field is refused already.
            _within(info.field_name, value)
            return None
        try:
            minor = parse_major(value, currency)
        except ValueError:
            raise refuse(gettext("Enter an amount, e.g. 10.00.")) from None
        if minor < 0 or minor > MAX_MINOR:
            raise refuse(gettext("Enter an amount from 0 up to the largest payment allowed."))
        if info.field_name == "prepayment_min" and minor < 1:
            raise refuse(gettext("The minimum must be more than zero."))
        low = info.data.get("prepayment_min")
        if info.field_name == "prepayment_max" and low is not None and minor < low:
            raise refuse(gettext("The maximum must not be below the minimum."))
        _within(info.field_name, value)
        return minor

    @field_validator(*FLAG_FIELDS, mode="before")
    @classmethod
    def _flag(cls, value: object) -> bool:
        # Any true value is on, as the form always read it ("false" is a non-empty string).
        return bool(value)

    @field_validator("enabled_modules", mode="before")
    @classmethod
    def _modules(cls, value: object) -> str:
        chosen = _names(value)
        if chosen is None or any(m not in ALL_MODULES for m in chosen):
            raise refuse(gettext("Unknown module."))
        return ",".join(m for m in ALL_MODULES if m in chosen)

    @field_validator("registration_required_fields", mode="before")
    @classmethod
    def _required(cls, value: object) -> str:
        chosen = _names(value)
        if chosen is None or any(f not in REGISTRATION_FIELDS for f in chosen):
            raise refuse(gettext("Unknown field."))
        return ",".join(f for f in REGISTRATION_FIELDS if f in chosen)


def _names(value: object) -> list[str] | None:
    """A list of names from the form, or None when it is not one."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        return None
    if not all(isinstance(item, str) for item in value):
        return None
    return list(value)
