"""Dates of schedules that repeat: recurring invoices, subscriptions, repeated pre-payments."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from portal_app.core.i18n import N_

# frequency -> (days, months) per period; exactly one is non-zero.
_STEPS: dict[str, tuple[int, int]] = {
    "daily": (1, 0),
    "weekly": (7, 0),
    "two_weeks": (14, 0),
    "four_weeks": (28, 0),
    "monthly": (0, 1),
    "two_months": (0, 2),
    "three_months": (0, 3),
    "four_months": (0, 4),
    "six_months": (0, 6),
    "yearly": (0, 12),
}
# The frequencies a schedule may have, in the order forms list them.
FREQUENCIES = tuple(_STEPS)

# English msgids (N_), translated where shown.
FREQUENCY_LABELS = {
    "daily": N_("Daily"),
    "weekly": N_("Weekly"),
    "two_weeks": N_("Every two weeks"),
    "four_weeks": N_("Every four weeks"),
    "monthly": N_("Monthly"),
    "two_months": N_("Every two months"),
    "three_months": N_("Quarterly"),
    "four_months": N_("Every four months"),
    "six_months": N_("Every six months"),
    "yearly": N_("Yearly"),
}


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months, clamped to the last day of a shorter month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def period_date(start: date, frequency: str, periods: int) -> date:
    """The date `periods` periods after `start`.

    Always counted from the schedule's first date, never from the previous one, so a monthly
    schedule that starts on Jan 31 goes to Feb 28 (29 in a leap year), then back to Mar 31.
    """
    if frequency not in _STEPS:
        raise ValueError(f"unknown frequency {frequency!r}")
    if periods < 0:
        raise ValueError("periods must not be negative")
    days, months = _STEPS[frequency]
    if days:
        return start + timedelta(days=days * periods)
    return add_months(start, months * periods)
