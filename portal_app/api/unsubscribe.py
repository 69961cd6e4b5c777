"""The unsubscribe link of payment reminders (services/billing/reminders.py).

GET answers with a small page and a button: link scanners and previews fetch links in e-mails,
so merely opening one must not unsubscribe anyone. POST (the button, or a mail client's
one-click unsubscribe from the List-Unsubscribe header, RFC 8058) unsubscribes. The signed
token is the whole authority: no session is needed. A forged or expired token gets a 404
page; repeating a valid one says the same "unsubscribed" again.
"""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from portal_app.client_address import request_client_address
from portal_app.core.db import session_scope
from portal_app.core.i18n import SOURCE_LANGUAGE, _, use_language
from portal_app.services.billing import reminders

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(language: str, title: str, body: str, *, button: str = "", status: int = 200):
    # The texts come translated already: _() needs the literal msgids where they are used.
    form = (
        f'<form method="post"><button type="submit">{html.escape(button)}</button></form>'
        if button
        else ""
    )
    direction = "rtl" if language == "ar" else "ltr"
    page = (
        f'<!doctype html><html lang="{language.replace("_", "-")}" dir="{direction}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(body)}</p>{form}</main></body></html>"
    )
    return HTMLResponse(page, status_code=status, headers=_HEADERS)


def _invalid() -> Response:
    # Nobody is known from a bad token: the portal's source language.
    with use_language(SOURCE_LANGUAGE):
        title = _("Link not valid")
        body = _("This unsubscribe link is not valid or has expired.")
    return _page(SOURCE_LANGUAGE, title, body, status=404)


async def unsubscribe_reminders(request: Request) -> Response:
    """GET: ask to confirm; POST: stop the contact's payment reminders."""
    token = request.path_params.get("token", "")
    if request.method == "GET":

        def read():
            with session_scope() as db:
                return reminders.read_unsubscribe_token(db, token)

        found = await run_in_threadpool(read)
        if found is None:
            return _invalid()
        with use_language(found.language):
            title = _("Payment reminders")
            body = _("Stop the e-mails reminding you of open invoices?")
            button = _("Unsubscribe")
        return _page(found.language, title, body, button=button)
    ip = request_client_address(request)

    def apply():
        with session_scope() as db:
            return reminders.unsubscribe(db, token=token, ip=ip)

    found = await run_in_threadpool(apply)
    if found is None:
        return _invalid()
    with use_language(found.language):
        title = _("Unsubscribed")
        body = _("You will get no more payment reminders by e-mail.")
    return _page(found.language, title, body)
