"""Proration of a plan change for the unused part of the current period (pure arithmetic).

Definitions, all in integer minor units of the plan's currency:
- A period runs from `start` (its first day) up to `end` (exclusive: the first day of the next
  period, which is also the next charge date). period_days = (end - start) in days.
- remaining_days = (end - today) in days, clamped to 0..period_days. The day of the change
  counts as unused, so a change on the first day prorates the whole period and one on the last
  day prorates one day.
- credit = old_price * remaining_days // period_days   (what is left of the old plan)
- charge = new_price * remaining_days // period_days   (the new plan for the same days)
- net = charge - credit: above zero is charged now (upgrade); below zero is owed to the client
  (downgrade, a credit note or nothing when the change waits for the period's end).
Both shares are rounded down, each on its own, so neither side is ever over-counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Proration:
    """What a change on `today` is worth; see the module docstring for the formula."""

    period_days: int
    remaining_days: int
    credit_minor: int
    charge_minor: int

    @property
    def net_minor(self) -> int:
        return self.charge_minor - self.credit_minor


def prorate(*, old_price: int, new_price: int, start: date, end: date, today: date) -> Proration:
    """The credit for the old plan and the charge for the new one over the unused days."""
    if old_price < 0 or new_price < 0:
        raise ValueError("prices must not be negative")
    period_days = (end - start).days
    if period_days <= 0:
        raise ValueError("a period must end after it starts")
    remaining = min(max((end - today).days, 0), period_days)
    return Proration(
        period_days=period_days,
        remaining_days=remaining,
        credit_minor=old_price * remaining // period_days,
        charge_minor=new_price * remaining // period_days,
    )
