"""The company's primary colour brands the client shell, with readable text on it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Factory
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_portal import sign_in

pytestmark = pytest.mark.e2e


def _css(page: Page, selector: str, prop: str) -> str:
    return page.locator(selector).first.evaluate(
        "(el, prop) => getComputedStyle(el).getPropertyValue(prop).trim()", prop
    )


@pytest.mark.parametrize(
    ("colour", "rgb", "text"),
    [
        # Dark green: white text. Gold: black text (white on gold would fail contrast).
        ("#0a7f3b", "rgb(10, 127, 59)", "rgb(255, 255, 255)"),
        ("#FFD700", "rgb(255, 215, 0)", "rgb(0, 0, 0)"),
    ],
)
def test_company_colour_brands_the_shell(page: Page, make: Factory, colour, rgb, text):
    account = make.account(primary_color=colour)
    invoice = make.invoice(account.client)
    sign_in(page, account)
    page.goto(f"/client/invoices/{invoice.id}")
    pay = page.locator("#pay-now")
    expect(pay).to_be_visible()

    assert _css(page, "#portal-shell", "--portal-accent") == colour.lower()
    assert _css(page, ".portal-brand", "background-color") == rgb
    assert _css(page, ".portal-brand", "color") == text
    # The primary (solid) button takes the colour too, with the same readable text.
    assert _css(page, "#pay-now", "background-color") == rgb
    assert _css(page, "#pay-now", "color") == text
    assert _violations(page) == []


def test_colour_that_is_not_hex_falls_back_to_the_default(page: Page, make: Factory):
    # Written straight to the column (the settings form would refuse it).
    account = make.account(primary_color="red;x:y")
    sign_in(page, account)

    assert _css(page, "#portal-shell", "--portal-accent") == "#4f46e5"
    assert _css(page, ".portal-brand", "background-color") == "rgb(79, 70, 229)"


def test_staff_sidebar_hides_switched_off_modules(page: Page, make: Factory, db):
    from tests.e2e.test_staff import _staff_user, staff_sign_in

    company = make.company(enabled_modules="invoices")
    staff = _staff_user(db, company)
    staff_sign_in(page, staff.email)

    sidebar = page.get_by_role("navigation", name="Staff console").first
    expect(sidebar.get_by_role("link", name="Invoices")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Settings")).to_be_visible()
    for label in ("Quotes", "Credits", "Payments"):
        expect(sidebar.get_by_role("link", name=label)).to_have_count(0)


def test_saving_settings_updates_the_staff_sidebar_at_once(page: Page, make: Factory, db):
    from tests.e2e.test_portal import wait_interactive
    from tests.e2e.test_staff import _staff_user, staff_sign_in

    company = make.company()
    staff = _staff_user(db, company, role="admin")
    staff_sign_in(page, staff.email, "/staff/settings")
    sidebar = page.get_by_role("navigation", name="Staff console").first
    expect(sidebar.get_by_role("link", name="Quotes")).to_be_visible()

    wait_interactive(page, "#save-settings")
    page.get_by_role("checkbox", name="Quotes", exact=True).click()
    page.locator("#save-settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()

    expect(sidebar.get_by_role("link", name="Quotes")).to_have_count(0)
    expect(sidebar.get_by_role("link", name="Credits")).to_be_visible()
