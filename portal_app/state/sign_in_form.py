"""The sign-in page's state, shared by the client and the staff sign-in pages.

Each page's State mixes this in before its side's base state (PortalState or StaffState, whose
`SIDE` says which service signs in, where the session is handed off and which `next` pages
are allowed) and says only what differs in its `on_load`: the notice, and whether the visitor
is signed in already (`_open_page`). The checks, the double-submit guard, keeping the audit
row of a failed attempt, the error handling and the open-redirect check of `next` live here.

The form is usable only once the page holds a fresh sign-in binding (state/signin_binding.py):
the session it opens is handed off to this browser alone.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from portal_app.core import i18n
from portal_app.core.db import session_scope
from portal_app.core.errors import AuthError
from portal_app.core.i18n import gettext
from portal_app.state.session import PasswordSignIn, SessionStateMixin
from portal_app.state.signin_binding import (
    COOKIES_NEEDED,
    came_back_unbound,
    fetch_binding,
    signin_binding,
)

MAX_EMAIL = 254
MAX_PASSWORD = 256


class SignInFormMixin(SessionStateMixin, mixin=True):
    """E-mail and password checked on the server; a session handed off to an HttpOnly cookie."""

    email_error: str = ""
    password_error: str = ""
    form_error: str = ""
    notice: str = ""
    submitting: bool = False
    # The page holds a sign-in binding: the fields and the button are enabled.
    binding_ready: bool = False

    def _page_language(self) -> str:
        """The language of this page's server-built texts (each sign-in page says its own:
        the shell state's `lang`)."""
        return i18n.SOURCE_LANGUAGE

    def _reset_form(self) -> None:
        self.email_error = self.password_error = self.form_error = ""
        self.submitting = False

    def _ensure_binding(self):
        """For on_load: enable the form when the browser holds a fresh binding; otherwise
        fetch one (the page reloads), or say cookies are needed when that was tried."""
        self.binding_ready = signin_binding(self) is not None
        if self.binding_ready:
            return None
        if came_back_unbound(self):
            self.form_error = gettext(COOKIES_NEEDED)
            return None
        return fetch_binding(self, self._backend_base())

    def _open_page(self, *, notice: str, signed_in: bool):
        """For on_load: show `notice`; go on to `next` when the visitor is `signed_in`
        already, else make the form usable (see `_ensure_binding`)."""
        self._reset_form()
        self.notice = notice
        if signed_in:
            return rx.redirect(self._next_path(), replace=True)
        return self._ensure_binding()

    def _next_path(self) -> str:
        """Where a sign-in goes: `next` when it is a page of this side, else its home page."""
        return self.SIDE.next_path(self.router.url.query_parameters.get("next", ""))

    @rx.event(background=True)
    async def submit(self, form_data: dict):
        """Check the credentials on the server; on success move the session into a cookie."""
        email = str(form_data.get("email", "")).strip()[: MAX_EMAIL + 1]
        password = str(form_data.get("password", ""))[: MAX_PASSWORD + 1]
        async with self:
            # Texts of this event (and of the service, in its worker thread) in the page's.
            i18n.set_language(self._page_language())
            if self.submitting:
                return
            binding = signin_binding(self)
            if binding is None:
                # The binding expired while the page stayed open: get a new one first.
                return self._ensure_binding()
            self.email_error = "" if email else gettext("Enter your e-mail address.")
            if email and ("@" not in email or len(email) > MAX_EMAIL):
                self.email_error = gettext("Enter a valid e-mail address.")
            self.password_error = "" if password else gettext("Enter your password.")
            self.form_error = ""
            if self.email_error or self.password_error:
                return
            self.submitting = True
            ip = self._client_ip()
            user_agent = self.router.headers.user_agent or ""
            sign_in = self.SIDE.password_sign_in
        try:
            opened = await asyncio.to_thread(
                _open_session, sign_in, email, password, ip, user_agent, binding
            )
        except AuthError as exc:
            async with self:
                # The services' messages are English msgids (marked N_), shown translated.
                self.form_error = gettext(str(exc))
                self.submitting = False
            return
        except Exception:
            # Database unreachable or another failure: the app's backend exception handler
            # tells the user; the form must not stay disabled for the next try.
            async with self:
                self.submitting = False
            raise
        async with self:
            return self._handoff_script(opened.handoff_code, self._next_path())


def _open_session(
    sign_in: PasswordSignIn, email: str, password: str, ip: str, user_agent: str, binding: str
) -> Any:
    """Sign in (in a worker thread, no state access) for the browser holding `binding`."""
    with session_scope() as db:
        try:
            return sign_in(
                db, email=email, password=password, ip=ip, user_agent=user_agent, binding=binding
            )
        except AuthError:
            # Keep the failed-attempt audit row; nothing else was changed.
            db.commit()
            raise
