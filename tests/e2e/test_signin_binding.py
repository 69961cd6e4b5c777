"""Login CSRF and side effects of opening a URL, in a real Chromium.

- A handoff URL (`/api/auth/handoff?code=...`) made for one browser signs no other browser in:
  the code is bound to the sign-in binding cookie of the browser that asked for it.
- An e-mailed link of another account never silently replaces the session a browser has.
- A link from another site to /staff/preview/N, /client/logout, /staff/logout or the sign-out
  routes changes nothing: the preview starts and sign-out happens only from a button.

"Another site" is a page served by a second local HTTP server on 127.0.0.1, while the portal is
on localhost: a different site for SameSite cookies.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import AuditEvent, AuthSession
from portal_app.services.identity.invitations import create_invoice_invitation
from tests.e2e.conftest import PASSWORD, Factory
from tests.e2e.test_portal import (
    LINK_NOTICE,
    detail_url,
    sign_in,
    submit_login,
    wait_interactive,
)
from tests.e2e.test_staff import _staff_user, staff_sign_in

pytestmark = pytest.mark.e2e

LOGIN_URL = re.compile(r"/client/login/?(\?.*)?$")
STAFF_LOGIN_URL = re.compile(r"/staff/login/?(\?.*)?$")
DASHBOARD_URL = re.compile(r"/client/dashboard/?$")
SESSION = "portal_session"
STAFF_SESSION = "portal_staff_session"


# --------------------------------------------------------------------------- another site


@pytest.fixture(scope="module")
def other_site() -> Iterator[Callable[[str], str]]:
    """`other_site(body)` serves `body` as an HTML page on http://127.0.0.1:<port>/<n>."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            data = f"<!doctype html><html><body>{body}</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(body: str) -> str:
        path = f"/{len(pages)}"
        pages[path] = body
        return f"http://127.0.0.1:{server.server_address[1]}{path}"

    yield serve
    server.shutdown()
    server.server_close()


def _link(href: str, link_id: str = "go") -> str:
    return f'<a id="{link_id}" href="{html.escape(href)}">{link_id}</a>'


def _cookie(context, name: str) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == name), None)


def _stopped_handoff(page: Page, route_glob: str, act: Callable[[], None]) -> str:
    """Do `act` and stop this browser at the handoff it is sent to: return that URL, unused."""
    page.context.route(route_glob, lambda route: route.abort())
    with page.expect_event("requestfailed", lambda r: "/handoff" in r.url) as failed:
        act()
    page.context.unroute(route_glob)
    return failed.value.url


# --------------------------------------------------------------------------- binding with the page


@pytest.mark.parametrize("path", ["/client/login", "/staff/login"])
def test_a_sign_in_page_loads_once_with_its_binding(new_context, make: Factory, path):
    """A first visit gets the binding cookie with the page (api/signin.BindingCookieMiddleware)
    and the page at its own URL (reflex_ext/asgi.PageWithoutRedirect): no round trip through
    /api/auth/binding, no 307 to the slashed URL, no second load of the page and its scripts."""
    context = new_context()
    page = context.new_page()
    documents: list[str] = []
    page.on("request", lambda r: documents.append(r.url) if r.resource_type == "document" else None)
    page.goto(path)
    wait_interactive(page, "#email")
    expect(page.locator("#email")).to_be_enabled()
    assert _cookie(context, "portal_signin_binding") is not None
    assert [u for u in documents if "/api/auth/binding" in u or "bound=1" in u] == []
    assert len(documents) == 1, documents


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

    # The browser that asked for it still gets in with the same, still unused, URL (in a new
    # tab of that browser: the stopped tab's own page stays out of the way).
    tab = first.new_page()
    tab.goto(url)
    tab.wait_for_url(DASHBOARD_URL)
    expect(tab.locator("#main h1").first).to_be_visible()
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

    tab = first.new_page()
    tab.goto(url)
    tab.wait_for_url(re.compile(r"/staff/clients/?$"))
    expect(tab.locator("#main h1").first).to_be_visible()


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


# --------------------------------------------------------------------------- page loads


def test_a_link_from_another_site_starts_no_preview_until_the_button(
    page: Page, context, make: Factory, db, base_url, other_site
):
    account = make.account()
    staff = _staff_user(db, account.company)
    staff_sign_in(page, staff.email)

    page.goto(other_site(_link(f"{base_url}/staff/preview/{account.contact.id}")))
    page.locator("#go").click()
    page.wait_for_url(re.compile(rf"/staff/preview/{account.contact.id}/?(\?.*)?$"))
    # The page loaded (its on_load ran: it names the contact) and offers the button...
    confirm = page.locator("#preview-confirm")
    expect(confirm).to_contain_text(account.contact.email)
    start = page.locator("#start-preview")
    expect(start).to_be_enabled()
    # ...but nothing started: no audit event, no client cookie.
    page.wait_for_timeout(1000)
    assert _cookie(context, SESSION) is None
    assert _preview_events(db, account.client.id) == 0

    start.click()
    page.wait_for_url(DASHBOARD_URL)
    expect(page.locator("#preview-banner")).to_be_visible()
    assert _cookie(context, SESSION) is not None
    assert _preview_events(db, account.client.id) == 1


def _preview_events(db, client_id: int) -> int:
    with db() as session:
        return len(
            session.exec(
                select(AuditEvent).where(
                    AuditEvent.action == "preview_started", AuditEvent.client_id == client_id
                )
            ).all()
        )


def test_links_and_forms_from_another_site_sign_no_one_out(
    page: Page, context, make: Factory, base_url, other_site
):
    account = make.account()
    invoice = make.invoice(account.client)
    sign_in(page, account)
    pdf = f"/api/invoices/{invoice.id}/pdf"

    for target in ("/api/auth/logout", "/client/logout"):
        page.goto(other_site(_link(base_url + target)))
        page.locator("#go").click()
        page.wait_for_url(re.compile(r"/client/logout/?$"))
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.wait_for_timeout(500)
        assert context.request.get(pdf).status == 200, target
    # A form on another site posting to the sign-out route is refused.
    form = (
        f'<form id="f" method="post" action="{html.escape(base_url)}/api/auth/logout">'
        '<button id="go">go</button></form>'
    )
    page.goto(other_site(form))
    with page.expect_response(re.compile(r"/api/auth/logout")) as response:
        page.locator("#go").click()
    assert response.value.status == 403
    assert _cookie(context, SESSION) is not None
    assert context.request.get(pdf).status == 200

    # The button signs out.
    page.goto("/client/logout")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(LOGIN_URL)
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert context.request.get(pdf).status == 401


def test_links_from_another_site_sign_no_staff_out(
    page: Page, context, make: Factory, db, base_url, other_site
):
    company = make.company()
    staff = _staff_user(db, company)
    staff_sign_in(page, staff.email)
    token = _cookie(context, STAFF_SESSION)

    for target in ("/api/staff/auth/logout", "/staff/logout"):
        page.goto(other_site(_link(base_url + target)))
        page.locator("#go").click()
        page.wait_for_url(re.compile(r"/staff/logout/?$"))
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.wait_for_timeout(500)
        assert _cookie(context, STAFF_SESSION) == token, target
    page.goto("/staff/clients")
    expect(page.locator("#main h1").first).to_be_visible()

    page.goto("/staff/logout")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(STAFF_LOGIN_URL)
    assert _cookie(context, STAFF_SESSION) is None
