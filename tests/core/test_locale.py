"""core/locale: months as the locale writes them (the staff dashboard's chart and table), and
stored UTC moments shown in the company's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal_app.core.locale import (
    display_locale,
    format_day,
    format_moment,
    format_month,
    local_moment,
    start_of_day,
    valid_time_zone,
)
from portal_app.core.money import format_money


def test_a_month_in_the_viewers_locale_with_or_without_its_year():
    march = date(2026, 3, 1)
    assert format_month(march, "en_US") == "Mar 2026"
    assert format_month(march, "de_DE") == "März 2026"
    assert format_month(march, "en_US", year=False) == "Mar"


# Babel writes "3:30:00\u202fAM" (CLDR puts a narrow no-break space before AM/PM).
# 2026's spring change: New York on 8 March (02:00 EST -> 03:00 EDT, 07:00 UTC), Berlin on
# 29 March (02:00 CET -> 03:00 CEST, 01:00 UTC).
NY_BEFORE = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
NY_AFTER = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
BERLIN_BEFORE = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
BERLIN_AFTER = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_a_moment_in_new_york_across_its_dst_change():
    # An hour apart in UTC, two hours apart on New York's clock.
    assert (
        format_moment(NY_BEFORE, "en_US", "America/New_York") == "Mar 8, 2026, 1:30:00\u202fAM EST"
    )
    assert (
        format_moment(NY_AFTER, "en_US", "America/New_York") == "Mar 8, 2026, 3:30:00\u202fAM EDT"
    )


def test_a_moment_in_berlin_across_its_dst_change():
    assert format_moment(BERLIN_BEFORE, "de_DE", "Europe/Berlin") == "29.03.2026, 01:30:00 MEZ"
    assert format_moment(BERLIN_AFTER, "de_DE", "Europe/Berlin") == "29.03.2026, 03:30:00 MESZ"


def test_the_date_is_the_zones_day():
    late = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    assert format_moment(late, "en_GB", "Europe/Berlin") == "6 Jan 2026, 00:30:00 CET"
    assert format_moment(late, "en_US", "America/New_York") == "Jan 5, 2026, 6:30:00\u202fPM EST"


def test_utc_by_default_and_for_naive_or_unknown_zones():
    moment = datetime(2026, 1, 5, 15, 4, 5, tzinfo=UTC)
    shown = "Jan 5, 2026, 3:04:05\u202fPM UTC"
    assert format_moment(moment, "en_US") == shown
    assert format_moment(moment.replace(tzinfo=None), "en_US", "UTC") == shown
    # A name stored before the check (or gone from the zone database) shows UTC, not an error.
    assert format_moment(moment, "en_US", "Mars/Olympus") == shown
    assert format_moment(None, "en_US", "Europe/Berlin") == ""


def test_local_days_start_at_the_zones_midnight():
    assert start_of_day(date(2026, 3, 8), "America/New_York") == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert start_of_day(date(2026, 3, 9), "America/New_York") == datetime(2026, 3, 9, 4, tzinfo=UTC)
    assert start_of_day(date(2026, 7, 1), "UTC") == datetime(2026, 7, 1, tzinfo=UTC)
    assert local_moment(NY_AFTER, "America/New_York").hour == 3


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_known_time_zones(name):
    assert valid_time_zone(name)


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus", "europe/berlin ", " UTC", "../etc/passwd", "/etc/localtime", None]
)
def test_unknown_time_zones_are_refused(name):
    assert not valid_time_zone(name)


@pytest.mark.parametrize(
    ("language", "formatting", "expected"),
    [
        # Nobody chose a language (a script, a job for nobody): the client's own locale.
        (None, "de_CH", "de_CH"),
        # The same language keeps the client's regional variant.
        ("de", "de_CH", "de_CH"),
        ("ja", "ja_JP", "ja_JP"),
        # Another language with the client's region where CLDR has it...
        ("en", "de_DE", "en_DE"),
        ("fr", "en_CA", "fr_CA"),
        ("pt_BR", "pt_PT", "pt_PT"),
        # ...else the language alone: a German reader of a US client never sees US formatting.
        ("de", "en_US", "de"),
        ("ja", "en_US", "ja"),
        ("pt_BR", "de_DE", "pt_BR"),
        ("en", "", "en_US"),
    ],
)
def test_the_displayed_locale_is_the_readers_language_in_the_clients_region(
    language, formatting, expected
):
    assert display_locale(language, formatting) == expected


def test_a_german_reader_of_a_us_client_sees_german_money_and_dates():
    locale = display_locale("de", "en_US")
    assert format_money(123456, "USD", locale) == "1.234,56\xa0$"
    assert format_day(date(2026, 1, 5), locale) == "05.01.2026"
