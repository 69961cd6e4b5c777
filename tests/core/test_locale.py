"""core/locale: months as the locale writes them (the staff dashboard's chart and table)."""

from __future__ import annotations

from datetime import date

from portal_app.core.locale import format_month


def test_a_month_in_the_viewers_locale_with_or_without_its_year():
    march = date(2026, 3, 1)
    assert format_month(march, "en_US") == "Mar 2026"
    assert format_month(march, "de_DE") == "März 2026"
    assert format_month(march, "en_US", year=False) == "Mar"
