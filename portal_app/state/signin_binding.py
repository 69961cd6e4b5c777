"""The sign-in binding as seen from an event handler (services/signin_binding.py).

An event sees the cookies of its websocket's handshake. A page that starts a sign-in (the
two sign-in forms, an e-mailed link, a staff preview) needs a fresh binding there; when it is
missing or about to expire, the page goes once through GET /api/auth/binding, which sets the
cookie and sends the browser back to the same URL (with `bound=1`): the page reloads, and its
new websocket carries the cookie. A browser that comes back without it refuses cookies; the
page then says so instead of going round again.
"""

from __future__ import annotations

import json
from functools import lru_cache
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlencode

import reflex as rx

from portal_app.core import routes
from portal_app.core.i18n import N_
from portal_app.services.identity import signin_binding as binding_rules

COOKIES_NEEDED = N_(
    "Signing in needs cookies for this site. Allow them in your browser, then reload this page."
)


def handshake_cookie(state: rx.State, name: str) -> str | None:
    """The cookie `name` sent with this tab's websocket handshake, or None."""
    return cookie_value(state.router.headers.cookie or "", name)


@lru_cache(maxsize=256)
def cookie_value(raw: str, name: str) -> str | None:
    """The cookie `name` in a Cookie header's text `raw`, or None. Kept per header: a tab's
    handshake cookies are the same for every event of its connection, and parsing them was
    ~17 µs of each signed-in event's session check (issue 25)."""
    try:
        jar = SimpleCookie()
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def signin_binding(state: rx.State) -> str | None:
    """This browser's binding when it is fresh enough to start a sign-in with, else None."""
    value = handshake_cookie(state, binding_rules.BINDING_COOKIE)
    return value if binding_rules.is_fresh(value) else None


def came_back_unbound(state: rx.State) -> bool:
    """Whether the page was already sent through the binding route (and still has none)."""
    return state.router.url.query_parameters.get("bound") == "1"


def fetch_binding(state: rx.State, backend_base: str) -> rx.event.EventSpec:
    """Send the browser through the binding route and back to this page (a full reload).

    `backend_base` is where our HTTP routes live as seen from the browser ("" on one origin);
    on another origin the way back names the page's own origin.
    """
    url = state.router.url
    page = (url.path or routes.CLIENT_LOGIN) + (f"?{url.query}" if url.query else "")
    if backend_base:
        page = (url.origin or "").rstrip("/") + page
    target = f"{backend_base}{routes.API_AUTH_BINDING}?{urlencode({'next': page})}"
    return rx.call_script(f"window.location.replace({json.dumps(target)})")
