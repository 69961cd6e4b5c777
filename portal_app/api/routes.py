"""HTTP routes beside the Reflex app: health, the session cookie, invoice downloads.

They see no Reflex state, so each authenticates from the HttpOnly cookie and the database.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Route

from portal_app.api import signin
from portal_app.api.file_responses import file_response, plain_text
from portal_app.api.health import health
from portal_app.api.staff_routes import STAFF_ROUTES
from portal_app.api.unsubscribe import unsubscribe_email
from portal_app.client_address import request_client_address
from portal_app.core import files, routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError
from portal_app.core.i18n import LANGUAGE_COOKIE, N_, use_language
from portal_app.core.settings import get_settings
from portal_app.logging_setup import RequestIdMiddleware
from portal_app.services.identity import auth
from portal_app.services.identity.actor import Actor

log = logging.getLogger(__name__)
NOT_FOUND_TEXT = N_("Not found.")


def _client_ip(request: Request) -> str:
    """The client's address, through trusted proxies (PORTAL_TRUSTED_PROXIES)."""
    return request_client_address(request)


def _actor(request: Request) -> Actor | None:
    token = request.cookies.get(get_settings().session_cookie_name)
    with session_scope() as db:
        return auth.resolve_actor(db, token=token, ip=_client_ip(request))


def _in_reader_language(request: Request, actor: Actor, work):
    """`work` made to run (in the thread pool) in the language the portal shows this reader:
    a downloaded PDF reads like the page it was downloaded from."""
    from portal_app.services.company.locale import reader_language

    accept = request.headers.get("accept-language", "")
    visitor = request.cookies.get(LANGUAGE_COOKIE)

    def run(*args):
        with session_scope() as db:
            language = reader_language(
                db, actor=actor, accept_language=accept, visitor_choice=visitor
            )
        with use_language(language):
            return work(*args)

    return run


def _attachment(data: bytes, filename: str, media_type: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def invoice_pdf(request: Request) -> Response:
    """The signed-in client's invoice as a PDF; anything else is the same 404."""
    from portal_app.services.billing import invoices

    actor = _actor(request)
    if actor is None:
        return plain_text(request, N_("Sign in to download invoices."), 401)
    try:
        invoice_id = invoices.parse_invoice_id(request.path_params.get("invoice_id"))
        render = _in_reader_language(request, actor, _render_one)
        filename, data = await run_in_threadpool(render, actor, invoice_id)
    except NotFoundError:
        return plain_text(request, NOT_FOUND_TEXT, 404)
    return _attachment(data, filename, "application/pdf")


async def invoice_ubl(request: Request) -> Response:
    """The signed-in client's invoice as a UBL 2.1 e-invoice, scoped as its PDF is."""
    from portal_app.services.billing import invoice_files, invoices

    actor = _actor(request)
    if actor is None:
        return plain_text(request, N_("Sign in to download invoices."), 401)

    def run(invoice_id: int) -> tuple[str, bytes]:
        with session_scope() as db:
            found = invoice_files.invoice_ubl(db, actor=actor, invoice_id=invoice_id)
            _note_download(db, actor, "invoice", [invoice_id])
            return found

    try:
        invoice_id = invoices.parse_invoice_id(request.path_params.get("invoice_id"))
        filename, data = await run_in_threadpool(run, invoice_id)
    except NotFoundError:
        return plain_text(request, NOT_FOUND_TEXT, 404)
    return _attachment(data, filename, "application/xml")


async def invoice_qr(request: Request) -> Response:
    """An invoice page's QR code as an SVG image (services.billing.invoices.invoice_qr_svg),
    for the signed-in client only; anything else is the same 404. Kept a while by this browser
    only: the page's URL carries a version that changes with what the code holds."""
    from portal_app.services.billing import invoices

    actor = _actor(request)
    if actor is None:
        return plain_text(request, N_("Sign in to see invoices."), 401)

    def run(invoice_id: int, kind: str) -> str:
        with session_scope() as db:
            return invoices.invoice_qr_svg(db, actor=actor, invoice_id=invoice_id, kind=kind)

    try:
        invoice_id = invoices.parse_invoice_id(request.path_params.get("invoice_id"))
        svg = await run_in_threadpool(run, invoice_id, str(request.path_params.get("kind")))
    except NotFoundError:
        return plain_text(request, NOT_FOUND_TEXT, 404)
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            # Opened on its own, the SVG may not run or load anything.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


async def invoices_zip(request: Request) -> Response:
    """Several of the client's invoices as one ZIP of PDFs; one foreign id fails the whole."""
    from portal_app.services.billing import invoices

    actor = _actor(request)
    if actor is None:
        return plain_text(request, N_("Sign in to download invoices."), 401)
    raw = request.query_params.get("ids", "")
    try:
        ids = [invoices.parse_invoice_id(part) for part in raw.split(",") if part.strip()]
        render = _in_reader_language(request, actor, _render_zip)
        filename, data = await run_in_threadpool(render, actor, ids)
    except NotFoundError:
        return plain_text(request, NOT_FOUND_TEXT, 404)
    return _attachment(data, filename, "application/zip")


async def payment_receipt(request: Request) -> Response:
    """The signed-in client's payment receipt as a PDF; anything else is the same 404."""
    from portal_app.services.payments import payment_files, payments

    return await _client_pdf(
        request,
        "receipts",
        lambda: payments.parse_payment_id(request.path_params.get("payment_id")),
        lambda db, actor, pid: payment_files.payment_receipt(db, actor=actor, payment_id=pid),
    )


async def credit_pdf(request: Request) -> Response:
    """The signed-in client's credit note as a PDF (never a draft); else the same 404."""
    from portal_app.services.billing import credit_files, credits

    return await _client_pdf(
        request,
        "credits",
        lambda: credits.parse_credit_id(request.path_params.get("credit_id")),
        lambda db, actor, cid: credit_files.credit_pdf(db, actor=actor, credit_id=cid),
    )


async def quote_pdf(request: Request) -> Response:
    """The signed-in client's quote as a PDF (never a draft); else the same 404."""
    from portal_app.services.billing import quote_files, quotes

    return await _client_pdf(
        request,
        "quotes",
        lambda: quotes.parse_quote_id(request.path_params.get("quote_id")),
        lambda db, actor, qid: quote_files.quote_pdf(db, actor=actor, quote_id=qid),
    )


async def quotes_zip(request: Request) -> Response:
    """Several of the client's quotes as one ZIP of PDFs; one foreign id fails the whole."""
    from portal_app.services.billing import quote_files, quotes

    actor = _actor(request)
    if actor is None:
        return plain_text(request, N_("Sign in to download quotes."), 401)
    raw = request.query_params.get("ids", "")

    def run(ids: list[int]) -> tuple[str, bytes]:
        with session_scope() as db:
            found = quote_files.quotes_zip(db, actor=actor, quote_ids=ids)
            _note_download(db, actor, "quote", ids)
            return found

    try:
        parts = raw.split(",")[: quotes.MAX_QUOTES_PER_ACTION + 1]
        ids = [quotes.parse_quote_id(part) for part in parts if part.strip()]
        filename, data = await run_in_threadpool(_in_reader_language(request, actor, run), ids)
    except NotFoundError:
        return plain_text(request, NOT_FOUND_TEXT, 404)
    return _attachment(data, filename, "application/zip")


# What each of _client_pdf's downloads is, for the client's activity page.
_PDF_RECORDS = {"receipts": "payment", "credits": "credit", "quotes": "quote"}
_SIGN_IN_TO_DOWNLOAD = {
    "receipts": N_("Sign in to download receipts."),
    "credits": N_("Sign in to download credits."),
    "quotes": N_("Sign in to download quotes."),
}


def _note_download(db, actor: Actor, entity_type: str, ids: list[int]) -> None:
    """The client downloaded these records (its activity page), in the download's session."""
    from portal_app.services.company import client_activity

    client_activity.record_download(db, actor=actor, entity_type=entity_type, entity_ids=ids)


async def _client_pdf(request: Request, what: str, parse_id, render) -> Response:
    """401 when signed out, 404 for any id that is not the client's, else the PDF."""
    actor = _actor(request)
    if actor is None:
        return plain_text(request, _SIGN_IN_TO_DOWNLOAD[what], 401)

    def run(record_id: int) -> tuple[str, bytes]:
        with session_scope() as db:
            found = render(db, actor, record_id)
            _note_download(db, actor, _PDF_RECORDS[what], [record_id])
            return found

    try:
        record_id = parse_id()
        in_language = _in_reader_language(request, actor, run)
        filename, data = await run_in_threadpool(in_language, record_id)
    except NotFoundError:
        return plain_text(request, NOT_FOUND_TEXT, 404)
    return _attachment(data, filename, "application/pdf")


def _render_one(actor: Actor, invoice_id: int) -> tuple[str, bytes]:
    # PDF rendering takes ~100 ms an invoice: keep it off the event loop.
    from portal_app.services.billing import invoice_files

    with session_scope() as db:
        found = invoice_files.invoice_pdf(db, actor=actor, invoice_id=invoice_id)
        _note_download(db, actor, "invoice", [invoice_id])
        return found


def _render_zip(actor: Actor, ids: list[int]) -> tuple[str, bytes]:
    from portal_app.services.billing import invoice_files

    with session_scope() as db:
        found = invoice_files.invoices_zip(db, actor=actor, invoice_ids=ids)
        _note_download(db, actor, "invoice", sorted(set(ids)))
        return found


async def statement_pdf(request: Request) -> Response:
    """The signed-in client's statement for a date range as a PDF; 400 names a bad field."""
    from portal_app.core.errors import ValidationError
    from portal_app.services.billing import statement_files

    actor = _actor(request)
    if actor is None:
        return plain_text(request, N_("Sign in to download statements."), 401)
    params = request.query_params

    def run() -> tuple[str, bytes]:
        from portal_app.services.company import client_activity

        with session_scope() as db:
            client_activity.record_file_download(db, actor=actor, what="statement")
            return statement_files.statement_pdf(
                db,
                actor=actor,
                start=params.get("start", ""),
                end=params.get("end", ""),
                status=params.get("status", "all"),
                show_payments=params.get("payments", "1") != "0",
                show_credits=params.get("credits", "1") != "0",
                show_aging=params.get("aging", "1") != "0",
            )

    try:
        filename, data = await run_in_threadpool(_in_reader_language(request, actor, run))
    except NotFoundError:
        return plain_text(request, NOT_FOUND_TEXT, 404)
    except ValidationError as exc:
        return PlainTextResponse(f"{exc.field}: {exc.message}", status_code=400)
    return _attachment(data, filename, "application/pdf")


async def export_file(request: Request) -> Response:
    """The signed-in client's invoices, payments or credits for a date range as CSV or XLSX,
    with the list's filters (services/payments/export.py); 400 names a bad field, 404 for an
    unknown kind or a module switched off. Only the cookie's client is ever read."""
    from portal_app.core.errors import ValidationError
    from portal_app.services.payments import export

    actor = _actor(request)
    if actor is None:
        return plain_text(request, N_("Sign in to download exports."), 401)
    params = request.query_params

    def run() -> tuple[str, str, bytes]:
        from portal_app.services.company import client_activity

        kind = request.path_params.get("kind", "")
        with session_scope() as db:
            client_activity.record_file_download(db, actor=actor, what=kind)
            return export.export_file(
                db,
                actor=actor,
                kind=kind,
                start=params.get("start", ""),
                end=params.get("end", ""),
                fmt=params.get("format", ""),
                status=params.get("status", "all"),
                search=params.get("q", ""),
                sort=params.get("sort", "date"),
                descending=params.get("desc", "1") != "0",
            )

    try:
        filename, media_type, data = await run_in_threadpool(run)
    except NotFoundError:
        return plain_text(request, NOT_FOUND_TEXT, 404)
    except ValidationError as exc:
        return PlainTextResponse(f"{exc.field}: {exc.message}", status_code=400)
    return _attachment(data, filename, media_type)


async def document_file(request: Request) -> Response:
    """A client document (or a ZIP of several, or a file built for this session such as a
    long statement PDF) named by a short-lived signed token.

    The token is made for one client, and the request's own session cookie must belong to
    that same client: a leaked URL is useless to anyone else and dies within minutes.
    Expired, tampered, foreign or hidden: the same 404. `?inline=1` shows an image or PDF in
    the page (preview) when the business put it there; every other type, and anything a client
    uploaded, is always an attachment.
    """
    from portal_app.services.billing import generated_files
    from portal_app.services.documents import documents

    actor = _actor(request)
    token = request.path_params.get("token", "")

    def resolve():
        if generated_files.is_generated_token(token):
            # A file built for this session (a long statement PDF), not a stored document.
            return (*generated_files.resolve_generated(actor=actor, token=token), True)
        with session_scope() as db:
            return documents.resolve_download(db, actor=actor, token=token)

    try:
        if actor is None:
            raise NotFoundError("download")
        name, media_type, body, inline_ok = await run_in_threadpool(resolve)
    except NotFoundError:
        return plain_text(request, NOT_FOUND_TEXT, 404, headers=_NO_STORE)
    inline = (
        request.query_params.get("inline") == "1" and inline_ok and media_type in files.INLINE_TYPES
    )
    headers = {
        "Content-Disposition": _content_disposition(name, inline),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Referrer-Policy": "no-referrer",
    }
    if media_type != "application/pdf":
        # Nothing we serve needs to run anything; a PDF viewer does, so it is left out.
        headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return file_response(body, media_type=media_type, headers=headers)


_NO_STORE = {"Cache-Control": "no-store"}


def _content_disposition(name: str, inline: bool) -> str:
    """An ASCII fallback filename plus the UTF-8 original (RFC 6266), never a raw quote."""
    from portal_app.core.files import download_filename

    kind = "inline" if inline else "attachment"
    return (
        f"{kind}; filename=\"{download_filename(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    )


# Stripe's events are a few kB; anything far larger is not from Stripe.
MAX_WEBHOOK_BYTES = 512 * 1024


async def stripe_webhook(request: Request) -> Response:
    """Stripe's events: verified, stored raw and processed once (services.webhooks).

    400 for a bad signature (nothing stored), 200 for an event processed, ignored or seen
    before, 500 when processing failed (the event is kept as failed; Stripe retries it).
    """
    payload = await request.body()
    if len(payload) > MAX_WEBHOOK_BYTES:
        return JSONResponse({"error": "payload too large"}, status_code=413)
    signature = request.headers.get("stripe-signature", "")
    from portal_app.services.payments.webhooks import WebhookSignatureError

    try:
        status = await run_in_threadpool(_handle_stripe_webhook, payload, signature)
    except WebhookSignatureError:
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    if status == "failed":
        return JSONResponse({"received": True, "status": status}, status_code=500)
    return JSONResponse({"received": True})


def _handle_stripe_webhook(payload: bytes, signature: str) -> str:
    from portal_app.gateways.factory import get_gateway
    from portal_app.services.payments import webhooks

    with session_scope() as db:
        event = webhooks.handle_stripe_webhook(
            db, gateway=get_gateway(), payload=payload, signature=signature
        )
        return event.status


api = Starlette(
    # Every HTTP request through this app (ours and, via the mount, Reflex's) gets a request id.
    middleware=[Middleware(RequestIdMiddleware)],
    routes=[
        Route(routes.API_HEALTH, health, methods=["GET"]),
        Route(routes.API_STRIPE_WEBHOOK, stripe_webhook, methods=["POST"]),
        Route(routes.API_AUTH_BINDING, signin.binding, methods=["GET"]),
        Route(routes.API_AUTH_HANDOFF, signin.handoff_route(signin.CLIENT), methods=["GET"]),
        Route(routes.API_AUTH_LOGOUT, signin.logout_route(signin.CLIENT), methods=["GET", "POST"]),
        Route(routes.API_INVOICES_ZIP, invoices_zip, methods=["GET"]),
        Route(routes.API_INVOICE_PDF, invoice_pdf, methods=["GET"]),
        Route(routes.API_INVOICE_UBL, invoice_ubl, methods=["GET"]),
        Route(routes.API_INVOICE_QR, invoice_qr, methods=["GET"]),
        Route(routes.API_PAYMENT_RECEIPT, payment_receipt, methods=["GET"]),
        Route(routes.API_CREDIT_PDF, credit_pdf, methods=["GET"]),
        Route(routes.API_QUOTES_ZIP, quotes_zip, methods=["GET"]),
        Route(routes.API_QUOTE_PDF, quote_pdf, methods=["GET"]),
        Route(routes.API_FILE, document_file, methods=["GET"]),
        Route(routes.API_STATEMENT_PDF, statement_pdf, methods=["GET"]),
        Route(routes.API_EXPORT, export_file, methods=["GET"]),
        Route(routes.API_EMAIL_UNSUBSCRIBE, unsubscribe_email, methods=["GET", "POST"]),
        Route(routes.API_REMINDERS_UNSUBSCRIBE, unsubscribe_email, methods=["GET", "POST"]),
        *STAFF_ROUTES,
    ],
)
