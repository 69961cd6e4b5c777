"""The sign-in form's state, shared by the client and the staff sign-in pages.

Each page's State mixes this in and says how to open a session (`_open_session`, run in a
worker thread) and how to hand it to the browser (`_hand_off`); the checks, the double-submit
guard and the error handling live here once.

The form is usable only once the page holds a fresh sign-in binding (state/signin_binding.py):
the session it opens is handed off to this browser alone.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app.core.errors import AuthError
from portal_app.state.signin_binding import (
    COOKIES_NEEDED,
    came_back_unbound,
    fetch_binding,
    signin_binding,
)

MAX_EMAIL = 254
MAX_PASSWORD = 256


class SignInFormMixin(rx.State, mixin=True):
    """E-mail and password checked on the server; a session handed off to an HttpOnly cookie."""

    email_error: str = ""
    password_error: str = ""
    form_error: str = ""
    notice: str = ""
    submitting: bool = False
    # The page holds a sign-in binding: the fields and the button are enabled.
    binding_ready: bool = False

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
            self.form_error = COOKIES_NEEDED
            return None
        return fetch_binding(self, self._backend_base())

    def _open_session(self, email: str, password: str, ip: str, user_agent: str, binding: str):
        """Sign in (in a worker thread, no state access) for the browser holding `binding`;
        returns what `_hand_off` takes."""
        raise NotImplementedError

    def _hand_off(self, opened):
        """The event that moves the new session into the browser's cookie."""
        raise NotImplementedError

    @rx.event(background=True)
    async def submit(self, form_data: dict):
        """Check the credentials on the server; on success move the session into a cookie."""
        email = str(form_data.get("email", "")).strip()[: MAX_EMAIL + 1]
        password = str(form_data.get("password", ""))[: MAX_PASSWORD + 1]
        async with self:
            if self.submitting:
                return
            binding = signin_binding(self)
            if binding is None:
                # The binding expired while the page stayed open: get a new one first.
                return self._ensure_binding()
            self.email_error = "" if email else "Enter your e-mail address."
            if email and ("@" not in email or len(email) > MAX_EMAIL):
                self.email_error = "Enter a valid e-mail address."
            self.password_error = "" if password else "Enter your password."
            self.form_error = ""
            if self.email_error or self.password_error:
                return
            self.submitting = True
            ip = self._client_ip()
            user_agent = self.router.headers.user_agent or ""
            open_session = self._open_session
        try:
            opened = await asyncio.to_thread(open_session, email, password, ip, user_agent, binding)
        except AuthError as exc:
            async with self:
                self.form_error = str(exc)
                self.submitting = False
            return
        except Exception:
            # Database unreachable or another failure: the app's backend exception handler
            # tells the user; the form must not stay disabled for the next try.
            async with self:
                self.submitting = False
            raise
        async with self:
            return self._hand_off(opened)
