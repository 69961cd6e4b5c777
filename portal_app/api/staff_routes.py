"""HTTP routes of the staff console: the staff cookie's handoff and sign-out (api/signin.py,
side STAFF), leaving a staff preview, the branding logo, and the company's invoice, quote and
credit PDFs (as the client gets them) and quote signatures, which need the staff cookie.

The staff cookie (settings.staff_session_cookie_name) is set only by the staff handoff route,
from a handoff code of a "staff" session; the client handoff route refuses those codes and
this one refuses every client code, so neither side can plant its session in the other's
cookie.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal_app.api import signin
from portal_app.api.file_responses import file_response, plain_text
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.i18n import N_
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
        return plain_text(request, N_("Not found."), 404)
    return file_response(
        path,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _staff_actor(request: Request):
    """The staff user behind the request's staff cookie, or None (a client cookie never is)."""
    from portal_app.client_address import request_client_address
    from portal_app.services.identity import staff_auth

    token = request.cookies.get(get_settings().staff_session_cookie_name)
    with session_scope() as db:
        return staff_auth.resolve_staff_actor(db, token=token, ip=request_client_address(request))


_PRIVATE = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
}


def staff_pdf_route(kind_name: str):
    """GET one of the company's invoices, quotes or credits as the client's PDF: 401 without a
    staff session, the same 404 for another company's record or a bad id; `?inline=1` shows
    it in the browser instead of downloading it."""

    async def endpoint(request: Request) -> Response:
        from portal_app.core.errors import NotFoundError
        from portal_app.services.billing import staff_files, staff_records

        actor = _staff_actor(request)
        if actor is None:
            return plain_text(request, N_("Sign in as staff to download this."), 401)
        kind = {
            "invoice": staff_records.INVOICE,
            "quote": staff_records.QUOTE,
            "credit": staff_records.CREDIT,
        }[kind_name]

        def run() -> tuple[str, bytes]:
            with session_scope() as db:
                return staff_files.staff_pdf(
                    db, actor=actor, kind=kind, record_id=request.path_params.get("record_id")
                )

        try:
            # Rendering takes ~100 ms: off the event loop.
            filename, data = await run_in_threadpool(run)
        except NotFoundError:
            return plain_text(request, N_("Not found."), 404, headers=_PRIVATE)
        shown = "inline" if request.query_params.get("inline") == "1" else "attachment"
        headers = {
            **_PRIVATE,
            "Content-Disposition": f'{shown}; filename="{filename}"',
            # Not the page policy: the browser's PDF viewer is no page of ours (as for the
            # document route's PDFs), and no other site may frame it.
            "Content-Security-Policy": "frame-ancestors 'none'",
        }
        return Response(data, media_type="application/pdf", headers=headers)

    return endpoint


async def quote_signature(request: Request) -> Response:
    """The PNG a client signed one of the company's quotes with (staff only; else 401/404)."""
    from portal_app.core.errors import NotFoundError
    from portal_app.services.billing import staff_quotes

    actor = _staff_actor(request)
    if actor is None:
        return plain_text(request, N_("Sign in as staff to see this."), 401)
    try:
        with session_scope() as db:
            data = staff_quotes.approval_signature(
                db, actor=actor, quote_id=request.path_params.get("record_id")
            )
    except NotFoundError:
        return plain_text(request, N_("Not found."), 404, headers=_PRIVATE)
    # Checked as a PNG when it was stored; served so that nothing in it can run.
    headers = {**_PRIVATE, "Content-Security-Policy": "default-src 'none'; sandbox"}
    return Response(data, media_type="image/png", headers=headers)


STAFF_ROUTES = [
    Route(routes.API_BRANDING_LOGO, branding_logo, methods=["GET"]),
    Route(routes.API_STAFF_INVOICE_PDF, staff_pdf_route("invoice"), methods=["GET"]),
    Route(routes.API_STAFF_QUOTE_PDF, staff_pdf_route("quote"), methods=["GET"]),
    Route(routes.API_STAFF_CREDIT_PDF, staff_pdf_route("credit"), methods=["GET"]),
    Route(routes.API_STAFF_QUOTE_SIGNATURE, quote_signature, methods=["GET"]),
    Route(routes.API_STAFF_PREVIEW_END, end_preview, methods=["GET", "POST"]),
    Route(routes.API_STAFF_AUTH_HANDOFF, signin.handoff_route(signin.STAFF), methods=["GET"]),
    Route(routes.API_STAFF_AUTH_LOGOUT, signin.logout_route(signin.STAFF), methods=["GET", "POST"]),
]
