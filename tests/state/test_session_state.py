"""The session helpers the client and staff page states share (state/session.py) and the
sign-in page's `next` (state/sign_in_form.py), run for both sides.

The router data is built by Reflex's own code from what a page's websocket sends (its origin,
its URL, the handshake's cookies); the helpers run as the page states' own functions.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
import reflex as rx
from reflex.istate.data import RouterData

from portal_app.pages.client.login import LoginState
from portal_app.pages.staff.login import StaffLoginState
from portal_app.state.portal import PortalState
from portal_app.state.staff import StaffState

CLIENT_COOKIE, STAFF_COOKIE = "portal_session", "portal_staff_session"
HELPERS = (
    "_session_token",
    "_backend_base",
    "_path_arg",
    "_login_redirect",
    "_handoff_via",
    "_handoff_script",
    "_client_handoff_script",
    "_next_path",
)


def _event(state: type[rx.State], page: str, *, cookie: str = "", origin: str = ""):
    """An event of `state` on `page` (path and query) opened from `origin`."""
    origin = origin or rx.config.get_config().api_url.rstrip("/")
    router = RouterData.from_router_data(
        {"headers": {"origin": origin, "cookie": cookie}, "asPath": page}
    )
    helpers = {name: getattr(state, name) for name in HELPERS if hasattr(state, name)}
    return type("Event", (SimpleNamespace,), {"SIDE": state.SIDE, **helpers})(router=router)


def _query(target: str) -> str:
    return urlencode({"next": target}) if target else ""


def _redirect_path(spec) -> str:
    return dict((name._js_expr, value._var_value) for name, value in spec.args)["path"]


def _script_url(spec) -> str:
    code = dict((name._js_expr, value._var_value) for name, value in spec.args)["javascript_code"]
    found = re.fullmatch(r"window\.location\.replace\((.*)\)", code)
    assert found, code
    return json.loads(found.group(1))


@pytest.mark.parametrize(
    ("state", "target"),
    [
        (LoginState, "/client/invoices?page=2"),
        (LoginState, "/subscribe/abc"),
        (StaffLoginState, "/staff/settings"),
    ],
)
def test_next_on_the_sides_own_pages_is_followed(state, target):
    event = _event(state, "/login?" + _query(target))
    assert event._next_path() == target


@pytest.mark.parametrize(
    ("state", "home"), [(LoginState, "/client/dashboard"), (StaffLoginState, "/staff/clients")]
)
@pytest.mark.parametrize(
    "target",
    [
        "",
        "https://evil.example/{side}/x",
        "//evil.example/{side}/x",
        "/\\evil.example/{side}/x",
        "/{side}/x/../\\evil",
        "javascript:alert(1)//{side}/x",
        "/{other}/settings",
        "/{side}/login",
        "/{side}/logout",
    ],
)
def test_next_off_site_or_to_the_other_side_goes_home(state, home, target):
    side, other = ("client", "staff") if state is LoginState else ("staff", "client")
    event = _event(state, "/login?" + _query(target.format(side=side, other=other)))
    assert event._next_path() == home


def test_each_side_reads_only_its_own_cookie():
    both = f"{CLIENT_COOKIE}=client-token; {STAFF_COOKIE}=staff-token"
    assert _event(PortalState, "/client/dashboard", cookie=both)._session_token() == "client-token"
    assert _event(StaffState, "/staff/clients", cookie=both)._session_token() == "staff-token"
    # The other side's cookie alone is no session here.
    assert _event(StaffState, "/", cookie=f"{CLIENT_COOKIE}=t")._session_token() is None
    assert _event(PortalState, "/", cookie=f"{STAFF_COOKIE}=t")._session_token() is None


@pytest.mark.parametrize("state", [PortalState, StaffState])
@pytest.mark.parametrize("cookie", ["", 'a="unterminated', "\x00\x01; ;;=", "; =;"])
def test_a_missing_or_garbled_cookie_header_is_no_session(state, cookie):
    assert _event(state, "/", cookie=cookie)._session_token() is None


@pytest.mark.parametrize(
    ("state", "login"), [(PortalState, "/client/login"), (StaffState, "/staff/login")]
)
def test_the_login_redirect_comes_back_only_to_a_page_of_the_side(state, login):
    side = "client" if state is PortalState else "staff"
    back = _redirect_path(_event(state, f"/{side}/invoices/7?tab=2")._login_redirect())
    assert back == f"{login}?next=%2F{side}%2Finvoices%2F7%3Ftab%3D2"
    # A page of the other side is not carried over as `next`.
    other = "staff" if side == "client" else "client"
    assert _redirect_path(_event(state, f"/{other}/x")._login_redirect()) == login


@pytest.mark.parametrize(
    ("state", "route"),
    [(LoginState, "/api/auth/handoff"), (StaffLoginState, "/api/staff/auth/handoff")],
)
def test_the_handoff_goes_through_the_sides_own_route(state, route):
    api = rx.config.get_config().api_url.rstrip("/")
    same = _script_url(_event(state, "/login")._handoff_script("CODE", "/x/y"))
    assert same == f"{route}?code=CODE&next=%2Fx%2Fy"
    # Front end on another origin: the route on the backend's, `next` on the page's.
    other = _script_url(
        _event(state, "/login", origin="http://localhost:3999")._handoff_script("C", "/x")
    )
    assert other == f"{api}{route}?code=C&next=http%3A%2F%2Flocalhost%3A3999%2Fx"


def test_a_staff_preview_hands_off_through_the_client_route():
    url = _script_url(_event(StaffState, "/staff/preview/3")._client_handoff_script("C", "/c"))
    assert url.startswith("/api/auth/handoff?")


@pytest.mark.parametrize("state", [PortalState, StaffState])
def test_the_path_arg_is_the_last_segment(state):
    assert _event(state, "/staff/clients/42/")._path_arg() == "42"
    assert _event(state, "/client/invoice/a-b_c?x=1")._path_arg() == "a-b_c"
    assert _event(state, "")._path_arg() == ""
