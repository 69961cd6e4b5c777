"""The unsubscribe link of an optional e-mail (services/identity/email_choices.py).

GET answers with a small page and a button: link scanners and previews fetch links in e-mails,
so merely opening one must not unsubscribe anyone. POST (the button, or a mail client's
one-click unsubscribe from the List-Unsubscribe header, RFC 8058) unsubscribes from the kind of
e-mail the token names; the page that says so has a button switching it back on (a POST with
`action=subscribe`) and a link to the profile, where every kind can be chosen. The signed token
is the whole authority: no session is needed. A forged or expired token gets a 404 page;
repeating a valid one says the same again. Payment reminders sent before the other kinds had
links use /api/reminders/unsubscribe/<token>, which works the same.
"""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from portal_app.client_address import request_client_address
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.i18n import SOURCE_LANGUAGE, _, gettext, use_language
from portal_app.core.settings import get_settings
from portal_app.services.identity import email_choices

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(
    language: str,
    title: str,
    body: str,
    *,
    button: str = "",
    action: str = "",
    profile: str = "",
    status: int = 200,
):
    # The texts come translated already: _() needs the literal msgids where they are used.
    esc = html.escape
    form = (
        f'<form method="post"><input type="hidden" name="action" value="{esc(action)}">'
        f'<button type="submit">{esc(button)}</button></form>'
        if button
        else ""
    )
    link = ""
    if profile:
        href = get_settings().base_url.rstrip("/") + routes.CLIENT_PROFILE
        link = f'<p><a href="{esc(href, quote=True)}">{esc(profile)}</a></p>'
    direction = "rtl" if language == "ar" else "ltr"
    page = (
        f'<!doctype html><html lang="{language.replace("_", "-")}" dir="{direction}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{esc(title)}</title></head><body><main><h1>{esc(title)}</h1>"
        f"<p>{esc(body)}</p>{form}{link}</main></body></html>"
    )
    return HTMLResponse(page, status_code=status, headers=_HEADERS)


def _invalid() -> Response:
    # Nobody is known from a bad token: the portal's source language.
    with use_language(SOURCE_LANGUAGE):
        title = _("Link not valid")
        body = _("This unsubscribe link is not valid or has expired.")
    return _page(SOURCE_LANGUAGE, title, body, status=404)


def _answer(found: email_choices.Unsubscribed, *, asking: bool) -> Response:
    with use_language(found.language):
        values = {"kind": gettext(email_choices.OPTIONAL_KINDS[found.kind])}
        profile = _("Choose which e-mails you get on your profile page.")
        if asking and found.subscribed:
            title = _("Unsubscribe")
            body = _("Stop these e-mails: %(kind)s?") % values
            return _page(
                found.language, title, body, button=title, action="unsubscribe", profile=profile
            )
        if found.subscribed:
            title = _("Subscribed again")
            body = _("You will get these e-mails again: %(kind)s.") % values
            return _page(found.language, title, body, profile=profile)
        title = _("Unsubscribed")
        body = _("You will get no more of these e-mails: %(kind)s.") % values
        button = _("Subscribe again")
        return _page(
            found.language, title, body, button=button, action="subscribe", profile=profile
        )


async def unsubscribe_email(request: Request) -> Response:
    """GET: ask to confirm; POST: switch the token's kind of e-mail off (or back on)."""
    token = request.path_params.get("token", "")
    if request.method == "GET":

        def read():
            with session_scope() as db:
                return email_choices.read_unsubscribe_token(db, token)

        found = await run_in_threadpool(read)
        return _invalid() if found is None else _answer(found, asking=True)
    form = await request.form()
    subscribe = form.get("action") == "subscribe"
    ip = request_client_address(request)

    def apply():
        with session_scope() as db:
            return email_choices.unsubscribe(db, token=token, ip=ip, subscribe=subscribe)

    found = await run_in_threadpool(apply)
    return _invalid() if found is None else _answer(found, asking=False)
