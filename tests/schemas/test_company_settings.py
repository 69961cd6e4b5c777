"""CompanySettingsIn: the /staff/settings form checked field by field, money as minor units."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from portal_app.core import i18n
from portal_app.schemas.company_settings import FLAG_FIELDS, CompanySettingsIn
from portal_app.schemas.forms import field_errors

GOOD = {
    "name": "Acme Ltd",
    "primary_color": "#4F46E5",
    "currency": "usd",
    "locale": "de_DE",
    "subscription_cancel_mode": "self",
    "renewal_retry_days": "1, 3,7",
    "link_lifetime_days": "14",
    "link_session_minutes": "60",
    "due_soon_days": "7",
    "prepayment_min": "1.00",
    "prepayment_max": "2500.50",
    "minimum_under_payment": "0",
}


TIME_ZONE_ERROR = "Not a known time zone (e.g. UTC, Europe/Berlin, America/New_York)."


def _errors(modules=("invoices",), required=(), flags=None, **changes) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        CompanySettingsIn.from_form({**GOOD, **changes}, flags or {}, list(modules), list(required))
    return field_errors(caught.value)


def test_a_good_form_gives_column_values_in_minor_units():
    form = CompanySettingsIn.from_form(
        GOOD, {"allow_registration": True}, ["payments", "invoices"], ["vat_number", "phone"]
    )
    columns = form.columns()
    assert columns["prepayment_min_minor"] == 100 and columns["prepayment_max_minor"] == 250050
    assert columns["minimum_under_payment_minor"] == 0
    assert all(isinstance(columns[c], int) for c in ("prepayment_min_minor", "link_lifetime_days"))
    assert (columns["currency"], columns["primary_color"]) == ("USD", "#4f46e5")
    assert columns["renewal_retry_days"] == "1,3,7"
    assert columns["enabled_modules"] == "invoices,payments"
    assert columns["registration_required_fields"] == "phone,vat_number"
    assert columns["allow_registration"] is True and columns["allow_over_payment"] is False
    assert "prepayment_min" not in columns


def test_amounts_follow_the_currency_exponent():
    jpy = CompanySettingsIn.from_form(
        {**GOOD, "currency": "JPY", "prepayment_max": "1500"}, {}, [], []
    )
    assert jpy.columns()["prepayment_max_minor"] == 1500
    kwd = CompanySettingsIn.from_form(
        {**GOOD, "currency": "KWD", "prepayment_min": "1.125"}, {}, [], []
    )
    assert kwd.columns()["prepayment_min_minor"] == 1125
    assert "prepayment_max" in _errors(currency="JPY", prepayment_max="12.5")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "Enter an amount from 0 up to the largest payment allowed."),
        ("1000000.00", "Enter an amount from 0 up to the largest payment allowed."),
        ("999999999999999", "Enter an amount from 0 up to the largest payment allowed."),
        ("1e3", "Enter an amount, e.g. 10.00."),
        ("1.001", "Enter an amount, e.g. 10.00."),
        ("NaN", "Enter an amount, e.g. 10.00."),
        ("Infinity", "Enter an amount, e.g. 10.00."),
        ("12,50", "Enter an amount, e.g. 10.00."),
        ("ten", "Enter an amount, e.g. 10.00."),
        ("", "Enter an amount, e.g. 10.00."),
        ("0" * 21, "Enter an amount, e.g. 10.00."),
    ],
)
def test_bad_amounts_are_refused_with_a_message_for_people(value, message):
    assert _errors(minimum_under_payment=value) == {"minimum_under_payment": message}


def test_a_float_is_not_money():
    # 0.1 + 0.2 is not 0.3 in binary; a float typed into the form is read as its text.
    assert _errors(minimum_under_payment=0.1 + 0.2) == {
        "minimum_under_payment": "Enter an amount, e.g. 10.00."
    }


def test_minimum_and_maximum_rules():
    assert _errors(prepayment_min="0") == {"prepayment_min": "The minimum must be more than zero."}
    assert _errors(prepayment_max="0.99") == {
        "prepayment_max": "The maximum must not be below the minimum."
    }


def test_amounts_are_not_checked_without_a_currency():
    assert _errors(currency="XYZ", prepayment_min="abc") == {
        "currency": "Choose one of USD, EUR, GBP, CAD, AUD, CHF, JPY, KWD."
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("locale", "xx_NOPE", "Not a known locale (e.g. en_US, de_DE, fr_FR)."),
        ("locale", "", "Not a known locale (e.g. en_US, de_DE, fr_FR)."),
        ("time_zone", "Mars/Olympus", TIME_ZONE_ERROR),
        ("time_zone", "CET+1", TIME_ZONE_ERROR),
        ("time_zone", "../../etc/passwd", TIME_ZONE_ERROR),
        ("name", "   ", "Enter the company's name."),
        ("name", "x" * 201, "Use at most 200 characters."),
        ("primary_color", "#1234567", "Use a colour like #4f46e5 (# and six hex digits)."),
        ("renewal_retry_days", "7,3", "Whole days, increasing, 1 to 60, e.g. 1,3,7."),
        ("renewal_retry_days", "²", "Whole days, increasing, 1 to 60, e.g. 1,3,7."),
        ("link_lifetime_days", "366", "Enter a whole number from 1 to 365."),
        ("link_lifetime_days", "²", "Enter a whole number from 1 to 365."),
        ("link_lifetime_days", "00001", "Use at most 4 characters."),
        ("subscription_cancel_mode", "never", "Choose self-service or on request."),
        ("invoice_terms", "x" * 4001, "Use at most 4000 characters."),
    ],
)
def test_each_field_has_its_own_message(field, value, message):
    assert _errors(**{field: value}) == {field: message}


def test_every_wrong_field_is_reported_once_with_its_first_problem():
    errors = _errors(name="", locale="nope", modules=["bitcoin"], required=["ssn"])
    assert set(errors) == {"name", "locale", "modules", "registration_required_fields"}
    assert errors["modules"] == "Unknown module."


def test_modules_must_be_a_list_of_known_names():
    assert "modules" in _errors(modules=[3])
    with pytest.raises(ValidationError):
        CompanySettingsIn.from_form(GOOD, {}, "invoices", [])


def test_injected_fields_are_ignored():
    form = CompanySettingsIn.from_form(
        {**GOOD, "id": "7", "company_id": "2", "quote_terms_version": "99", "logo_path": "/etc"},
        {"is_admin": True, "allow_registration": "on"},
        [],
        [],
    )
    columns = form.columns()
    assert not {"id", "company_id", "quote_terms_version", "logo_path", "is_admin"} & set(columns)
    assert columns["allow_registration"] is True
    assert set(FLAG_FIELDS) <= set(columns)


def test_the_checked_form_cannot_be_changed():
    form = CompanySettingsIn.from_form(GOOD, {}, [], [])
    with pytest.raises(ValidationError):
        form.prepayment_min = -5


REMINDER_HELP = (
    "Up to 5 whole numbers of days from -60 to 365, e.g. -3,7,14 (negative: before the due date)."
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("", ""), ("14, -3,7", "-3,7,14"), ("+7,7", "7"), ("-60,0,365", "-60,0,365")],
)
def test_the_reminder_schedule_is_stored_sorted(typed, stored):
    form = CompanySettingsIn.from_form({**GOOD, "reminder_days": typed}, {}, [], [])
    assert form.columns()["reminder_days"] == stored


@pytest.mark.parametrize(
    "typed", ["-61", "366", "1.5", "seven", "1,2,3,4,5,6", "--3", "²", "1;2", "0x10"]
)
def test_a_wrong_reminder_schedule_is_refused(typed):
    assert _errors(reminder_days=typed) == {"reminder_days": REMINDER_HELP}


def test_time_zone_is_an_iana_name_and_empty_means_utc():
    def zone(value):
        return CompanySettingsIn.from_form({**GOOD, "time_zone": value}, {}, [], []).time_zone

    assert zone(" America/New_York ") == "America/New_York"
    assert zone("") == "UTC"
    assert CompanySettingsIn.from_form(GOOD, {}, [], []).columns()["time_zone"] == "UTC"


def test_messages_are_in_the_language_of_the_event():
    with i18n.use_language("fr"):
        errors = _errors(name=" ", time_zone="Mars/Olympus", due_soon_days="91")
    assert errors["name"] == "Saisissez le nom de l'entreprise."
    assert errors["time_zone"].startswith("Fuseau horaire inconnu")
    assert errors["due_soon_days"].startswith("Saisissez un nombre entier de ")
