"""The staff console in the staff user's own language (issue 20): the switcher in the staff
shell saves it; navigation, a list, a detail page, money, dates and a service's refusal follow
it; Arabic lays the console out right to left and stays axe-clean; English stays the default."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal_app.core.locale import format_day
from portal_app.models import StaffUser
from portal_app.services.identity import audit
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_portal import wait_interactive
from tests.e2e.test_staff_documents import _staff

pytestmark = pytest.mark.e2e


def _set_staff_language(db, staff_id: int, language: str | None) -> None:
    with db() as session:
        user = session.get(StaffUser, staff_id)
        user.language = language
        session.add(user)


def _staff_sign_in(page, email: str, next_path: str) -> None:
    """Sign in through the form in whatever language the sign-in page shows (Enter in the
    password field sends it; the button's name follows the language)."""
    page.goto(f"/staff/login?next={next_path}")
    wait_interactive(page, "#email")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(re.escape(next_path) + r"/?$"))
    expect(page.locator("#main h1").first).to_be_visible()


def test_a_staff_user_who_chooses_german_sees_the_german_console(new_context, make, db):
    account = make.account()  # an en_US company: the staff user's choice wins
    invoice = make.invoice(account.client, currency="EUR")  # 2 × 100,00 € + 20 % VAT
    staff = _staff(db, account.company)
    page = new_context(locale="en-US").new_page()
    _staff_sign_in(page, staff.email, "/staff/invoices")
    # English is the default: the browser asks for it and nobody chose another.
    expect(page.get_by_role("heading", name="Invoices", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("#staff-language").select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    nav = page.get_by_role("navigation", name="Mitarbeiterkonsole").first
    expect(nav.get_by_role("link", name="Kunden", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Rechnungen", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Rechnungen", level=1)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Kunde")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=invoice.number)
    expect(row).to_contain_text(re.compile(r"240,00\s€"))
    expect(row).to_contain_text(format_day(invoice.issue_date, "de"))
    expect(row.get_by_text("Versendet")).to_be_visible()
    with db() as session:
        assert session.get(StaffUser, staff.id).language == "de"

    # The choice is the staff user's: a new sign-in in an English browser keeps it.
    page = new_context(locale="en-US").new_page()
    _staff_sign_in(page, staff.email, f"/staff/invoices/{invoice.id}")
    heading = page.get_by_role("heading", name=f"Rechnung {invoice.number}", level=1)
    expect(heading).to_be_visible()
    expect(page.get_by_text("Zwischensumme").first).to_be_visible()
    expect(page.locator("#main")).to_contain_text(format_day(invoice.issue_date, "de"))
    expect(page.get_by_role("button", name="Abmelden").first).to_be_visible()

    # A service's refusal reaches the staff user in German too.
    page.goto("/staff/clients")
    page.locator("#new-client").click()
    page.locator("#create-client").click()
    expect(page.get_by_text("Geben Sie den Namen des Kunden ein.")).to_be_visible()


def test_the_arabic_staff_console_is_right_to_left_and_axe_clean(new_context, make, db):
    account = make.account()
    staff = _staff(db, account.company)
    _set_staff_language(db, staff.id, "ar")
    page = new_context(locale="de-DE").new_page()
    _staff_sign_in(page, staff.email, "/staff/clients")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    nav = page.get_by_role("navigation", name="لوحة الموظفين").first
    expect(nav.get_by_role("link", name="العملاء", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="العملاء", level=1)).to_be_visible()
    # The sidebar sits on the right of a right-to-left page.
    assert nav.bounding_box()["x"] > page.locator("#main").bounding_box()["x"]
    expect(page.get_by_role("row").filter(has_text=account.client.name)).to_be_visible()
    assert _violations(page) == []
    page.goto("/staff")
    expect(page.get_by_role("heading", name="قائمة المهام", level=1)).to_be_visible()
    assert _violations(page) == []


def test_without_a_choice_the_staff_browsers_language_is_used(new_context, make, db):
    account = make.account()
    staff = _staff(db, account.company)
    page = new_context(locale="fr-FR").new_page()
    page.goto("/staff/login")
    expect(page.get_by_role("heading", name="Console du personnel", level=1)).to_be_visible()
    _staff_sign_in(page, staff.email, "/staff/clients")
    expect(page.get_by_role("heading", name="Clients", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Se déconnecter").first).to_be_visible()


def test_the_audit_log_reads_in_the_staff_users_language(new_context, make, db):
    account = make.account()
    invoice = make.invoice(account.client, currency="EUR")
    staff = _staff(db, account.company, role="admin")
    _set_staff_language(db, staff.id, "de")
    with db() as session:
        audit.record(
            session,
            company_id=account.company.id,
            client_id=account.client.id,
            action="invoice.marked_paid",
            actor_type="staff",
            actor_id=staff.id,
            entity_type="invoice",
            entity_id=invoice.id,
        )
    page = new_context(locale="en-US").new_page()
    _staff_sign_in(page, staff.email, "/staff/audit")
    row = page.get_by_test_id("audit-row").filter(
        has_text=f"Rechnung {invoice.number} als bezahlt markiert."
    )
    expect(row).to_have_count(1)
    expect(page.get_by_test_id("audit-row").filter(has_text="marked")).to_have_count(0)


def test_the_arabic_phone_menu_opens_from_the_right(new_context, make, db):
    account = make.account()
    staff = _staff(db, account.company)
    _set_staff_language(db, staff.id, "ar")
    page = new_context(locale="ar", viewport={"width": 390, "height": 800}).new_page()
    _staff_sign_in(page, staff.email, "/staff/clients")
    page.get_by_role("button", name="فتح القائمة").click()
    drawer = page.get_by_role("dialog")
    expect(drawer).to_be_visible()
    # Inline start of a right-to-left page: once slid in, the drawer's right edge is the
    # viewport's (before the fix it opened from the left, its left edge at 0).
    page.wait_for_function(
        """() => {
            const box = document.querySelector('[role=dialog]').getBoundingClientRect();
            return Math.abs(box.right - innerWidth) <= 1 && box.left > 0;
        }"""
    )
    box = drawer.bounding_box()
    assert abs(box["x"] + box["width"] - 390) <= 1 and box["x"] > 0
