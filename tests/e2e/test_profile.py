"""/client/profile in a real Chromium (issue 18 item 9): the name changes in the shell, a new
e-mail address is used only after the link mailed to it (read from the real SMTP test server)
is followed, a wrong current password is refused next to its field, the language changes the
page, and the billing details are read-only unless the company allows edits."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import AuditEvent, Client, ClientContact
from tests.e2e.conftest import PASSWORD, Factory, uid
from tests.e2e.test_portal import nav_link, sign_in, submit_login, wait_interactive

pytestmark = pytest.mark.e2e

PROFILE_URL = re.compile(r"/client/profile/?$")


def _open_profile(page: Page) -> None:
    nav_link(page, "Profile").click()
    page.wait_for_url(PROFILE_URL)
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    wait_interactive(page, "#profile-first_name")


def _mailed_link(mail_server, address: str) -> str:
    (message,) = mail_server.to(address)
    text = message.get_body(preferencelist=("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+", text)
    return link


def test_name_and_email_change_with_the_mailed_link(page: Page, db, make: Factory, mail_server):
    account = make.account()
    sign_in(page, account)
    _open_profile(page)

    page.locator("#profile-first_name").fill("Robin")
    page.locator("#profile-phone").fill("call me")
    page.locator("#save-details").click()
    # A wrong field is refused next to it, and nothing is saved.
    expect(page.locator("#profile-phone-error")).to_contain_text("phone number")
    page.locator("#profile-phone").fill("+1 555 0100")
    page.locator("#save-details").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(page.get_by_text("Robin Contact").first).to_be_visible()

    new_email = f"e2e-new-{uid()}@example.test"
    page.locator("#profile-email").fill(new_email)
    page.locator("#change-email").click()
    expect(page.get_by_text(f"We have sent a link to {new_email}")).to_be_visible()
    with db() as session:
        assert session.get(ClientContact, account.contact.id).email == account.email

    link = _mailed_link(mail_server, new_email)
    page.goto(urlsplit(link).path + "?" + urlsplit(link).query)
    wait_interactive(page, "#confirm-email-change")
    page.locator("#confirm-email-change").click()
    expect(page.locator("#email-change-message")).to_contain_text("is confirmed")
    with db() as session:
        contact = session.get(ClientContact, account.contact.id)
        assert (contact.email, contact.first_name, contact.phone) == (
            new_email,
            "Robin",
            "+1 555 0100",
        )
    # The old address is told, and the same link does not work twice.
    assert mail_server.to(account.email)
    page.reload()
    wait_interactive(page, "#confirm-email-change")
    page.locator("#confirm-email-change").click()
    expect(page.locator("#email-change-message")).to_contain_text("invalid or has expired")


def test_a_wrong_current_password_is_refused_next_to_the_field(
    page: Page, new_context, make: Factory
):
    account = make.account()
    sign_in(page, account)
    _open_profile(page)
    page.locator("#profile-current_password").fill("not-my-password")
    page.locator("#profile-new_password").fill("a-new-long-passphrase")
    page.locator("#profile-repeat_password").fill("a-new-long-passphrase")
    page.locator("#change-password").click()
    expect(page.locator("#profile-current_password-error")).to_contain_text(
        "not your current password"
    )
    # The old password still signs in.
    other = new_context().new_page()
    other.goto("/client/login")
    submit_login(other, account.email, PASSWORD)
    other.wait_for_url(re.compile(r"/client/dashboard/?$"))


def test_language_change_takes_effect(page: Page, make: Factory):
    account = make.account()
    sign_in(page, account)
    _open_profile(page)
    page.locator("#profile-language").select_option("de")
    page.locator("#save-preferences").click()
    expect(page.get_by_role("heading", name="Ihr Profil")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(nav_link(page, "Profil")).to_be_visible()


def test_billing_details_edit_where_allowed_and_audited(page: Page, db, make: Factory):
    locked = make.account()
    sign_in(page, locked)
    _open_profile(page)
    expect(page.get_by_text("keeps your billing details")).to_be_visible()
    expect(page.locator("#profile-address1")).to_have_count(0)

    account = make.account(allow_client_detail_edits=True)
    page.context.clear_cookies()
    sign_in(page, account)
    _open_profile(page)
    wait_interactive(page, "#profile-address1")
    page.locator("#profile-address1").fill("5 Market Square")
    page.locator("#profile-vat_number").fill("DE 999")
    page.locator("#save-billing").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    with db() as session:
        client = session.get(Client, account.client.id)
        assert (client.address1, client.vat_number) == ("5 Market Square", "DE 999")
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.client_id == account.client.id)
        ).all()
        assert "client_details_changed" in actions
