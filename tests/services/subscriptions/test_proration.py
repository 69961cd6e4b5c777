"""Proration on fixed dates: mid-period, first and last day, leap year, rounding."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_app.services.subscriptions.proration import prorate


def test_mid_period_upgrade_in_january():
    # Jan 1 - Feb 1 is 31 days; on Jan 16, 16 days (16th..31st) are unused.
    p = prorate(
        old_price=10_00,
        new_price=30_00,
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
        today=date(2026, 1, 16),
    )
    assert (p.period_days, p.remaining_days) == (31, 16)
    assert p.credit_minor == 10_00 * 16 // 31 == 516
    assert p.charge_minor == 30_00 * 16 // 31 == 1548
    assert p.net_minor == 1032


def test_mid_period_downgrade_is_negative():
    p = prorate(
        old_price=30_00,
        new_price=10_00,
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
        today=date(2026, 1, 16),
    )
    assert (p.credit_minor, p.charge_minor, p.net_minor) == (1548, 516, -1032)


def test_first_day_prorates_the_whole_period():
    p = prorate(
        old_price=10_00,
        new_price=30_00,
        start=date(2026, 3, 1),
        end=date(2026, 4, 1),
        today=date(2026, 3, 1),
    )
    assert (p.remaining_days, p.credit_minor, p.charge_minor, p.net_minor) == (
        31,
        10_00,
        30_00,
        20_00,
    )


def test_last_day_prorates_one_day():
    p = prorate(
        old_price=10_00,
        new_price=30_00,
        start=date(2026, 4, 1),
        end=date(2026, 5, 1),
        today=date(2026, 4, 30),
    )
    assert (p.period_days, p.remaining_days) == (30, 1)
    assert (p.credit_minor, p.charge_minor, p.net_minor) == (33, 100, 67)


def test_leap_year_february_has_29_days():
    p = prorate(
        old_price=29_00,
        new_price=58_00,
        start=date(2024, 2, 1),
        end=date(2024, 3, 1),
        today=date(2024, 2, 29),
    )
    assert (p.period_days, p.remaining_days) == (29, 1)
    assert (p.credit_minor, p.charge_minor, p.net_minor) == (1_00, 2_00, 1_00)
    common = prorate(
        old_price=28_00,
        new_price=56_00,
        start=date(2026, 2, 1),
        end=date(2026, 3, 1),
        today=date(2026, 2, 15),
    )
    assert (common.period_days, common.remaining_days, common.net_minor) == (28, 14, 14_00)


def test_yen_has_no_minor_unit_and_rounds_down():
    p = prorate(
        old_price=1000,
        new_price=3000,
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
        today=date(2026, 1, 11),
    )
    assert (p.remaining_days, p.credit_minor, p.charge_minor) == (21, 677, 2032)


def test_outside_the_period_is_clamped_and_bad_input_refused():
    before = prorate(
        old_price=100,
        new_price=200,
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
        today=date(2025, 12, 1),
    )
    assert before.remaining_days == 31
    after = prorate(
        old_price=100,
        new_price=200,
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
        today=date(2026, 2, 5),
    )
    assert (after.remaining_days, after.net_minor) == (0, 0)
    with pytest.raises(ValueError):
        prorate(
            old_price=-1,
            new_price=1,
            start=date(2026, 1, 1),
            end=date(2026, 2, 1),
            today=date(2026, 1, 5),
        )
    with pytest.raises(ValueError):
        prorate(
            old_price=1,
            new_price=1,
            start=date(2026, 1, 1),
            end=date(2026, 1, 1),
            today=date(2026, 1, 1),
        )


@given(
    old=st.integers(0, 10**9),
    new=st.integers(0, 10**9),
    days=st.integers(1, 366),
    used=st.integers(0, 366),
)
def test_shares_never_exceed_the_prices(old, new, days, used):
    start = date(2024, 1, 1)
    end = date.fromordinal(start.toordinal() + days)
    today = date.fromordinal(start.toordinal() + min(used, days))
    p = prorate(old_price=old, new_price=new, start=start, end=end, today=today)
    assert 0 <= p.credit_minor <= old and 0 <= p.charge_minor <= new
    assert (p.net_minor > 0) == (p.charge_minor > p.credit_minor)
