"""Dates, quantities and locale names as people read them, through Babel.

Leaf helpers: no database, no domain. Money formatting lives in core/money.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from babel.localedata import locale_identifiers
from babel.numbers import format_decimal


def format_quantity(quantity_milli: int) -> str:
    """A quantity in thousandths as the shortest decimal, e.g. 2000 -> '2', 1500 -> '1.5'."""
    whole, frac = divmod(quantity_milli, 1000)
    return str(whole) if frac == 0 else f"{whole}.{frac:03d}".rstrip("0")


def format_count(value: int, locale: str) -> str:
    """A whole number with the locale's grouping, e.g. 12345 -> '12,345' (en), '12.345' (de)."""
    return format_decimal(value, locale=locale)


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


def format_moment(value: datetime | None, locale: str, time_zone: str = "UTC") -> str:
    """A stored (UTC) moment in the locale's medium date and long time, shown in `time_zone`
    (an IANA name, the company's; the date is that zone's day too), e.g.
    'Jan 5, 2026, 3:04:05 PM UTC' or 'Jul 1, 2026, 8:00:00 AM EDT' for America/New_York."""
    if value is None:
        return ""
    zone = _zone(time_zone)
    local = local_moment(value, time_zone)
    # The locale's own way of joining a date and a time ('{1}, {0}', '{1} um {0}'...).
    pattern = str(Locale.parse(locale).datetime_formats["medium"])
    return pattern.format(
        format_time(local, "long", tzinfo=zone, locale=locale),
        format_date(local.date(), format="medium", locale=locale),
    )


def valid_time_zone(name: object) -> bool:
    """Whether `name` is an IANA time zone the system's zone database knows (e.g. Europe/Berlin)."""
    if not isinstance(name, str) or not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_moment(value: datetime, time_zone: str) -> datetime:
    """A stored (UTC; naive means UTC) moment as the wall-clock time in `time_zone`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_zone(time_zone))


def start_of_day(day: date, time_zone: str) -> datetime:
    """The UTC moment `day` begins in `time_zone`, for filtering stored times by local days."""
    return datetime.combine(day, time.min, tzinfo=_zone(time_zone)).astimezone(UTC)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | timezone:
    # An unknown name (a row written before the check, a zone database without it) shows UTC
    # rather than breaking the page.
    try:
        return ZoneInfo(name) if name and name != "UTC" else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def display_locale(language: str | None, formatting_locale: str) -> str:
    """The locale money and dates are shown in: the reader's `language` (a shipped code such as
    'de' or 'pt_BR'; None when nobody chose one) with the region of the client's or company's
    `formatting_locale`.

    The formatting locale itself when no language was chosen or it is already in that language
    (de + de_CH stays de_CH); else language_REGION where CLDR has it (en + de_DE -> en_DE);
    else the language alone (de + en_US -> de: there is no de_US), so a German reader never
    sees US number formatting.
    """
    base = formatting_locale or "en_US"
    if not language:
        return base
    return _combined_locale(language, base)


@lru_cache(maxsize=256)
def _combined_locale(language: str, base: str) -> str:
    try:
        parsed = Locale.parse(base)
    except (UnknownLocaleError, ValueError, TypeError):
        return language
    wanted = language.split("_")[0]
    if parsed.language == wanted:
        return base
    if parsed.territory and f"{wanted}_{parsed.territory}" in _locale_identifiers():
        return f"{wanted}_{parsed.territory}"
    return language


@lru_cache(maxsize=1)
def _locale_identifiers() -> frozenset[str]:
    return frozenset(locale_identifiers())


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
