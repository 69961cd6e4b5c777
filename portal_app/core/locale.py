"""Dates, quantities and locale names as people read them, through Babel.

Leaf helpers: no database, no domain. Money formatting lives in core/money.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time


def format_quantity(quantity_milli: int) -> str:
    """A quantity in thousandths as the shortest decimal, e.g. 2000 -> '2', 1500 -> '1.5'."""
    whole, frac = divmod(quantity_milli, 1000)
    return str(whole) if frac == 0 else f"{whole}.{frac:03d}".rstrip("0")


def format_day(value: date | datetime | None, locale: str) -> str:
    """A date (or the day of a datetime) in the client's locale, e.g. 'Jan 5, 2026'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return _medium_date(value, locale)


@lru_cache(maxsize=4096)
def _medium_date(value: date, locale: str) -> str:
    # Lists show the same few dates many times over; Babel's formatting is not free.
    return format_date(value, format="medium", locale=locale)


def format_month(value: date, locale: str, *, year: bool = True) -> str:
    """A month as the locale writes it, e.g. 'Mar 2026' (en), 'März 2026' (de); without the
    year ('Mar') for a chart's axis."""
    return format_skeleton("yMMM" if year else "MMM", value, locale=locale)


def format_moment(value: datetime | None, locale: str) -> str:
    """A moment in the locale's medium date and long time, in UTC (stored times are UTC and
    a company has no time zone yet), e.g. 'Jan 5, 2026, 3:04:05 PM UTC'."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # The locale's own way of joining a date and a time ('{1}, {0}', '{1} um {0}'...).
    pattern = str(Locale.parse(locale).datetime_formats["medium"])
    return pattern.format(
        format_time(value, "long", tzinfo=UTC, locale=locale),
        format_date(value.astimezone(UTC).date(), format="medium", locale=locale),
    )


def valid_locale(text: str) -> bool:
    """Whether Babel knows this locale identifier (e.g. en_US, de_DE, fr)."""
    try:
        Locale.parse(text)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    # CLDR's region names keyed by ISO 3166-1 alpha-2 code (plus numeric regions, skipped).
    codes = Locale.parse("en").territories
    return frozenset(
        c for c in codes if isinstance(c, str) and len(c) == 2 and c.isalpha() and c != "ZZ"
    )


def valid_country_code(text: str) -> bool:
    """Whether `text` is an ISO 3166-1 alpha-2 country code CLDR knows (e.g. DE, FR, US)."""
    return text in _country_codes()
