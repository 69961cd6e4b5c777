"""The staff cookie's handoff and sign-out routes, and their separation from the client's."""

from __future__ import annotations

from datetime import timedelta

from portal_app.models import AuthSession
from portal_app.services.identity import auth, staff_auth
from portal_app.services.identity.passwords import hash_password
from tests.helpers.signin import BINDING
from tests.helpers.staff import add_staff

STAFF_COOKIE = "portal_staff_session"
ORIGIN = "http://localhost:8000"


def _opened(committed):
    with committed() as (session, make):
        company = make.company()
        contact = make.contact(make.client(company))
        user = add_staff(session, company, password_hash=hash_password("x" * 12))
        staff = staff_auth.open_staff_session(session, user=user, binding=BINDING)
        client = auth.open_session(
            session, contact=contact, kind="password", lifetime=timedelta(hours=1), binding=BINDING
        )
    return staff, client


def test_staff_handoff_sets_the_staff_cookie_only(committed, client):
    staff, _ = _opened(committed)
    response = client.get(
        "/api/staff/auth/handoff", params={"code": staff.handoff_code, "next": "/staff/settings"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/settings"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{STAFF_COOKIE}=") and "HttpOnly" in cookie
    assert "portal_session=" not in cookie
    assert client.cookies.get(STAFF_COOKIE) not in (None, staff.handoff_code)


def test_codes_never_cross_into_the_other_cookie(committed, client):
    staff, contact = _opened(committed)
    # The client route refuses a staff code, the staff route a client code.
    wrong = client.get("/api/auth/handoff", params={"code": staff.handoff_code})
    assert wrong.headers["location"] == "/client/login" and "set-cookie" not in wrong.headers
    wrong = client.get("/api/staff/auth/handoff", params={"code": contact.handoff_code})
    assert wrong.headers["location"] == "/staff/login" and "set-cookie" not in wrong.headers
    # Both codes still work on their own route afterwards.
    assert (
        "set-cookie"
        in client.get("/api/auth/handoff", params={"code": contact.handoff_code}).headers
    )
    assert (
        "set-cookie"
        in client.get("/api/staff/auth/handoff", params={"code": staff.handoff_code}).headers
    )


def test_staff_handoff_refuses_open_redirects_and_client_paths(committed, client):
    for target in ("https://evil.example/staff/clients", "//evil.example", "/client/dashboard"):
        staff, _ = _opened(committed)
        response = client.get(
            "/api/staff/auth/handoff", params={"code": staff.handoff_code, "next": target}
        )
        assert response.headers["location"] == "/staff/clients"


def test_staff_cookie_opens_no_client_download(committed, client):
    staff, _ = _opened(committed)
    client.get("/api/staff/auth/handoff", params={"code": staff.handoff_code})
    token = client.cookies.get(STAFF_COOKIE)
    # Even sent under the client cookie's name, a staff token is no client session.
    client.cookies.set("portal_session", token)
    assert client.get("/api/invoices/1/pdf").status_code == 401


def test_staff_logout_revokes_and_clears(committed, client):
    staff, _ = _opened(committed)
    client.get("/api/staff/auth/handoff", params={"code": staff.handoff_code})
    response = client.post("/api/staff/auth/logout", headers={"origin": ORIGIN})
    assert response.status_code == 303
    assert response.headers["location"].endswith("/staff/login?signed_out=1")
    assert STAFF_COOKIE in response.headers["set-cookie"]
    with committed() as (session, _):
        assert session.get(AuthSession, staff.session_id).revoked_at is not None


def test_branding_logo_route_serves_only_stored_logos(committed, client, tmp_path, monkeypatch):
    import io

    from PIL import Image

    from portal_app.core.settings import get_settings
    from portal_app.services.company import branding
    from tests.helpers.staff import staff_actor

    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path))
    get_settings.cache_clear()
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    with committed() as (session, make):
        company = make.company()
        user = add_staff(session, company, password_hash="x")
        url = branding.store_logo(session, actor=staff_actor(user), data=buffer.getvalue())
    response = client.get(url)
    assert response.status_code == 200 and response.content == buffer.getvalue()
    assert response.headers["content-type"] == "image/png"
    for bad in ("/api/branding/logo/..%2F..%2Fetc%2Fpasswd", "/api/branding/logo/x.png"):
        assert client.get(bad).status_code == 404


def test_ending_a_preview_clears_the_client_cookie_and_goes_back(committed, client):
    from portal_app.services.identity import preview
    from tests.helpers.staff import staff_actor

    with committed() as (session, make):
        company = make.company()
        contact = make.contact(make.client(company))
        user = add_staff(session, company, password_hash="x")
        opened = preview.start_preview(
            session, actor=staff_actor(user), contact_id=contact.id, binding=BINDING
        )
        client_id = contact.client_id
    client.get("/api/auth/handoff", params={"code": opened.handoff_code})
    assert client.cookies.get("portal_session")
    response = client.post("/api/staff/preview/end", headers={"origin": ORIGIN})
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/clients/{client_id}"
    assert (
        'portal_session=""' in response.headers["set-cookie"]
        or "Max-Age=0" in (response.headers["set-cookie"])
    )
    with committed() as (session, _):
        assert session.get(AuthSession, opened.session_id).revoked_at is not None
    # Without a preview cookie it only goes to the clients list.
    client.cookies.clear()
    again = client.post("/api/staff/preview/end", headers={"origin": ORIGIN})
    assert again.headers["location"] == "/staff/clients" and "set-cookie" not in again.headers
