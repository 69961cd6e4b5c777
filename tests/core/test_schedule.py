"""Schedule dates over month ends and leap years."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_app.core.schedule import FREQUENCY_LABELS, add_months, period_date
from portal_app.models.recurring import FREQUENCIES


def test_monthly_from_the_31st_returns_to_the_31st():
    start = date(2027, 1, 31)
    dates = [period_date(start, "monthly", n) for n in range(4)]
    assert dates == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]


def test_leap_years():
    assert period_date(date(2028, 1, 31), "monthly", 1) == date(2028, 2, 29)
    assert period_date(date(2028, 2, 29), "yearly", 1) == date(2029, 2, 28)
    assert period_date(date(2028, 2, 29), "yearly", 4) == date(2032, 2, 29)
    assert period_date(date(2027, 11, 30), "three_months", 1) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        ("daily", date(2027, 1, 1)),
        ("weekly", date(2027, 1, 7)),
        ("two_weeks", date(2027, 1, 14)),
        ("four_weeks", date(2027, 1, 28)),
        ("monthly", date(2027, 1, 31)),
        ("two_months", date(2027, 2, 28)),
        ("three_months", date(2027, 3, 31)),
        ("four_months", date(2027, 4, 30)),
        ("six_months", date(2027, 6, 30)),
        ("yearly", date(2027, 12, 31)),
    ],
)
def test_one_period_of_every_frequency(frequency, expected):
    assert period_date(date(2026, 12, 31), frequency, 1) == expected


def test_bad_input():
    with pytest.raises(ValueError):
        period_date(date(2027, 1, 1), "fortnightly", 1)
    with pytest.raises(ValueError):
        period_date(date(2027, 1, 1), "monthly", -1)


def test_every_frequency_has_a_label():
    assert set(FREQUENCY_LABELS) == set(FREQUENCIES)


dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31))


@given(start=dates, frequency=st.sampled_from(FREQUENCIES), n=st.integers(0, 240))
def test_dates_only_move_forward_and_never_skip_a_period(start, frequency, n):
    this, following = period_date(start, frequency, n), period_date(start, frequency, n + 1)
    assert following > this
    # A period is at least 1 day and at most 366 days long.
    assert timedelta(days=1) <= following - this <= timedelta(days=366)


@given(start=dates, months=st.integers(0, 600))
def test_month_steps_keep_the_day_or_end_the_month(start, months):
    moved = add_months(start, months)
    assert (moved.year * 12 + moved.month) - (start.year * 12 + start.month) == months
    if moved.day != start.day:
        # Clamped: the day did not exist, so we are on the month's last day.
        assert moved.day < start.day
        assert (moved + timedelta(days=1)).day == 1
