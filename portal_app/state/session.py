"""What the client portal's and the staff console's page states share about their session.

PortalState and StaffState each mix in `SessionStateMixin` and name their `SessionSide` (the
cookie their session lives in, where signing in and handing off happen, which `next` paths
are theirs). The helpers read only this event's router data: the cookies of the websocket
handshake, the page's URL and origin; identity itself is resolved by each state against the
session table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode, urlsplit

import reflex as rx

from portal_app.core import routes
from portal_app.core.settings import get_settings
from portal_app.services.identity import auth, staff_auth
from portal_app.state import browser_js
from portal_app.state.event_address import event_client_address
from portal_app.state.signin_binding import cookie_value

if TYPE_CHECKING:
    from reflex.istate.data import RouterData

# A side's password sign-in service (auth.sign_in, staff_auth.sign_in_staff): the database
# session, then email, password, ip, user_agent and binding by keyword; its result has a
# `handoff_code`.
PasswordSignIn = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class SessionSide:
    """One side of the portal as its pages see it (see api/signin.py for the HTTP side)."""

    # The settings field holding the side's cookie name (a test may change the settings).
    cookie_setting: str
    login_url: Callable[[str | None], str]
    is_safe_next: Callable[[str], bool]
    # Where a sign-in goes when `next` is missing or not one of this side's pages.
    home: str
    handoff_route: str
    logout_route: str
    password_sign_in: PasswordSignIn

    def cookie_name(self) -> str:
        """The name of the cookie that holds this side's session."""
        return getattr(get_settings(), self.cookie_setting)

    def next_path(self, target: str) -> str:
        """`target` when it is a local page of this side (no open redirect), else `home`."""
        return target if self.is_safe_next(target) else self.home


CLIENT_SIDE = SessionSide(
    cookie_setting="session_cookie_name",
    login_url=routes.login_url,
    is_safe_next=routes.is_safe_next,
    home=routes.CLIENT_DASHBOARD,
    handoff_route=routes.API_AUTH_HANDOFF,
    logout_route=routes.API_AUTH_LOGOUT,
    password_sign_in=auth.sign_in,
)
STAFF_SIDE = SessionSide(
    cookie_setting="staff_session_cookie_name",
    login_url=routes.staff_login_url,
    is_safe_next=routes.is_safe_staff_next,
    home=routes.STAFF_CLIENTS,
    handoff_route=routes.API_STAFF_AUTH_HANDOFF,
    logout_route=routes.API_STAFF_AUTH_LOGOUT,
    password_sign_in=staff_auth.sign_in_staff,
)


class SessionStateMixin(rx.State, mixin=True):
    """The session helpers of PortalState and StaffState; `SIDE` says which side they serve."""

    SIDE: ClassVar[SessionSide]

    def _session_token(self, router: RouterData | None = None) -> str | None:
        """This side's session cookie from the websocket handshake, or None. `router`: this
        event's `self.router` when the caller already has it (each read builds it anew)."""
        headers = (router or self.router).headers
        return cookie_value(headers.cookie or "", self.SIDE.cookie_name())

    def _client_ip(self, router: RouterData | None = None) -> str:
        """The client's address, through trusted proxies (state/event_address.py)."""
        return event_client_address(router or self.router)

    def _backend_base(self) -> str:
        """Where our HTTP routes live as seen from the browser ('' when one origin serves all)."""
        page_origin = self.router.url.origin or ""
        api_url = rx.config.get_config().api_url.rstrip("/")
        if not page_origin or _same_origin(page_origin, api_url):
            return ""
        return api_url

    def _path_arg(self) -> str:
        """The last segment of the page's path: the [id] or [key] of a dynamic route."""
        path = (self.router.url.path or "").rstrip("/")
        return path.rsplit("/", 1)[-1] if "/" in path else ""

    def _login_redirect(self):
        """To this side's sign-in page, which comes back to this page afterwards."""
        path = self.router.url.path if self.router.url else ""
        query = self.router.url.query if self.router.url else ""
        target = path + (f"?{query}" if query else "")
        return rx.redirect(self.SIDE.login_url(target), replace=True)

    def _handoff_via(self, route: str, handoff_code: str, next_path: str) -> rx.event.EventSpec:
        """Send the browser through the HTTP `route` that turns a handoff code into a cookie
        and goes on to `next_path` (named with the page's origin when the routes live on
        another one)."""
        base = self._backend_base()
        page_origin = self.router.url.origin or ""
        target = next_path if not base else page_origin.rstrip("/") + next_path
        url = f"{base}{route}?{urlencode({'code': handoff_code, 'next': target})}"
        return rx.call_script(f"window.location.replace({json.dumps(url)})")

    def _handoff_script(self, handoff_code: str, next_path: str) -> rx.event.EventSpec:
        """The same through this side's own handoff route."""
        return self._handoff_via(self.SIDE.handoff_route, handoff_code, next_path)

    def _logout_script(self) -> rx.event.EventSpec:
        """Leave by a POST (from the click that runs this) to this side's route that revokes
        the session and clears its cookie. Opening a URL never signs out."""
        return rx.call_script(post_script(self._backend_base() + self.SIDE.logout_route))


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def post_script(url: str) -> str:
    """Browser code that submits an empty form by POST to `url` (assets/js/navigation.js): the
    browser sends our Origin, and navigates to the answer (Set-Cookie and redirect included)."""
    return browser_js.call(browser_js.NAVIGATION, "post", url)
