"""The portal in the contact's language: the browser's Accept-Language, the contact's own
choice (which wins), <html lang dir>, Arabic right to left and axe-clean, and the switcher."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal_app.models import ClientContact
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_portal import sign_in

pytestmark = pytest.mark.e2e


def _set_language(db, contact_id: int, language: str | None) -> None:
    with db() as session:
        contact = session.get(ClientContact, contact_id)
        contact.language = language
        session.add(contact)


def test_accept_language_de_shows_the_german_portal(new_context, make):
    account = make.account()
    page = new_context(locale="de-DE").new_page()
    sign_in(page, account)
    nav = page.get_by_role("navigation", name="Portal").first
    expect(nav.get_by_role("link", name="Rechnungen", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", name="Übersicht", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden").first).to_be_visible()


def test_the_contacts_arabic_wins_right_to_left_and_axe_clean(new_context, make, db):
    account = make.account()
    _set_language(db, account.contact.id, "ar")
    page = new_context(locale="de-DE").new_page()
    sign_in(page, account)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    nav = page.get_by_role("navigation", name="البوابة").first
    expect(nav.get_by_role("link", name="الفواتير", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="لوحة المعلومات", level=1)).to_be_visible()
    # The sidebar sits on the right of a right-to-left page.
    main_box = page.locator("#main").bounding_box()
    nav_box = nav.bounding_box()
    assert nav_box["x"] > main_box["x"]
    assert _violations(page) == []


def test_the_switcher_saves_the_contacts_language(new_context, make, db):
    account = make.account()
    page = new_context(locale="en-US").new_page()
    sign_in(page, account)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#language-switcher").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    # The page was reloaded in French: texts built on the server follow.
    expect(page.get_by_role("heading", name="À traiter")).to_be_visible()
    with db() as session:
        assert session.get(ClientContact, account.contact.id).language == "fr"
