"""Money: integer minor units, currency exponents, Babel formatting, parsing and percentages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from portal_app.core.money import (
    SUPPORTED_CURRENCIES,
    Money,
    currency_exponent,
    format_money,
    parse_major,
    percent_of,
)

NBSP = "\u00a0"


def test_currency_exponents():
    assert [currency_exponent(c) for c in ("JPY", "USD", "EUR", "KWD", "usd")] == [0, 2, 2, 3, 2]


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "expected"),
    [
        (123456, "USD", "en_US", "$1,234.56"),
        (-123456, "USD", "en_US", "-$1,234.56"),
        (5, "USD", "en_US", "$0.05"),
        (0, "USD", "en_US", "$0.00"),
        # Babel puts a non-breaking space between the amount and the sign in German.
        (123456, "EUR", "de_DE", f"1.234,56{NBSP}€"),
        (123456, "JPY", "ja_JP", "￥123,456"),
        (123456, "JPY", "en_US", "¥123,456"),
        (1234567, "KWD", "en_US", "KWD1,234.567"),
        (1, "KWD", "en_US", "KWD0.001"),
        (123456, "usd", "en_US", "$1,234.56"),
    ],
)
def test_format_money(minor, currency, locale, expected):
    assert format_money(minor, currency, locale) == expected
    assert Money(minor, currency.upper()).format(locale) == expected


def test_format_money_has_no_decimals_for_yen_and_three_for_dinar():
    assert "." not in format_money(100, "JPY", "en_US")
    assert format_money(100, "JPY", "en_US").endswith("100")
    assert format_money(1000, "KWD", "en_US").endswith("1.000")


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.56", "USD", 123456),
        (" 12.3 ", "USD", 1230),
        ("12", "USD", 1200),
        ("-0.01", "USD", -1),
        ("1234", "JPY", 1234),
        ("1.000", "JPY", 1),  # trailing zeros are not extra precision
        ("1.234", "KWD", 1234),
        ("0.5", "KWD", 500),
    ],
)
def test_parse_major(text, currency, minor):
    assert parse_major(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [("0.001", "USD"), ("12.345", "EUR"), ("1.5", "JPY"), ("0.0001", "KWD"), ("1.000001", "USD")],
)
def test_parse_major_refuses_too_many_decimals(text, currency):
    with pytest.raises(ValueError, match="decimal places"):
        parse_major(text, currency)


def test_parse_major_refuses_nan():
    with pytest.raises(ValueError):
        parse_major("NaN", "USD")


@pytest.mark.parametrize(
    "text",
    ["", "abc", "1,5", "Infinity", "-Infinity", "1e3", "1e100000", "9e999999999", "0.0000001"],
)
def test_parse_major_accepts_only_plain_decimals(text):
    with pytest.raises(ValueError):
        parse_major(text, "USD")


@pytest.mark.parametrize(
    ("minor", "basis_points", "expected"),
    [
        (10000, 2000, 2000),  # 20 % of 100.00
        (5, 5000, 3),  # 2.5 rounds half away from zero
        (-5, 5000, -3),
        (1, 4999, 0),  # 0.4999 rounds down
        (1, 5000, 1),  # 0.5 rounds up
        (3, 3333, 1),  # 0.9999
        (0, 2000, 0),
        (12345, 0, 0),
        (999, 10000, 999),
        (1050, 825, 87),  # 86.625 -> 87
        (-1050, 825, -87),
    ],
)
def test_percent_of_rounding(minor, basis_points, expected):
    assert percent_of(minor, basis_points) == expected


@given(minor=st.integers(-(10**15), 10**15), basis_points=st.integers(0, 100_000))
def test_percent_of_matches_decimal_half_up(minor, basis_points):
    exact = Decimal(minor) * basis_points / 10_000
    assert percent_of(minor, basis_points) == int(exact.quantize(Decimal(1), "ROUND_HALF_UP"))
    assert percent_of(-minor, basis_points) == -percent_of(minor, basis_points)


def _plain_decimal(minor: int, exponent: int) -> str:
    """Minor units written as a plain major-unit decimal without using Decimal or float."""
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(exponent + 1, "0")
    if exponent == 0:
        return sign + digits
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


@given(minor=st.integers(-(10**12), 10**12), currency=st.sampled_from(SUPPORTED_CURRENCIES))
def test_parse_major_round_trips_every_exponent(minor, currency):
    text = _plain_decimal(minor, currency_exponent(currency))
    assert parse_major(text, currency) == minor
    assert Money(minor, currency).to_decimal() == Decimal(text)


@given(minor=st.integers(0, 10**12), currency=st.sampled_from(["USD", "EUR", "JPY", "KWD"]))
def test_formatted_en_us_amount_parses_back(minor, currency):
    formatted = format_money(minor, currency, "en_US")
    number = "".join(ch for ch in formatted if ch.isdigit() or ch == ".")
    assert parse_major(number, currency) == minor


def test_money_refuses_non_integers():
    for bad in (1.5, 1.0, Decimal("1"), "100", True, None):
        with pytest.raises(TypeError):
            Money(bad, "USD")


def test_money_arithmetic_stays_in_one_currency():
    assert Money(150, "USD") + Money(250, "USD") == Money(400, "USD")
    assert Money(150, "USD") - Money(250, "USD") == Money(-100, "USD")
    with pytest.raises(ValueError, match="USD"):
        Money(100, "USD") + Money(100, "EUR")
    with pytest.raises(ValueError):
        Money(100, "JPY") - Money(100, "USD")


def test_money_to_decimal_uses_the_currency_exponent():
    assert Money(123456, "USD").to_decimal() == Decimal("1234.56")
    assert Money(123456, "JPY").to_decimal() == Decimal("123456")
    assert Money(123456, "KWD").to_decimal() == Decimal("123.456")


@given(
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    currency=st.sampled_from(SUPPORTED_CURRENCIES),
    locale=st.sampled_from(["en_US", "de_DE", "fr_FR", "fr_CH", "ja_JP", "ar_KW", "en_IN"]),
)
def test_format_money_says_what_babels_format_currency_says(minor, currency, locale):
    """The kept locale pattern changes the speed, never the text."""
    amount = Decimal(minor).scaleb(-currency_exponent(currency))
    assert format_money(minor, currency, locale) == format_currency(amount, currency, locale=locale)
