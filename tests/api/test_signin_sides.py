"""The one handoff and one logout implementation (api/signin.py), run for both sides.

Each test runs for the client portal and for the staff console: a `next` that leaves the site
or goes to the other side lands on the side's home page, a code of the other side sets no
cookie, a sign-out POST from another origin changes nothing, and signing out of one side
leaves the other signed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal_app.core.settings import get_settings
from portal_app.models import AuthSession
from portal_app.services.identity import auth, staff_auth
from tests.helpers.signin import BINDING
from tests.helpers.staff import add_staff

ORIGIN = "http://localhost:8000"


@dataclass(frozen=True)
class Side:
    name: str
    handoff: str
    logout: str
    cookie: str
    home: str
    login: str
    logout_page: str
    page: str
    samesite: str


CLIENT = Side(
    "client",
    "/api/auth/handoff",
    "/api/auth/logout",
    "portal_session",
    "/client/dashboard",
    "/client/login",
    "/client/logout",
    "/client/invoices?page=2",
    "lax",
)
STAFF = Side(
    "staff",
    "/api/staff/auth/handoff",
    "/api/staff/auth/logout",
    "portal_staff_session",
    "/staff/clients",
    "/staff/login",
    "/staff/logout",
    "/staff/settings?tab=2",
    "strict",
)
SIDES = [pytest.param(CLIENT, id="client"), pytest.param(STAFF, id="staff")]


def _other(side: Side) -> Side:
    return STAFF if side is CLIENT else CLIENT


def _opened(committed, side: Side):
    """A new session of `side` for the test browser: (handoff code, session id)."""
    with committed() as (session, make):
        company = make.company()
        if side is CLIENT:
            opened = auth.open_session(
                session,
                contact=make.contact(make.client(company)),
                kind="password",
                lifetime=timedelta(hours=1),
                binding=BINDING,
            )
        else:
            user = add_staff(session, company, password_hash="x")
            opened = staff_auth.open_staff_session(session, user=user, binding=BINDING)
    return opened.handoff_code, opened.session_id


def _handoff(client, side: Side, code: str, next_path: str | None = None):
    params = {"code": code} if next_path is None else {"code": code, "next": next_path}
    return client.get(side.handoff, params=params)


def _signed_in(committed, client, side: Side) -> int:
    code, session_id = _opened(committed, side)
    assert _handoff(client, side, code).status_code == 303
    assert client.cookies.get(side.cookie)
    return session_id


def _revoked(committed, session_id: int) -> bool:
    with committed() as (session, _):
        return session.get(AuthSession, session_id).revoked_at is not None


@pytest.mark.parametrize("side", SIDES)
def test_next_on_the_sides_own_pages_is_followed(committed, client, side):
    for target, expected in (
        (side.page, side.page),
        # One of our own origins (two-port development) keeps the origin.
        (ORIGIN + side.page, ORIGIN + side.page),
    ):
        code, _ = _opened(committed, side)
        assert _handoff(client, side, code, target).headers["location"] == expected


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    "target",
    [
        "",
        "///evil.example{page}",
        "/\\evil.example{page}",
        "{page}/../\\evil.example",
        "javascript:alert(1)//{page}",
        "https://evil.example",
        "{other_page}",
        "{other_home}",
        "{login}",
        "{logout_page}",
    ],
)
def test_next_off_site_or_to_the_other_side_goes_home(committed, client, side, target):
    other = _other(side)
    target = target.format(
        page=side.page,
        other_page=other.page,
        other_home=other.home,
        login=side.login,
        logout_page=side.logout_page,
    )
    code, _ = _opened(committed, side)
    response = _handoff(client, side, code, target)
    assert response.status_code == 303 and response.headers["location"] == side.home
    assert response.headers["set-cookie"].startswith(f"{side.cookie}=")


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    "origin", ["https://evil.example", "//evil.example", "http://localhost:8001", "http://"]
)
def test_a_page_of_the_side_on_another_origin_loses_the_origin(committed, client, side, origin):
    code, _ = _opened(committed, side)
    response = _handoff(client, side, code, origin + side.page)
    assert response.headers["location"] == side.page


@pytest.mark.parametrize("side", SIDES)
def test_a_code_of_the_other_side_sets_no_cookie_and_stays_usable(committed, client, side):
    other = _other(side)
    code, _ = _opened(committed, other)
    wrong = _handoff(client, side, code, side.page)
    assert wrong.status_code == 303 and wrong.headers["location"] == side.login
    assert "set-cookie" not in wrong.headers
    assert client.cookies.get(side.cookie) is None and client.cookies.get(other.cookie) is None
    # The code was not spent: its own side still redeems it.
    assert other.cookie in _handoff(client, other, code).headers["set-cookie"]


@pytest.mark.parametrize("side", SIDES)
def test_the_cookie_is_httponly_for_the_whole_site_with_the_sides_samesite(committed, client, side):
    code, _ = _opened(committed, side)
    response = _handoff(client, side, code, side.page)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{side.cookie}=") and "HttpOnly" in cookie and "Path=/" in cookie
    assert f"SameSite={side.samesite}" in cookie and "Secure" not in cookie
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("side", SIDES)
def test_the_cookie_is_secure_under_https(committed, client, side, monkeypatch):
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example")
    get_settings.cache_clear()
    try:
        code, _ = _opened(committed, side)
        assert "Secure" in _handoff(client, side, code).headers["set-cookie"]
    finally:
        monkeypatch.delenv("PORTAL_BASE_URL")
        get_settings.cache_clear()


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "http://localhost:8001"},
        {"referer": "https://evil.example/page"},
        {"origin": "null", "referer": "https://evil.example/page"},
    ],
)
def test_logout_post_from_another_origin_changes_nothing(committed, client, side, headers):
    session_id = _signed_in(committed, client, side)
    response = client.post(side.logout, headers=headers)
    assert response.status_code == 403 and "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert not _revoked(committed, session_id)


@pytest.mark.parametrize("side", SIDES)
def test_logout_from_a_foreign_referer_goes_to_the_local_login_page(committed, client, side):
    # An Origin of ours lets the POST through; a Referer naming another site is no place to
    # send the browser back to.
    session_id = _signed_in(committed, client, side)
    response = client.post(
        side.logout, headers={"origin": ORIGIN, "referer": "https://evil.example/x"}
    )
    assert response.headers["location"] == f"{side.login}?signed_out=1"
    assert _revoked(committed, session_id)


@pytest.mark.parametrize("side", SIDES)
def test_logout_of_one_side_leaves_the_other_signed_in(committed, client, side):
    other = _other(side)
    mine, theirs = _signed_in(committed, client, side), _signed_in(committed, client, other)
    response = client.post(side.logout, headers={"origin": ORIGIN})
    assert response.status_code == 303
    assert response.headers["location"] == f"{side.login}?signed_out=1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{side.cookie}=") and other.cookie not in cookie
    assert _revoked(committed, mine) and not _revoked(committed, theirs)
    # The other side's cookie is still the session's: signing out there still works.
    assert (
        other.cookie in client.post(other.logout, headers={"origin": ORIGIN}).headers["set-cookie"]
    )
    assert _revoked(committed, theirs)
