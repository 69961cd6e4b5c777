"""HTTP pieces of signing in and out that both the client and the staff routes use.

- GET /api/auth/binding gives the browser that is about to start a sign-in its binding cookie
  (services/signin_binding.py) and sends it straight back to that page, which reloads with the
  cookie in its websocket handshake. It writes nothing on the server; a cross-site link to it
  at most gives the browser a new random value.
- `binding_of` reads that cookie for the handoff routes.
- `foreign_origin` is the CSRF guard of the POST-only routes that sign out or leave a preview.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from portal_app.core import routes
from portal_app.core.settings import get_settings
from portal_app.services.identity import signin_binding

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
        settings = get_settings()
        response.set_cookie(
            signin_binding.BINDING_COOKIE,
            signin_binding.new_binding(time.time()),
            max_age=signin_binding.BINDING_SECONDS,
            path="/",
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
        )
    response.headers["Cache-Control"] = "no-store"
    # `next` may hold an e-mailed link's key.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


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
    own = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
    return claimed not in get_settings().cors_origins and claimed != own


def refused() -> Response:
    """The answer to a cross-site POST: nothing done, nothing cleared."""
    return PlainTextResponse(
        "Refused: sign out from the portal's own page.",
        status_code=403,
        headers={"Cache-Control": "no-store"},
    )
