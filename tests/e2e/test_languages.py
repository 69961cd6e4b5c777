"""The portal in the contact's language: the browser's Accept-Language, the contact's own
choice (which wins), <html lang dir>, Arabic right to left and axe-clean, and the switcher."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portal_app.models import ClientContact
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_portal import ROW, wait_interactive

pytestmark = pytest.mark.e2e


def _set_language(db, contact_id: int, language: str | None) -> None:
    with db() as session:
        contact = session.get(ClientContact, contact_id)
        contact.language = language
        session.add(contact)


def open_sign_in(page) -> None:
    """Open the sign-in page and wait until its form is usable (the page holds its sign-in
    binding and its session check is done), so a choice made on it is kept."""
    page.goto("/client/login")
    wait_interactive(page, "#email")
    expect(page.locator("#email")).to_be_enabled()


def sign_in(page, account) -> None:
    """Sign in through the form in whatever language the sign-in page shows (the button's
    name follows it: Enter in the password field sends the form instead)."""
    open_sign_in(page)
    wait_interactive(page, "#email")
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r"/client/dashboard/?$"))
    expect(page.locator("#main h1").first).to_be_visible()


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
    # The browser tab too (the page titles were English in every language).
    expect(page).to_have_title("Übersicht · Kundenportal")


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


# --------------------------------------------------------------------------- the sign-in page


def test_the_sign_in_page_follows_accept_language_de(new_context):
    context = new_context(
        locale="de-DE", extra_http_headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    )
    page = context.new_page()
    open_sign_in(page)
    expect(page.get_by_text("Bei Ihrem Portal anmelden")).to_be_visible()
    expect(page.get_by_role("link", name="Passwort vergessen?")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("#signin-language")).to_have_value("de")
    expect(page).to_have_title("Anmelden · Kundenportal")


def test_the_sign_in_switcher_changes_the_language_and_a_reload_keeps_it(new_context):
    context = new_context(locale="en-US")
    page = context.new_page()
    open_sign_in(page)
    expect(page.get_by_text("Sign in to your portal")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    wait_interactive(page, "#signin-language")
    page.locator("#signin-language").select_option("ja")
    # The texts follow without a reload.
    expect(page.get_by_text("ポータルにログイン")).to_be_visible()
    expect(page.get_by_role("link", name="パスワードをお忘れですか？")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    # The choice is this browser's: kept in the portal_lang cookie, before Accept-Language.
    page.wait_for_function("document.cookie.split('; ').includes('portal_lang=ja')")
    page.reload()
    expect(page.get_by_text("ポータルにログイン")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#signin-language")).to_have_value("ja")


def test_the_arabic_sign_in_page_is_right_to_left_and_axe_clean(new_context):
    page = new_context(locale="ar", extra_http_headers={"Accept-Language": "ar"}).new_page()
    open_sign_in(page)
    expect(page.get_by_text("سجّل الدخول إلى بوابتك")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    wait_interactive(page, "#signin-language")
    assert _violations(page) == []


# --------------------------------------------------------------------------- the invoice list


def test_the_invoice_status_badges_are_in_the_contacts_french(new_context, make, db):
    account = make.account()
    _set_language(db, account.contact.id, "fr")
    paid = make.invoice(account.client, status="paid", paid_minor=240_00)
    overdue = make.invoice(
        account.client,
        issue_date=date.today() - timedelta(days=40),
        due_date=date.today() - timedelta(days=5),
    )
    unpaid = make.invoice(account.client)
    page = new_context(locale="en-US").new_page()
    sign_in(page, account)
    page.goto("/client/invoices")
    expect(page.locator(ROW)).to_have_count(3)
    expected = {
        paid.number: ("Payée", "green"),
        overdue.number: ("En retard", "red"),
        unpaid.number: ("Impayée", "amber"),
    }
    for number, (label, color) in expected.items():
        badge = (
            page.locator(ROW)
            .filter(has=page.get_by_role("rowheader", name=number))
            .locator(".rt-Badge")
        )
        expect(badge).to_have_text(label)
        # Coloured by the status, not by the (now translated) label.
        expect(badge).to_have_attribute("data-accent-color", color)


# --------------------------------------------------------------------------- invoice and pay pages


def test_an_invoice_and_its_pay_page_in_german_then_arabic(new_context, make, db):
    """Labels in the contact's language, money as the German company's locale writes it; the
    card step (shared by the pay pages) too; in Arabic the same pages run right to left."""
    account = make.account(locale="de_DE")
    invoice = make.invoice(account.client, currency="EUR")  # 2 × 100,00 € + 20 % VAT
    page = new_context(locale="de-DE").new_page()
    sign_in(page, account)
    page.goto(f"/client/invoices/{invoice.id}")
    expect(page.get_by_role("heading", name=f"Rechnung {invoice.number}", level=1)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Beschreibung")).to_be_visible()
    totals = page.locator("#invoice-totals")
    expect(totals).to_contain_text("Zwischensumme")
    expect(totals).to_contain_text("Offener Betrag")
    expect(totals).to_contain_text(re.compile(r"240,00\s€"))
    expect(page.locator("#main .rt-Badge").filter(has_text="Unbezahlt").first).to_be_visible()
    page.locator("#pay-now").click()
    page.wait_for_url(re.compile(r"/client/pay\?invoices="))
    expect(page.get_by_role("heading", name="Rechnungen bezahlen", level=1)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Rechnung", exact=True)).to_be_visible()
    expect(page.locator("#pay-total")).to_have_text(re.compile(r"^240,00\s€$"))
    expect(page.locator("#pay-summary")).to_contain_text("Fälliger Gesamtbetrag")
    expect(page.locator("#pay-button")).to_have_text(re.compile(r"^240,00\s€ zahlen$"))
    expect(page.get_by_role("heading", name="Bezahlen mit", level=2)).to_be_visible()
    expect(page.get_by_text("Eine neue Karte")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")

    _set_language(db, account.contact.id, "ar")
    page.goto(f"/client/invoices/{invoice.id}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.get_by_role("heading", name=f"الفاتورة {invoice.number}", level=1)).to_be_visible()
    expect(page.locator("#invoice-totals")).to_contain_text("الرصيد المستحق")
    page.locator("#pay-now").click()
    page.wait_for_url(re.compile(r"/client/pay\?invoices="))
    expect(page.get_by_role("heading", name="دفع الفواتير", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="الدفع باستخدام", level=2)).to_be_visible()
