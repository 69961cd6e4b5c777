"""Money as integer minor units plus an ISO 4217 code; the only place units are converted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision

from portal_app.core.i18n import gettext, ngettext

SUPPORTED_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "KWD")


def currency_exponent(currency: str) -> int:
    """Number of decimal places of `currency` (JPY 0, USD 2, KWD 3)."""
    return get_currency_precision(currency.upper())


def major_text(minor: int, currency: str) -> str:
    """Plain decimal text of an amount in major units, exact ('1234.50', JPY '1500', KWD
    '1.250'): what machine-readable formats (e-invoices, payment QR codes) carry."""
    exponent = currency_exponent(currency)
    return f"{Decimal(minor).scaleb(-exponent):.{exponent}f}"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents, yen, fils) of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        # A runtime guard: callers the checker does not see (forms, JSON) may pass a float.
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError("Money.minor must be an int of minor units")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def to_decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-currency_exponent(self.currency))

    def format(self, locale: str = "en_US") -> str:
        return format_money(self.minor, self.currency, locale)


@lru_cache(maxsize=16384)
def format_money(minor: int, currency: str, locale: str = "en_US") -> str:
    """Format minor units for display in `locale`, e.g. 123456 USD en_US -> '$1,234.56'.

    What babel.numbers.format_currency gives, with the locale's parsed data and currency
    pattern kept between calls (a list page formats two amounts a row). Results are kept too:
    every view of a page formats the same few amounts again, and Babel's pattern takes ~20 us."""
    amount = Decimal(minor).scaleb(-currency_exponent(currency))
    parsed, pattern = _currency_pattern(locale)
    return pattern.apply(amount, parsed, currency=currency.upper(), currency_digits=True)


@lru_cache(maxsize=64)
def _currency_pattern(locale: str) -> tuple[Locale, NumberPattern]:
    parsed = Locale.parse(locale)
    return parsed, parsed.currency_formats["standard"]


_PLAIN_DECIMAL = re.compile(r"-?\d{1,15}(?:\.\d{1,6})?")


def parse_major(text: str, currency: str) -> int:
    """Parse a plain decimal string in major units ("12.50") into minor units.

    Only digits with an optional sign and decimal point are accepted (no exponents, NaN or
    infinities, at most 15 integer digits); more decimals than the currency has is an error.
    Every refusal is a ValueError with a message fit to show next to the field, in the
    current language.
    """
    cleaned = text.strip()
    if not _PLAIN_DECIMAL.fullmatch(cleaned):
        raise ValueError(gettext("Enter an amount such as 12.50."))
    exponent = currency_exponent(currency)
    scaled = Decimal(cleaned).scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(
            ngettext(
                "%(currency)s allows at most %(num)d decimal place.",
                "%(currency)s allows at most %(num)d decimal places.",
                exponent,
            )
            % {"currency": currency, "num": exponent}
        )
    return int(scaled)


def percent_of(minor: int, basis_points: int) -> int:
    """`basis_points`/10000 of `minor`, rounded half away from zero (taxes on a line)."""
    numerator = minor * basis_points
    quotient, remainder = divmod(abs(numerator), 10_000)
    if remainder * 2 >= 10_000:
        quotient += 1
    return quotient if numerator >= 0 else -quotient
