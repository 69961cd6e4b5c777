"""Login CSRF, in a real Chromium.

- A handoff URL (`/api/auth/handoff?code=...`) made for one browser signs no other browser in:
  the code is bound to the sign-in binding cookie of the browser that asked for it.
- An e-mailed link of another account never silently replaces the session a browser has.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import AuthSession
from portal_app.services.invitations import create_invoice_invitation
from tests.e2e.conftest import PASSWORD, Factory
from tests.e2e.test_portal import (
    LINK_NOTICE,
    detail_url,
    sign_in,
    submit_login,
    wait_interactive,
)
from tests.e2e.test_staff import _staff_user

pytestmark = pytest.mark.e2e

LOGIN_URL = re.compile(r"/client/login/?(\?.*)?$")
STAFF_LOGIN_URL = re.compile(r"/staff/login/?(\?.*)?$")
DASHBOARD_URL = re.compile(r"/client/dashboard/?$")
SESSION = "portal_session"
STAFF_SESSION = "portal_staff_session"


def _cookie(context, name: str) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == name), None)


def _stopped_handoff(page: Page, route_glob: str, act: Callable[[], None]) -> str:
    """Do `act` and stop this browser at the handoff it is sent to: return that URL, unused."""
    page.context.route(route_glob, lambda route: route.abort())
    with page.expect_event("requestfailed", lambda r: "/handoff" in r.url) as failed:
        act()
    page.context.unroute(route_glob)
    return failed.value.url


# --------------------------------------------------------------------------- handoff binding


def test_a_client_handoff_url_opened_in_another_browser_signs_no_one_in(new_context, make: Factory):
    account = make.account()
    invoice = make.invoice(account.client)
    first = new_context()
    page = first.new_page()
    page.goto("/client/login")
    url = _stopped_handoff(
        page, "**/api/auth/handoff*", lambda: submit_login(page, account.email, PASSWORD)
    )
    assert _cookie(first, SESSION) is None

    # Another browser opening that URL (a victim sent it by the person who signed in).
    second = new_context()
    victim = second.new_page()
    victim.goto(url)
    victim.wait_for_url(LOGIN_URL)
    assert _cookie(second, SESSION) is None
    assert second.request.get(f"/api/invoices/{invoice.id}/pdf").status == 401

    # The browser that asked for it still gets in with the same, still unused, URL.
    page.goto(url)
    page.wait_for_url(DASHBOARD_URL)
    expect(page.locator("#main h1").first).to_be_visible()
    assert first.request.get(f"/api/invoices/{invoice.id}/pdf").status == 200


def test_a_staff_handoff_url_opened_in_another_browser_signs_no_one_in(
    new_context, make: Factory, db
):
    company = make.company()
    staff = _staff_user(db, company)
    first = new_context()
    page = first.new_page()
    page.goto("/staff/login")

    def submit() -> None:
        wait_interactive(page, "#email")
        page.locator("#email").fill(staff.email)
        page.locator("#password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()

    url = _stopped_handoff(page, "**/api/staff/auth/handoff*", submit)
    second = new_context()
    victim = second.new_page()
    victim.goto(url)
    victim.wait_for_url(STAFF_LOGIN_URL)
    assert _cookie(second, STAFF_SESSION) is None

    page.goto(url)
    page.wait_for_url(re.compile(r"/staff/clients/?$"))
    expect(page.locator("#main h1").first).to_be_visible()


# --------------------------------------------------------------------------- e-mailed links


def test_another_accounts_emailed_link_asks_before_replacing_the_session(
    page: Page, context, make: Factory, db
):
    mine = make.account()
    my_invoice = make.invoice(mine.client)
    theirs = make.account()
    their_invoice = make.invoice(theirs.client)
    with db() as session:
        key = create_invoice_invitation(session, contact=theirs.contact, invoice=their_invoice)
    sign_in(page, mine)
    before = _cookie(context, SESSION)

    page.goto(f"/client/invoice/{key}")
    question = page.locator("#link-other-account")
    expect(question).to_be_visible()
    expect(question).to_contain_text(mine.client.name)
    # Nothing changed: same cookie, still my account, no session opened for the link.
    assert _cookie(context, SESSION) == before
    assert context.request.get(f"/api/invoices/{my_invoice.id}/pdf").status == 200
    assert context.request.get(f"/api/invoices/{their_invoice.id}/pdf").status == 404
    with db() as session:
        opened = session.exec(
            select(AuthSession).where(AuthSession.contact_id == theirs.contact.id)
        ).all()
        assert opened == []

    # Keeping my session goes back to my portal.
    page.locator("#link-keep-session").click()
    page.wait_for_url(DASHBOARD_URL)
    assert context.request.get(f"/api/invoices/{my_invoice.id}/pdf").status == 200

    # Asked again, the click opens the link and signs me out of my own account.
    page.goto(f"/client/invoice/{key}")
    page.locator("#link-switch-account").click()
    page.wait_for_url(detail_url(their_invoice.id))
    expect(page.get_by_text(LINK_NOTICE)).to_be_visible()
    assert context.request.get(f"/api/invoices/{my_invoice.id}/pdf").status == 404
    with db() as session:
        mine_open = session.exec(
            select(AuthSession).where(
                AuthSession.contact_id == mine.contact.id, AuthSession.revoked_at.is_(None)
            )
        ).all()
        assert mine_open == []


def test_my_own_emailed_link_keeps_my_full_session(page: Page, context, make: Factory, db):
    account = make.account()
    invoice = make.invoice(account.client)
    with db() as session:
        key = create_invoice_invitation(session, contact=account.contact, invoice=invoice)
    sign_in(page, account)
    before = _cookie(context, SESSION)

    page.goto(f"/client/invoice/{key}")
    page.wait_for_url(detail_url(invoice.id))
    expect(page.get_by_role("heading", level=1)).to_contain_text(invoice.number)
    expect(page.get_by_text(LINK_NOTICE)).to_have_count(0)
    assert _cookie(context, SESSION) == before
