"""Dates as the portal shows them: Babel's medium format in the client's locale."""

from datetime import UTC, date, datetime

from babel.dates import format_date
from hypothesis import given
from hypothesis import strategies as st

from portal_app.core.locale import format_day


@given(
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    locale=st.sampled_from(["en_US", "de_DE", "fr_FR", "ja_JP", "ar_KW", "en_GB"]),
)
def test_format_day_says_what_babel_says(day, locale):
    assert format_day(day, locale) == format_date(day, format="medium", locale=locale)


def test_a_datetime_shows_its_day_and_nothing_shows_empty():
    moment = datetime(2026, 1, 5, 23, 59, tzinfo=UTC)
    assert format_day(moment, "en_US") == "Jan 5, 2026"
    assert format_day(None, "en_US") == ""
