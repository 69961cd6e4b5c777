"""Login CSRF and sign-out CSRF at the HTTP routes.

- /api/auth/binding gives the browser that starts a sign-in its binding cookie;
- /api/auth/handoff and /api/staff/auth/handoff sign in only the browser holding the binding
  the code was made with;
- sign-out and leaving a preview are POSTs from our own origin; a GET changes nothing.
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from portal_app.core.tokens import token_hash
from portal_app.models import AuditEvent, AuthSession
from portal_app.services.identity import auth, preview, staff_auth
from portal_app.services.identity.signin_binding import BINDING_COOKIE, BINDING_SECONDS, new_binding
from tests.helpers.signin import BINDING, bind
from tests.helpers.staff import add_staff, staff_actor

ORIGIN = "http://localhost:8000"
STAFF_COOKIE = "portal_staff_session"


def _other_browser() -> TestClient:
    from portal_app.api.routes import api

    return TestClient(api, base_url=ORIGIN, follow_redirects=False)


def _contact_session(committed, binding: str | None = BINDING, kind: str = "password"):
    with committed() as (session, make):
        contact = make.contact(make.client(make.company()))
        return auth.open_session(
            session, contact=contact, kind=kind, lifetime=timedelta(hours=1), binding=binding
        )


def _staff_session(committed, binding: str | None = BINDING):
    with committed() as (session, make):
        user = add_staff(session, make.company(), password_hash="x")
        return staff_auth.open_staff_session(session, user=user, binding=binding)


def _handoff(client, code: str, route: str = "/api/auth/handoff"):
    return client.get(route, params={"code": code, "next": "/client/invoices"})


def _revoked(committed, session_id: int) -> bool:
    with committed() as (session, _):
        return session.get(AuthSession, session_id).revoked_at is not None


# --------------------------------------------------------------------------- the binding route


def test_binding_route_sets_an_httponly_lax_short_lived_cookie_and_goes_back(client):
    client.cookies.clear()  # a browser before its first sign-in page
    response = client.get("/api/auth/binding", params={"next": "/client/login?next=/client/pay"})
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/client/login"
    assert parse_qs(location.query) == {"next": ["/client/pay"], "bound": ["1"]}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{BINDING_COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=lax", "Path=/", f"Max-Age={BINDING_SECONDS}"):
        assert attribute in cookie
    assert response.headers["cache-control"] == "no-store"
    value = client.cookies.get(BINDING_COOKIE)
    assert value and value != BINDING

    # A fresh binding is kept: another tab's sign-in in progress is not broken.
    again = client.get("/api/auth/binding", params={"next": "/staff/login"})
    assert again.status_code == 303 and "set-cookie" not in again.headers
    assert client.cookies.get(BINDING_COOKIE) == value


def test_binding_route_replaces_a_stale_or_garbage_binding(client):
    stale = new_binding(now=time.time() - BINDING_SECONDS + 60)
    for old in (stale, "garbage", "1.2", "9999999999." + "a" * 43):
        client.cookies.clear()
        client.cookies.set(BINDING_COOKIE, old)
        response = client.get("/api/auth/binding", params={"next": "/client/login"})
        assert response.cookies.get(BINDING_COOKIE) not in (None, old), old


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/client/login", "/client/login"),
        ("/staff/login?next=/staff/settings", "/staff/login"),
        ("/client/invoice/abcDEF123_-abcDEF123_-", "/client/invoice/abcDEF123_-abcDEF123_-"),
        ("/client/quote/abcDEF123_-abcDEF123_-", "/client/quote/abcDEF123_-abcDEF123_-"),
        ("/staff/preview/12", "/staff/preview/12"),
        ("https://evil.example/client/login", "/client/login"),
        ("//evil.example/client/login", "/client/login"),
        ("/client/dashboard", "/client/login"),
        ("/api/auth/handoff", "/client/login"),
        ("/client/invoice/../../api/health", "/client/login"),
        ("", "/client/login"),
    ],
)
def test_binding_route_goes_back_only_to_pages_that_start_a_sign_in(client, target, expected):
    response = client.get("/api/auth/binding", params={"next": target})
    assert urlsplit(response.headers["location"]).path == expected
    assert not response.headers["location"].startswith("//")


# --------------------------------------------------------------------------- the handoff


def test_a_handoff_code_signs_in_only_the_browser_with_its_binding(committed, client):
    opened = _contact_session(committed)
    # Another browser: no binding, or a binding of its own.
    for binding in (None, new_binding(), "x" * 60):
        other = _other_browser()
        if binding:
            other.cookies.set(BINDING_COOKIE, binding)
        refused = _handoff(other, opened.handoff_code)
        assert refused.status_code == 303 and refused.headers["location"] == "/client/login"
        assert "set-cookie" not in refused.headers
    # The code was not used up by those: the browser that asked for it signs in.
    bind(client)
    response = _handoff(client, opened.handoff_code)
    assert response.headers["location"] == "/client/invoices"
    assert client.cookies.get("portal_session")


def test_a_session_opened_without_a_binding_has_no_handoff(committed, client):
    opened = _contact_session(committed, binding=None)
    assert opened.handoff_code == ""
    with committed() as (session, _):
        assert session.get(AuthSession, opened.session_id).handoff_hash is None
    bind(client)
    assert "set-cookie" not in _handoff(client, opened.handoff_code).headers


def test_an_expired_binding_redeems_nothing(committed, client):
    old = new_binding(now=time.time() - BINDING_SECONDS - 5)
    opened = _contact_session(committed, binding=old)
    client.cookies.set(BINDING_COOKIE, old)
    assert "set-cookie" not in _handoff(client, opened.handoff_code).headers


def test_a_staff_handoff_code_signs_in_only_the_browser_with_its_binding(committed, client):
    opened = _staff_session(committed)
    other = _other_browser()
    other.cookies.set(BINDING_COOKIE, new_binding())
    refused = _handoff(other, opened.handoff_code, "/api/staff/auth/handoff")
    assert refused.headers["location"] == "/staff/login" and "set-cookie" not in refused.headers
    bind(client)
    response = _handoff(client, opened.handoff_code, "/api/staff/auth/handoff")
    assert response.status_code == 303 and client.cookies.get(STAFF_COOKIE)


def test_a_preview_handoff_goes_only_to_the_staff_browser_that_started_it(committed, client):
    with committed() as (session, make):
        company = make.company()
        contact = make.contact(make.client(company))
        user = add_staff(session, company, password_hash="x")
        opened = preview.start_preview(
            session, actor=staff_actor(user), contact_id=contact.id, binding=BINDING
        )
    other = _other_browser()
    other.cookies.set(BINDING_COOKIE, new_binding())
    assert "set-cookie" not in _handoff(other, opened.handoff_code).headers
    bind(client)
    assert "portal_session=" in _handoff(client, opened.handoff_code).headers["set-cookie"]


# --------------------------------------------------------------------------- sign-out


def _signed_in_client(committed, client):
    opened = _contact_session(committed)
    bind(client)
    _handoff(client, opened.handoff_code)
    assert client.cookies.get("portal_session")
    return opened


def test_get_logout_signs_no_one_out(committed, client):
    opened = _signed_in_client(committed, client)
    response = client.get("/api/auth/logout")
    assert response.status_code == 303 and response.headers["location"] == "/client/logout"
    assert "set-cookie" not in response.headers
    assert not _revoked(committed, opened.session_id)


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "http://localhost:8001"},
        {"referer": "https://evil.example/page"},
        {"origin": "null", "referer": "https://evil.example/page"},
    ],
)
def test_post_logout_from_another_origin_is_refused(committed, client, headers):
    opened = _signed_in_client(committed, client)
    response = client.post("/api/auth/logout", headers=headers)
    assert response.status_code == 403 and "set-cookie" not in response.headers
    assert not _revoked(committed, opened.session_id)


@pytest.mark.parametrize(
    "headers", [{"origin": ORIGIN}, {"referer": f"{ORIGIN}/client/logout"}, {}]
)
def test_post_logout_from_our_own_pages_signs_out(committed, client, headers):
    opened = _signed_in_client(committed, client)
    response = client.post("/api/auth/logout", headers=headers)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/client/login?signed_out=1")
    assert "portal_session" in response.headers["set-cookie"]
    assert _revoked(committed, opened.session_id)


def test_post_logout_without_a_session_cookie_clears_nothing(client):
    response = client.post("/api/auth/logout", headers={"origin": ORIGIN})
    assert response.status_code == 303 and "set-cookie" not in response.headers


def test_staff_logout_is_a_post_from_our_origin(committed, client):
    opened = _staff_session(committed)
    bind(client)
    _handoff(client, opened.handoff_code, "/api/staff/auth/handoff")
    response = client.get("/api/staff/auth/logout")
    assert response.status_code == 303 and response.headers["location"] == "/staff/logout"
    assert "set-cookie" not in response.headers and not _revoked(committed, opened.session_id)
    refused = client.post("/api/staff/auth/logout", headers={"origin": "https://evil.example"})
    assert refused.status_code == 403 and not _revoked(committed, opened.session_id)
    done = client.post("/api/staff/auth/logout", headers={"origin": ORIGIN})
    assert done.status_code == 303 and done.headers["location"].endswith(
        "/staff/login?signed_out=1"
    )
    assert STAFF_COOKIE in done.headers["set-cookie"] and _revoked(committed, opened.session_id)


def test_leaving_a_preview_is_a_post_from_our_origin(committed, client):
    with committed() as (session, make):
        company = make.company()
        contact = make.contact(make.client(company))
        user = add_staff(session, company, password_hash="x")
        opened = preview.start_preview(
            session, actor=staff_actor(user), contact_id=contact.id, binding=BINDING
        )
        client_id = contact.client_id
    bind(client)
    _handoff(client, opened.handoff_code)
    response = client.get("/api/staff/preview/end")
    assert response.status_code == 303 and response.headers["location"] == "/client/dashboard"
    assert "set-cookie" not in response.headers and not _revoked(committed, opened.session_id)
    refused = client.post("/api/staff/preview/end", headers={"origin": "https://evil.example"})
    assert refused.status_code == 403 and not _revoked(committed, opened.session_id)
    done = client.post("/api/staff/preview/end", headers={"origin": ORIGIN})
    assert done.headers["location"] == f"/staff/clients/{client_id}"
    assert _revoked(committed, opened.session_id)
    with committed() as (session, _):
        ended = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "preview_ended", AuditEvent.client_id == client_id
            )
        ).all()
        assert len(ended) == 1


def test_the_handoff_hash_is_not_the_plain_code_hash(committed):
    # A code redeemable without its binding would be stored as token_hash(code).
    opened = _contact_session(committed)
    with committed() as (session, _):
        row = session.get(AuthSession, opened.session_id)
        assert row.handoff_hash and row.handoff_hash != token_hash(opened.handoff_code)


# --------------------------------------------------------------------------- binding with the page


def _pages() -> TestClient:
    """BindingCookieMiddleware around a stand-in for the built front end: every path is an HTML
    page, but /missing (a 404 page) and /data.json."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    from portal_app.api.signin import BindingCookieMiddleware

    async def page(request):
        if request.url.path == "/missing":
            return HTMLResponse("<p>Not found</p>", status_code=404)
        if request.url.path == "/data.json":
            return JSONResponse({})
        return HTMLResponse("<!doctype html><title>page</title>")

    front_end = Starlette(routes=[Route("/{path:path}", page)])
    return TestClient(BindingCookieMiddleware(front_end), base_url=ORIGIN)


@pytest.mark.parametrize(
    "path",
    ["/client/login", "/staff/login/", "/client/invoice/abcDEF123_-abc", "/staff/preview/12"],
)
def test_a_page_that_starts_a_sign_in_brings_its_binding_cookie(path):
    browser = _pages()
    response = browser.get(path)
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{BINDING_COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=lax", "Path=/", f"Max-Age={BINDING_SECONDS}"):
        assert attribute in cookie
    value = browser.cookies.get(BINDING_COOKIE)
    assert value and value != BINDING
    # A fresh binding is kept (another tab may be signing in with it); a stale one is not.
    assert "set-cookie" not in browser.get(path).headers
    browser.cookies.set(BINDING_COOKIE, new_binding(now=time.time() - BINDING_SECONDS + 60))
    assert browser.get(path).cookies.get(BINDING_COOKIE) not in (None, value)


@pytest.mark.parametrize(
    "path", ["/client/dashboard", "/client/invoices/3", "/missing", "/data.json"]
)
def test_other_pages_and_files_bring_no_binding_cookie(path):
    browser = _pages()
    assert "set-cookie" not in browser.get(path).headers
    assert "set-cookie" not in browser.post("/client/login").headers
