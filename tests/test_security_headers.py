"""The security headers: the rules (portal_app/security_headers.py) and the middleware on a
Starlette app, through Starlette's TestClient."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient

from portal_app.security_headers import (
    IMMUTABLE,
    HeaderPolicy,
    SecurityHeadersMiddleware,
    cache_control,
    inline_script_hashes,
    policy_from,
    referrer_policy,
)
from portal_app.state import browser_js

SCRIPT = "window.__ready = true;"
PAGE = (
    "<!DOCTYPE html><html><head>"
    f"<script>{SCRIPT}</script>"
    '<script type="module" src="/assets/app.js"></script>'
    "</head><body><p>hello</p></body></html>"
)
LOCAL = policy_from(
    base_url="http://localhost:8000",
    stripe_js_url="http://localhost:8420/js.stripe.com/v3/",
    stripe_api_base="http://localhost:8420",
    backend_urls=["ws://localhost:8000/_event", "http://localhost:8000/_upload"],
)


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}


# --------------------------------------------------------------------------- the rules


def test_inline_script_hashes_cover_inline_scripts_only():
    assert inline_script_hashes(PAGE) == [sha256_source(SCRIPT)]
    # Attributes, case, a repeated script, CRLF line ends (browsers hash LF), JSON data blocks.
    html = (
        '<SCRIPT id="_R_" data-x="a>b">one()</SCRIPT><script>one()</script>'
        "<script>a();\r\nb();</script><script src='x.js'></script>"
        '<script type="application/json">{"a": 1}</script>'
    )
    assert inline_script_hashes(html) == [
        sha256_source("one()"),
        sha256_source("a();\nb();"),
        sha256_source('{"a": 1}'),
    ]
    assert inline_script_hashes("<p>no scripts</p>") == []


def test_local_policy_allows_localstripe_and_the_backend():
    csp = directives(LOCAL.content_security_policy([sha256_source(SCRIPT)]))
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == [
        "'self'",
        sha256_source(SCRIPT),
        "'unsafe-eval'",
        "http://localhost:8420",
    ]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert csp["connect-src"] == [
        "'self'",
        "http://localhost:8000",
        "ws://localhost:8000",
        "http://localhost:8420",
    ]
    assert csp["frame-src"] == ["'self'", "http://localhost:8420"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "upgrade-insecure-requests" not in csp


def test_production_policy_with_real_stripe():
    policy = policy_from(
        base_url="https://portal.example.com",
        stripe_js_url="https://js.stripe.com/v3/",
        stripe_api_base=None,
        backend_urls=["wss://portal.example.com/_event", "https://portal.example.com/_upload"],
    )
    csp = directives(policy.content_security_policy())
    assert csp["script-src"] == [
        "'self'",
        "'unsafe-eval'",
        "https://js.stripe.com",
        "https://*.js.stripe.com",
    ]
    assert csp["connect-src"] == [
        "'self'",
        "https://portal.example.com",
        "wss://portal.example.com",
        "https://js.stripe.com",
        "https://api.stripe.com",
    ]
    assert "https://hooks.stripe.com" in csp["frame-src"]
    assert "https://api.stripe.com" in csp["frame-src"]
    assert "upgrade-insecure-requests" in csp
    headers = dict(policy.headers_for("/client/dashboard"))
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["Permissions-Policy"] == (
        'camera=(), microphone=(), geolocation=(), payment=(self "https://js.stripe.com")'
    )


def test_no_hsts_without_https():
    assert "Strict-Transport-Security" not in dict(LOCAL.headers_for("/client/dashboard"))


@pytest.mark.parametrize(
    "path",
    [
        "/client/password/reset",
        "/client/password/reset/",
        "/client/register/confirm",
        "/client/profile/email",
        "/client/invoice/abcdef",
        "/client/quote/abcdef",
        "/subscribe/abcdef",
        "/api/auth/handoff",
        "/api/staff/auth/handoff",
        "/api/files/token",
    ],
)
def test_token_carrying_paths_send_no_referrer(path: str):
    assert referrer_policy(path) == "no-referrer"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/client/login",
        "/client/invoices",
        "/client/invoices/5",
        "/client/quotes/3",
        "/client/profile",
    ],
)
def test_other_paths_send_the_origin_only_across_sites(path: str):
    assert referrer_policy(path) == "strict-origin-when-cross-origin"


# --------------------------------------------------------------------------- the middleware


def _app(policy: HeaderPolicy = LOCAL, **routes) -> TestClient:
    async def page(request):
        return Response(PAGE, media_type="text/html")

    async def gzipped(request):
        return Response(
            gzip.compress(PAGE.encode()),
            media_type="text/html",
            headers={"Content-Encoding": "gzip"},
        )

    async def streamed(request):
        async def parts():
            for i in range(0, len(PAGE), 7):
                yield PAGE[i : i + 7]

        return StreamingResponse(parts(), media_type="text/html")

    async def data(request):
        return JSONResponse({"ok": True})

    async def own_headers(request):
        return PlainTextResponse(
            "x",
            headers={"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "sandbox"},
        )

    async def not_modified(request):
        return Response(status_code=304, headers={"ETag": '"abc"'})

    async def echo(request):
        return JSONResponse(
            {
                "accept-encoding": request.headers.get("accept-encoding"),
                "if-none-match": request.headers.get("if-none-match"),
            }
        )

    app = Starlette(
        routes=[
            Route("/page", page),
            Route("/gzipped", gzipped),
            Route("/streamed", streamed),
            Route("/data", data),
            Route("/own", own_headers),
            Route("/api/files/{token}", own_headers),
            Route("/assets/app.js", not_modified),
            Route("/echo", echo),
            Route("/echo.js", echo),
        ]
    )
    return TestClient(SecurityHeadersMiddleware(app, policy))


@pytest.mark.parametrize("path", ["/page", "/gzipped", "/streamed"])
def test_html_gets_the_hashes_of_its_own_inline_scripts(path: str):
    response = _app().get(path)
    assert response.status_code == 200
    assert response.text == PAGE  # the body is passed on unchanged
    csp = directives(response.headers["content-security-policy"])
    assert csp["script-src"][:2] == ["'self'", sha256_source(SCRIPT)]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_other_response_gets_the_headers_too():
    client = _app()
    for response in (client.get("/data"), client.get("/nowhere")):
        csp = directives(response.headers["content-security-policy"])
        assert not [s for s in csp["script-src"] if s.startswith("'sha256-")]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in response.headers["permissions-policy"]
    assert client.get("/nowhere").status_code == 404


def test_hsts_on_every_response_under_https():
    policy = policy_from(
        base_url="https://portal.example.com",
        stripe_js_url="https://js.stripe.com/v3/",
        stripe_api_base=None,
    )
    for path in ("/page", "/data", "/nowhere"):
        response = _app(policy).get(path)
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_headers_a_route_set_itself_are_kept():
    response = _app().get("/own")
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_document_files_may_be_framed_by_our_own_pages():
    async def pdf(request):
        return Response(b"%PDF-1.4", media_type="application/pdf")

    app = Starlette(routes=[Route("/api/files/{token}", pdf)])
    response = TestClient(SecurityHeadersMiddleware(app, LOCAL)).get("/api/files/abc")
    assert response.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_a_304_keeps_the_policy_made_for_the_cached_body():
    response = _app().get("/assets/app.js")
    assert response.status_code == 304
    assert "content-security-policy" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def test_page_requests_ask_for_a_full_body_in_an_encoding_we_can_read():
    headers = {"Accept-Encoding": "br, zstd, gzip;q=0.9, identity", "If-None-Match": '"abc"'}
    client = _app()
    page = client.get("/echo", headers=headers).json()
    assert page == {"accept-encoding": "gzip;q=0.9, identity", "if-none-match": None}
    # Assets keep brotli and their validators.
    asset = client.get("/echo.js", headers=headers).json()
    assert asset == {"accept-encoding": headers["Accept-Encoding"], "if-none-match": '"abc"'}


def test_the_built_front_end_through_static_files(tmp_path):
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "index.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    app = Starlette()
    app.mount("/", StaticFiles(directory=tmp_path, html=True))
    client = TestClient(SecurityHeadersMiddleware(app, LOCAL))
    first = client.get("/")
    assert sha256_source(SCRIPT) in first.headers["content-security-policy"]
    # The browser's revalidation is answered in full, with the policy for that body.
    again = client.get("/", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200
    assert sha256_source(SCRIPT) in again.headers["content-security-policy"]


def test_a_file_the_server_sends_itself_is_read_for_its_scripts(tmp_path):
    """Granian's `http.response.pathsend` (Starlette's FileResponse uses it when offered)."""
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(PAGE.encode()))

    async def app(scope, receive, send):
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html"), (b"content-encoding", b"gzip")],
            }
        )
        await send({"type": "http.response.pathsend", "path": str(page)})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/client/login/", "headers": []}
    asyncio.run(SecurityHeadersMiddleware(app, LOCAL)(scope, receive, send))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.pathsend"]
    headers = dict(sent[0]["headers"])
    assert sha256_source(SCRIPT).encode() in headers[b"content-security-policy"]


def test_websockets_pass_through():
    async def socket(websocket):
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    app = Starlette(routes=[WebSocketRoute("/_event", socket)])
    with TestClient(SecurityHeadersMiddleware(app, LOCAL)).websocket_connect("/_event") as ws:
        assert ws.receive_text() == "hi"


def test_the_stripe_addresses_are_the_gateways(monkeypatch):
    """The policy allows what the gateway hands the browser: localstripe without a key."""
    from portal_app.core.settings import Settings
    from portal_app.gateways.factory import browser_urls

    for name in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_JS_URL"):
        monkeypatch.delenv(name, raising=False)
    assert browser_urls(Settings()) == (
        "http://localhost:8420",
        "http://localhost:8420/js.stripe.com/v3/",
    )
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    assert browser_urls(Settings()) == (None, "https://js.stripe.com/v3/")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9999")
    monkeypatch.setenv("STRIPE_JS_URL", "http://127.0.0.1:9999/js.stripe.com/v3/")
    assert browser_urls(Settings()) == (
        "http://127.0.0.1:9999",
        "http://127.0.0.1:9999/js.stripe.com/v3/",
    )


# --------------------------------------------------------------------------- caching

HASHED = [
    "/assets/entry.client-B2x9aK_c.js",
    "/assets/_index--n6VoSde.js",
    "/assets/root-Nc1Nl-w_.css",
]


@pytest.mark.parametrize("path", HASHED)
def test_hashed_front_end_files_are_cached_for_a_year(path: str):
    assert cache_control(path, "", status=200, html=False) == IMMUTABLE
    assert cache_control(path, "", status=304, html=False) == IMMUTABLE
    # A file not there (yet): its 404 must not be kept for a year.
    assert cache_control(path, "", status=404, html=False) is None


@pytest.mark.parametrize(
    "path", ["/assets/app.js", "/favicon.ico", "/logo.png", "/assets/x-short.js", "/api/health"]
)
def test_files_without_a_content_hash_are_left_alone(path: str):
    assert cache_control(path, "", status=200, html=False) is None


def test_translation_catalogs_are_cached_only_at_their_hashed_url():
    assert cache_control("/i18n/de.ca841488290ed52e.json", "", status=200, html=False) == IMMUTABLE
    assert cache_control("/i18n/pt_BR.06e37b942583f641.json", "", status=304, html=False) == (
        IMMUTABLE
    )
    assert cache_control("/i18n/de.ca841488290ed52e.json", "", status=404, html=False) is None
    assert cache_control("/i18n/de.json", "", status=200, html=False) is None


def test_browser_modules_are_cached_only_at_their_versioned_url():
    url = browser_js.module_url(browser_js.MODULES[0])
    path, _, query = url.partition("?")
    assert cache_control(path, query, status=200, html=False) == IMMUTABLE
    assert cache_control(path, "", status=200, html=False) is None
    assert cache_control(path, "v=", status=200, html=False) is None


def test_pages_are_always_revalidated():
    assert cache_control("/client/login/", "", status=200, html=True) == "no-cache"
    assert cache_control("/404.html", "", status=404, html=True) == "no-cache"


def test_the_middleware_sets_cache_control(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "root-Nc1Nl-w_.css").write_text("body{}")
    (tmp_path / "assets" / "plain.css").write_text("body{}")
    (tmp_path / "index.html").write_text(PAGE)
    app = Starlette()
    app.mount("/", StaticFiles(directory=tmp_path, html=True))
    client = TestClient(SecurityHeadersMiddleware(app, LOCAL))
    hashed = client.get("/assets/root-Nc1Nl-w_.css")
    assert hashed.headers["cache-control"] == IMMUTABLE
    again = client.get(
        "/assets/root-Nc1Nl-w_.css", headers={"If-None-Match": hashed.headers["etag"]}
    )
    assert again.status_code == 304 and again.headers["cache-control"] == IMMUTABLE
    assert "cache-control" not in client.get("/assets/plain.css").headers
    assert client.get("/").headers["cache-control"] == "no-cache"
    assert "cache-control" not in client.get("/assets/gone-Nc1Nl-w_.css").headers


def test_a_cache_control_the_app_set_is_kept():
    async def asset(request):
        return PlainTextResponse("x", headers={"Cache-Control": "private"})

    app = Starlette(routes=[Route("/assets/own-Nc1Nl-w_.js", asset)])
    response = TestClient(SecurityHeadersMiddleware(app, LOCAL)).get("/assets/own-Nc1Nl-w_.js")
    assert response.headers["cache-control"] == "private"
