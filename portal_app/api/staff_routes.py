"""HTTP routes of the staff console: the staff cookie's handoff and sign-out (api/signin.py,
side STAFF), leaving a staff preview, and the branding logo.

The staff cookie (settings.staff_session_cookie_name) is set only by the staff handoff route,
from a handoff code of a "staff" session; the client handoff route refuses those codes and
this one refuses every client code, so neither side can plant its session in the other's
cookie.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from portal_app.api import signin
from portal_app.api.file_responses import file_response
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.settings import get_settings


async def end_preview(request: Request) -> Response:
    """Leave a staff preview: revoke the preview session, clear the client cookie and go back
    to the client's page in the staff console. A contact's own session is left alone.

    A POST from one of our pages (the preview banner's button); a GET changes nothing and
    goes to the portal, where the banner offers the button; another origin is refused."""
    from portal_app.services.identity import preview

    settings = get_settings()
    if request.method != "POST":
        return RedirectResponse(routes.CLIENT_DASHBOARD, status_code=303, headers=signin.NO_STORE)
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
    return file_response(
        path,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


STAFF_ROUTES = [
    Route(routes.API_BRANDING_LOGO, branding_logo, methods=["GET"]),
    Route(routes.API_STAFF_PREVIEW_END, end_preview, methods=["GET", "POST"]),
    Route(routes.API_STAFF_AUTH_HANDOFF, signin.handoff_route(signin.STAFF), methods=["GET"]),
    Route(routes.API_STAFF_AUTH_LOGOUT, signin.logout_route(signin.STAFF), methods=["GET", "POST"]),
]
