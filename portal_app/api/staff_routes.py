"""HTTP routes of the staff console's session: the staff cookie's handoff and sign-out.

The staff cookie (settings.staff_session_cookie_name) is set only here, from a handoff code
of a "staff" session; the client handoff route refuses those codes and this one refuses
every client code, so neither side can plant its session in the other's cookie.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from portal_app.api import signin
from portal_app.core import routes
from portal_app.core.db import session_scope, utcnow
from portal_app.core.settings import get_settings
from portal_app.services.identity import staff_auth
from portal_app.services.identity.auth import redeem_handoff


def _safe_staff_target(target: str) -> str:
    """A local staff console path, or one on our own origins; else the clients list."""
    parts = urlsplit(target)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not routes.is_safe_staff_next(path):
        return routes.STAFF_CLIENTS
    if not parts.scheme and not parts.netloc:
        return path
    origin = f"{parts.scheme}://{parts.netloc}"
    return target if origin in get_settings().cors_origins else path


async def staff_handoff(request: Request) -> Response:
    """Turn a staff handoff code into the HttpOnly staff cookie, then go on."""
    settings = get_settings()
    code = request.query_params.get("code", "")
    target = _safe_staff_target(request.query_params.get("next", ""))
    with session_scope() as db:
        # Only the browser whose sign-in binding the code was made with (login CSRF).
        redeemed = redeem_handoff(db, code=code, binding=signin.binding_of(request), staff=True)
        if redeemed is not None:
            token, row = redeemed
            max_age = int((row.expires_at - utcnow()).total_seconds())
    if redeemed is None:
        return RedirectResponse(routes.STAFF_LOGIN, status_code=303)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        settings.staff_session_cookie_name,
        token,
        max_age=max(0, max_age),
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        # Strict: the staff console is never entered from another site's link with a session.
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def staff_logout(request: Request) -> Response:
    """Revoke the staff session (and its previews) and clear the staff cookie: a POST from
    one of our pages. A GET changes nothing and shows the page with the button; a POST from
    another origin is refused."""
    settings = get_settings()
    if request.method != "POST":
        return RedirectResponse(routes.STAFF_LOGOUT, status_code=303, headers=_NO_STORE)
    if signin.foreign_origin(request):
        return signin.refused()
    token = request.cookies.get(settings.staff_session_cookie_name)
    with session_scope() as db:
        staff_auth.sign_out_staff(db, token=token)
    target = f"{routes.STAFF_LOGIN}?signed_out=1"
    referer = urlsplit(request.headers.get("referer", ""))
    origin = f"{referer.scheme}://{referer.netloc}" if referer.scheme and referer.netloc else ""
    if origin and origin in settings.cors_origins:
        target = origin + target
    response = RedirectResponse(target, status_code=303)
    if token is not None:
        response.delete_cookie(settings.staff_session_cookie_name, path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


async def end_preview(request: Request) -> Response:
    """Leave a staff preview: revoke the preview session, clear the client cookie and go back
    to the client's page in the staff console. A contact's own session is left alone.

    A POST from one of our pages (the preview banner's button); a GET changes nothing and
    goes to the portal, where the banner offers the button; another origin is refused."""
    from portal_app.services.identity import preview

    settings = get_settings()
    if request.method != "POST":
        return RedirectResponse(routes.CLIENT_DASHBOARD, status_code=303, headers=_NO_STORE)
    if signin.foreign_origin(request):
        return signin.refused()
    with session_scope() as db:
        client_id = preview.end_preview(db, token=request.cookies.get(settings.session_cookie_name))
    target = routes.staff_client_url(client_id) if client_id else routes.STAFF_CLIENTS
    response = RedirectResponse(target, status_code=303)
    if client_id:
        response.delete_cookie(settings.session_cookie_name, path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


async def branding_logo(request: Request) -> Response:
    """A company logo uploaded in the staff console (content-addressed, so cached for long)."""
    from portal_app.core.errors import NotFoundError
    from portal_app.services.company.branding import logo_file

    try:
        path, media_type = logo_file(request.path_params.get("name", ""))
    except NotFoundError:
        return PlainTextResponse("Not found.", status_code=404)
    return FileResponse(
        path,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


_NO_STORE = {"Cache-Control": "no-store"}

STAFF_ROUTES = [
    Route(routes.API_BRANDING_LOGO, branding_logo, methods=["GET"]),
    Route(routes.API_STAFF_PREVIEW_END, end_preview, methods=["GET", "POST"]),
    Route(routes.API_STAFF_AUTH_HANDOFF, staff_handoff, methods=["GET"]),
    Route(routes.API_STAFF_AUTH_LOGOUT, staff_logout, methods=["GET", "POST"]),
]
