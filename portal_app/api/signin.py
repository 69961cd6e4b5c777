"""HTTP pieces of signing in and out that both the client and the staff routes use.

- `handoff` and `logout` are the routes of either side (a `Side`: CLIENT or STAFF) that turn
  a handoff code into the side's HttpOnly session cookie and that revoke it; api/routes.py
  and api/staff_routes.py mount them with `handoff_route`/`logout_route`. Each side's cookie
  is set only from a handoff code of its own kind, so neither can plant a session in the
  other's cookie, and `next` goes only to a page of the same side (no open redirect).
- GET /api/auth/binding gives the browser that is about to start a sign-in its binding cookie
  (services/signin_binding.py) and sends it straight back to that page, which reloads with the
  cookie in its websocket handshake. It writes nothing on the server; a cross-site link to it
  at most gives the browser a new random value.
  `BindingCookieMiddleware` gives the same cookie with the page itself where it can, so that
  this round trip is the exception.
- `binding_of` reads that cookie for the handoff routes.
- `foreign_origin` is the CSRF guard of the POST-only routes that sign out or leave a preview.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal_app.client_address import request_origin
from portal_app.core import routes
from portal_app.core.db import session_scope, utcnow
from portal_app.core.settings import get_settings
from portal_app.services.identity import auth, signin_binding, staff_auth

# Added to the page's URL on the way back, so a browser that refuses the cookie is told so
# instead of being sent round again.
BOUND_PARAM = "bound"


def binding_of(request: Request) -> str | None:
    """The sign-in binding cookie this request carries (unchecked), or None."""
    return request.cookies.get(signin_binding.BINDING_COOKIE) or None


def _binding_target(target: str) -> str:
    """The page to go back to, marked as bound: a sign-in page of ours, else /client/login."""
    parts = urlsplit(target)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not routes.is_binding_target(path):
        parts = urlsplit(routes.CLIENT_LOGIN)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != BOUND_PARAM]
    marked = parts.path + "?" + urlencode([*query, (BOUND_PARAM, "1")])
    if not parts.scheme and not parts.netloc:
        return marked
    # Two-port development: the page lives on another of our origins than this route.
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin + marked if origin in get_settings().cors_origins else marked


async def binding(request: Request) -> Response:
    """Give this browser a sign-in binding (keeping a fresh one) and go back to `next`."""
    response = RedirectResponse(
        _binding_target(request.query_params.get("next", "")), status_code=303
    )
    if not signin_binding.is_fresh(binding_of(request)):
        _new_binding_cookie(response)
    response.headers["Cache-Control"] = "no-store"
    # `next` may hold an e-mailed link's key.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _new_binding_cookie(response: Response) -> None:
    _set_cookie(
        response,
        signin_binding.BINDING_COOKIE,
        signin_binding.new_binding(time.time()),
        max_age=signin_binding.BINDING_SECONDS,
        samesite="lax",
    )


class BindingCookieMiddleware:
    """A browser that opens a page starting a sign-in (routes.is_binding_target: the sign-in
    pages, an e-mailed link, a staff preview) without a fresh binding gets its binding cookie
    with the page itself, so the page's websocket carries it from the start, instead of the
    page loading, going through GET /api/auth/binding and loading again (issue 23). That route
    stays for pages served from another origin (two-port development) and for a binding that
    runs out while a page stays open. Like the route, it writes nothing on the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") not in ("GET", "HEAD")
            or not routes.is_binding_target(scope.get("path", ""))
            or signin_binding.is_fresh(binding_of(Request(scope)))
        ):
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_page(message):
                carrier = Response()
                _new_binding_cookie(carrier)
                cookies = [(k, v) for k, v in carrier.raw_headers if k == b"set-cookie"]
                message = {**message, "headers": [*message.get("headers", []), *cookies]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _is_page(start: Message) -> bool:
    """Whether a response start is a page (HTML, 200)."""
    if start.get("status") != 200:
        return False
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            return value.lower().startswith(b"text/html")
    return False


def _set_cookie(
    response: Response, name: str, value: str, *, max_age: int, samesite: Literal["lax", "strict"]
) -> None:
    """An HttpOnly cookie for the whole site, Secure under https (settings.secure_cookies)."""
    response.set_cookie(
        name,
        value,
        max_age=max(0, max_age),
        path="/",
        httponly=True,
        secure=get_settings().secure_cookies,
        samesite=samesite,
    )


@dataclass(frozen=True, slots=True)
class Side:
    """One side's session routes: its cookie, its pages, and how its sessions end."""

    # The settings field holding the cookie name (a test may change the settings).
    cookie_setting: str
    samesite: Literal["lax", "strict"]
    is_safe_next: Callable[[str], bool]
    # Where a handoff goes when `next` is not one of this side's pages.
    home: str
    # Where a refused handoff code goes.
    login: str
    # The page with the "Sign out" button that a GET of the logout route goes to.
    logout_page: str
    # Whether this side's handoff codes are those of staff sessions.
    staff: bool
    sign_out: Callable[..., bool]

    def cookie_name(self) -> str:
        """The name of the cookie that holds this side's session."""
        return getattr(get_settings(), self.cookie_setting)


CLIENT = Side(
    cookie_setting="session_cookie_name",
    samesite="lax",
    is_safe_next=routes.is_safe_next,
    home=routes.CLIENT_DASHBOARD,
    login=routes.CLIENT_LOGIN,
    logout_page=routes.CLIENT_LOGOUT,
    staff=False,
    sign_out=auth.sign_out,
)
STAFF = Side(
    cookie_setting="staff_session_cookie_name",
    # Strict: the staff console is never entered from another site's link with a session.
    samesite="strict",
    is_safe_next=routes.is_safe_staff_next,
    home=routes.STAFF_CLIENTS,
    login=routes.STAFF_LOGIN,
    logout_page=routes.STAFF_LOGOUT,
    staff=True,
    sign_out=staff_auth.sign_out_staff,
)


def safe_target(side: Side, target: str) -> str:
    """A local page of `side`, or one on our own origins; else the side's home page."""
    parts = urlsplit(target)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not side.is_safe_next(path):
        return side.home
    if not parts.scheme and not parts.netloc:
        return path
    return target if _origin_of(target) in get_settings().cors_origins else path


def _redeem(side: Side, request: Request, code: str) -> tuple[str, int] | None:
    """The cookie token and its lifetime in seconds for a handoff code of `side`, or None."""
    with session_scope() as db:
        # Only the browser whose sign-in binding the code was made with (login CSRF).
        redeemed = auth.redeem_handoff(db, code=code, binding=binding_of(request), staff=side.staff)
        if redeemed is None:
            return None
        token, row = redeemed
        return token, int((row.expires_at - utcnow()).total_seconds())


async def handoff(side: Side, request: Request) -> Response:
    """Turn a one-time handoff code of `side` into its HttpOnly session cookie, then go on."""
    target = safe_target(side, request.query_params.get("next", ""))
    redeemed = _redeem(side, request, request.query_params.get("code", ""))
    if redeemed is None:
        return RedirectResponse(side.login, status_code=303)
    token, max_age = redeemed
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, side.cookie_name(), token, max_age=max_age, samesite=side.samesite)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def logout(side: Side, request: Request) -> Response:
    """Revoke the session of `side` and clear its cookie: a POST from one of our pages (the
    "Sign out" buttons). A GET (a link, perhaps from another site) changes nothing and shows
    the page with the button; a POST from another origin is refused."""
    if request.method != "POST":
        return RedirectResponse(side.logout_page, status_code=303, headers=NO_STORE)
    if foreign_origin(request):
        return refused()
    name = side.cookie_name()
    token = request.cookies.get(name)
    with session_scope() as db:
        side.sign_out(db, token=token)
    target = f"{side.login}?signed_out=1"
    # Two-port development: back to the page's origin when it is one of ours.
    referer_origin = _origin_of(request.headers.get("referer", ""))
    if referer_origin and referer_origin in get_settings().cors_origins:
        target = referer_origin + target
    response = RedirectResponse(target, status_code=303)
    if token is not None:
        response.delete_cookie(name, path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


Endpoint = Callable[[Request], Awaitable[Response]]


def handoff_route(side: Side) -> Endpoint:
    """The handoff endpoint of `side`, for a starlette Route."""

    async def endpoint(request: Request) -> Response:
        return await handoff(side, request)

    return endpoint


def logout_route(side: Side) -> Endpoint:
    """The logout endpoint of `side`, for a starlette Route (GET and POST)."""

    async def endpoint(request: Request) -> Response:
        return await logout(side, request)

    return endpoint


NO_STORE = {"Cache-Control": "no-store"}


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def foreign_origin(request: Request) -> bool:
    """Whether a POST came from a page that is not ours (a cross-site form): refuse it.

    The Origin header names the page that sent the form; without one (or "null", which a
    browser sends for opaque origins or under Referrer-Policy: no-referrer) the Referer's
    origin does. Ours are settings.cors_origins and the origin the request was sent to. When
    neither header says anything the request is let through: a cross-site POST carries no
    SameSite=Lax/Strict session cookie, and the routes only touch the cookie they are sent.
    """
    claimed = request.headers.get("origin", "")
    if not claimed or claimed == "null":
        claimed = _origin_of(request.headers.get("referer", ""))
    if not claimed:
        return False
    # The origin the browser addressed, through trusted proxies (X-Forwarded-Proto/Host).
    return claimed not in get_settings().cors_origins and claimed.lower() != request_origin(request)


def refused() -> Response:
    """The answer to a cross-site POST: nothing done, nothing cleared."""
    return PlainTextResponse(
        "Refused: sign out from the portal's own page.",
        status_code=403,
        headers={"Cache-Control": "no-store"},
    )
