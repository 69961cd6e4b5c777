"""Sign-in by e-mailed code in a real Chromium, the code read from the real SMTP test server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import AuthSession
from portal_app.services.identity.invitations import create_invoice_invitation
from tests.e2e.conftest import PASSWORD, Factory
from tests.e2e.test_portal import LOGIN_URL, detail_url, submit_login, wait_interactive

pytestmark = pytest.mark.e2e

NEUTRAL = "If that e-mail address belongs to a portal account, we have sent it a sign-in code."


def _mailed_code(mail_server, address: str) -> str:
    (message,) = mail_server.to(address)
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.findall(r"\b\d{6}\b", text)[0]


def _sign_in_with_code(page: Page, mail_server, address: str) -> None:
    """From the sign-in page: ask for a code, read it from the mail, type it."""
    expect(page).to_have_url(LOGIN_URL)
    wait_interactive(page, "#email")
    page.get_by_role("button", name="E-mail me a code").click()
    wait_interactive(page, "#code_email")
    page.locator("#code_email").fill(address)
    page.get_by_role("button", name="E-mail me a code").click()
    expect(page.get_by_text(NEUTRAL)).to_be_visible()
    page.locator("#code").fill(_mailed_code(mail_server, address))
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_link_session_steps_up_with_an_emailed_code(new_context, db, make: Factory, mail_server):
    account = make.account()
    invoice = make.invoice(account.client)
    with db() as session:
        key = create_invoice_invitation(session, contact=account.contact, invoice=invoice)
    context = new_context()
    page = context.new_page()
    page.goto(f"/client/invoice/{key}")
    page.wait_for_url(detail_url(invoice.id))
    expect(page.get_by_role("link", name="Credits")).to_have_count(0)

    page.get_by_role("link", name="Sign in with your password").click()
    _sign_in_with_code(page, mail_server, account.email)

    page.wait_for_url(re.compile(r"/client/dashboard/?$"))
    # The whole account: the navigation has more than the link's document.
    expect(page.get_by_role("link", name="Credits").first).to_be_visible()
    with db() as session:
        kinds = session.exec(
            select(AuthSession.kind).where(AuthSession.contact_id == account.contact.id)
        ).all()
    assert sorted(kinds) == ["code", "link"]


def test_codes_only_company_refuses_the_password_and_unknown_gets_the_same_answer(
    page: Page, make: Factory, mail_server
):
    account = make.account(codes_only=True)
    page.goto("/client/login")
    submit_login(page, account.email, PASSWORD)
    expect(page.locator("#login-error")).to_contain_text("e-mailed codes")

    # An unknown address gets the same answer as a known one, and no mail.
    unknown = f"nobody-{account.contact.id}@example.test"
    page.get_by_role("button", name="E-mail me a code").click()
    wait_interactive(page, "#code_email")
    page.locator("#code_email").fill(unknown)
    page.get_by_role("button", name="E-mail me a code").click()
    expect(page.get_by_text(NEUTRAL)).to_be_visible()
    page.get_by_role("button", name="Sign in with a password instead").click()

    _sign_in_with_code(page, mail_server, account.email)
    page.wait_for_url(re.compile(r"/client/dashboard/?$"))
    assert mail_server.to(unknown, wait=2) == []
