"""Browser security headers on the real server's responses, read in Chromium, and the pages
that matter still working under the Content-Security-Policy: signing in, the dashboard, an
invoice and paying with (localstripe's) Stripe.js card element, with
no CSP violation reported on the way."""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from portal_app.security_headers import IMMUTABLE
from portal_app.state import browser_js
from tests.e2e.conftest import Factory
from tests.e2e.test_pay import PAYMENT_URL, _open_checkout, _type_card
from tests.e2e.test_portal import sign_in
from tests.helpers.quotes import add_quote

pytestmark = pytest.mark.e2e

NO_REFERRER_PATHS = [
    "/client/password/reset?token=abc",
    "/client/invoice/some-emailed-key",
    "/client/quote/some-emailed-key",
    "/subscribe/some-link-key",
]
HASHED_ASSET = re.compile(r"/assets/[^/]*-[A-Za-z0-9_-]{8}\.(js|css)$")
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
});
"""


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_common_headers(url: str, headers: dict[str, str]) -> None:
    """What every response of ours carries, whatever it is."""
    assert headers.get("x-content-type-options") == "nosniff", url
    assert headers.get("x-frame-options") == "DENY", url
    assert "content-security-policy" in headers, url
    csp = csp_directives(headers["content-security-policy"])
    assert csp.get("frame-ancestors") == ["'none'"], url
    assert "'unsafe-inline'" not in csp.get("script-src", []), url
    assert "camera=()" in headers.get("permissions-policy", ""), url
    assert "referrer-policy" in headers, url
    # The e2e server's base URL is http: no HSTS (it would pin the browser to https).
    assert "strict-transport-security" not in headers, url


def test_every_kind_of_response_carries_the_headers(page: Page, base_url: str, localstripe_url):
    seen: dict[str, dict[str, str]] = {}
    page.on("response", lambda r: seen.setdefault(r.url, r.all_headers()))
    document = page.goto("/client/login")  # redirected to /client/login/ by the static server
    assert document is not None
    expect(page.locator("#email")).to_be_visible()
    ours = {url: h for url, h in seen.items() if url.startswith(base_url)}
    # The page itself, its scripts, styles and fonts, all served by the backend.
    assert any("/assets/" in url for url in ours), sorted(ours)
    for url, headers in ours.items():
        assert_common_headers(url, headers)

    login = document.all_headers()
    assert login["referrer-policy"] == "strict-origin-when-cross-origin"
    csp = csp_directives(login["content-security-policy"])
    stripe_origin = localstripe_url.rstrip("/")
    assert stripe_origin in csp["script-src"]
    assert stripe_origin in csp["connect-src"] and stripe_origin in csp["frame-src"]
    assert f"ws://{urlsplit(base_url).netloc}" in csp["connect-src"]
    assert csp["object-src"] == ["'none'"]
    # Reflex's inline scripts run by their hashes, not by 'unsafe-inline'.
    assert any(source.startswith("'sha256-") for source in csp["script-src"])
    permissions = login["permissions-policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions
    assert f'payment=(self "{stripe_origin}")' in permissions

    request = page.context.request
    for path in ("/ping", "/_health", "/api/health", "/favicon.ico", "/no/such/page"):
        response = request.get(path)
        assert_common_headers(path, response.headers)
    signed_out = request.get("/api/invoices/1/pdf")
    assert signed_out.status == 401
    assert_common_headers("/api/invoices/1/pdf", signed_out.headers)


def test_the_portals_browser_modules_are_served_from_its_origin(page: Page):
    """assets/js/*.js, at the versioned URLs Python imports them from: a JavaScript type (a
    module under nosniff needs one), our headers, and a validator so a revisit costs a 304."""
    request = page.context.request
    for module in browser_js.MODULES:
        url = browser_js.module_url(module)
        response = request.get(url)
        assert response.status == 200, url
        assert "javascript" in response.headers["content-type"], url
        assert "export " in response.text(), url
        assert_common_headers(url, response.headers)
        etag = response.headers.get("etag")
        assert etag, url
        again = request.get(url, headers={"If-None-Match": etag})
        assert again.status == 304, url
        # The URL changes with the content (?v=<digest>): kept a year, never revalidated.
        assert response.headers.get("cache-control") == IMMUTABLE, url


def test_hashed_front_end_files_are_immutable_and_pages_revalidated(page: Page, base_url: str):
    seen: dict[str, dict[str, str]] = {}
    page.on("response", lambda r: seen.setdefault(r.url, r.all_headers()))
    document = page.goto("/client/login")
    assert document is not None
    expect(page.locator("#email")).to_be_visible()
    assert document.all_headers().get("cache-control") == "no-cache"
    hashed = {
        url: headers
        for url, headers in seen.items()
        if url.startswith(base_url) and HASHED_ASSET.search(urlsplit(url).path)
    }
    assert any(url.endswith(".js") for url in hashed), sorted(seen)
    assert any(url.endswith(".css") for url in hashed), sorted(seen)
    for url, headers in hashed.items():
        assert headers.get("cache-control") == IMMUTABLE, url


def test_hashed_front_end_files_are_served_brotli_compressed(page: Page, base_url: str):
    seen: list[str] = []
    page.on("response", lambda r: seen.append(r.url))
    page.goto("/client/login")
    expect(page.locator("#email")).to_be_visible()
    script = next(
        url
        for url in seen
        if url.startswith(base_url)
        and url.endswith(".js")
        and HASHED_ASSET.search(urlsplit(url).path)
    )
    for accepted, encoding in (("br, gzip", "br"), ("gzip", "gzip")):
        request = urllib.request.Request(script, headers={"Accept-Encoding": accepted})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our server
            assert response.headers.get("Content-Encoding") == encoding, (script, accepted)
            assert response.headers.get("Cache-Control") == IMMUTABLE


@pytest.mark.parametrize("path", NO_REFERRER_PATHS)
def test_pages_with_a_token_in_the_url_send_no_referrer(page: Page, path: str):
    response = page.goto(path)
    assert response is not None
    headers = response.all_headers()
    assert_common_headers(path, headers)
    assert headers["referrer-policy"] == "no-referrer"


def test_the_handoff_route_sends_no_referrer(page: Page):
    response = page.context.request.get("/api/auth/handoff?code=nothing", max_redirects=0)
    assert response.status == 303
    assert_common_headers("/api/auth/handoff", response.headers)
    assert response.headers["referrer-policy"] == "no-referrer"


def test_pages_work_under_the_policy(page: Page, make: Factory, db):
    problems: list[str] = []

    page.add_init_script(WATCH_VIOLATIONS)
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def violations(tab: Page) -> list[str]:
        return tab.evaluate("window.__cspViolations || []")

    account = make.account()
    invoice = make.invoice(account.client)

    login = page.goto("/client/login")
    assert login is not None and "content-security-policy" in login.all_headers()
    sign_in(page, account)  # the sign-in form, then the dashboard
    expect(page.locator("#main h1").first).to_be_visible()
    assert violations(page) == []

    page.goto(f"/client/invoices/{invoice.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(invoice.number)
    assert violations(page) == []

    # The pay page loads Stripe.js from its origin, mounts the card element and pays.
    _open_checkout(page, invoice)
    _type_card(page, "4242424242424242")
    page.locator("#pay-button").click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    expect(page.locator("#payment-thanks")).to_be_visible()
    assert violations(page) == []

    assert re.search(r"/client/payments/\d+", page.url)

    # Pages whose scripts run on load: the signature pad on a quote, Stripe.js mounted for a
    # pre-payment, the document list with its upload box.
    with db() as session:
        quote = add_quote(session, account.client, number=f"Q-CSP-{account.client.id}")
    for path, ready in (
        (f"/client/quotes/{quote.id}", "#quote-totals"),
        ("/client/prepayment", "#prepay-button"),
        ("/client/payment_methods", "#main h1"),
        ("/client/documents", "#main h1"),
        ("/client/statement", "#main h1"),
    ):
        page.goto(path)
        expect(page.locator(ready).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path

    assert problems == [], "\n".join(problems)
