"""/client/password/reset: ask for a reset link, then choose a new password from it."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import AuthError, ValidationError
from portal_app.services.identity import password_reset
from portal_app.state.portal import PortalState

NEUTRAL_SENT = (
    "If that address belongs to a portal account, we have sent it a link to choose a new "
    "password. The link works for a short time."
)


class PasswordResetState(PortalState):
    has_token: bool = False
    sent: bool = False
    email_error: str = ""
    password_error: str = ""
    token_error: str = ""
    busy: bool = False
    _token: str = ""

    @rx.event
    def on_load(self):
        self._token = self.router.url.query_parameters.get("token", "")[:512]
        self.has_token = bool(self._token)
        self.sent = False
        self.email_error = self.password_error = self.token_error = ""
        self.busy = False

    @rx.event(background=True)
    async def request_link(self, form_data: dict):
        email = str(form_data.get("email", "")).strip()[:255]
        async with self:
            if not email or "@" not in email or len(email) > 254:
                self.email_error = "Enter the e-mail address you sign in with."
                return
            self.email_error = ""
            self.busy = True
            ip = self._client_ip()
        try:
            await asyncio.to_thread(_request, email, ip)
        except AuthError as exc:  # throttled
            async with self:
                self.email_error = str(exc)
                self.busy = False
            return
        async with self:
            self.sent = True
            self.busy = False

    @rx.event(background=True)
    async def choose_password(self, form_data: dict):
        password = str(form_data.get("password", ""))[:300]
        confirm = str(form_data.get("confirm", ""))[:300]
        async with self:
            self.password_error = self.token_error = ""
            if password != confirm:
                self.password_error = "The two passwords are not the same."
                return
            self.busy = True
            token, ip = self._token, self._client_ip()
        try:
            await asyncio.to_thread(_reset, token, password, ip)
        except ValidationError as exc:
            async with self:
                if exc.field == "password":
                    self.password_error = exc.message
                else:
                    self.token_error = exc.message
                self.busy = False
            return
        async with self:
            self.busy = False
            return rx.redirect(f"{routes.CLIENT_LOGIN}?reset=1", replace=True)


def _request(email: str, ip: str) -> None:
    with session_scope() as db:
        password_reset.request_password_reset(db, email=email, ip=ip)


def _reset(token: str, password: str, ip: str) -> None:
    with session_scope() as db:
        password_reset.reset_password(db, token=token, new_password=password, ip=ip)


def _error(message) -> rx.Component:
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="2", role="alert"))


def _request_form() -> rx.Component:
    return rx.cond(
        PasswordResetState.sent,
        callout(NEUTRAL_SENT, icon="mail-check", color_scheme="green", role="status"),
        rx.form(
            rx.vstack(
                rx.el.label("E-mail", html_for="email", style={"font_weight": "500"}),
                rx.input(
                    id="email",
                    name="email",
                    type="email",
                    auto_complete="username",
                    size="3",
                    width="100%",
                ),
                _error(PasswordResetState.email_error),
                rx.button(
                    "Send reset link",
                    type="submit",
                    size="3",
                    width="100%",
                    loading=PasswordResetState.busy,
                ),
                spacing="2",
                width="100%",
                align="start",
            ),
            on_submit=PasswordResetState.request_link,
            width="100%",
        ),
    )


def _new_password_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _error(PasswordResetState.token_error),
            rx.el.label("New password", html_for="password", style={"font_weight": "500"}),
            rx.input(
                id="password",
                name="password",
                type="password",
                auto_complete="new-password",
                size="3",
                width="100%",
            ),
            rx.el.label("Repeat it", html_for="confirm", style={"font_weight": "500"}),
            rx.input(
                id="confirm",
                name="confirm",
                type="password",
                auto_complete="new-password",
                size="3",
                width="100%",
            ),
            _error(PasswordResetState.password_error),
            rx.button(
                "Save new password",
                type="submit",
                size="3",
                width="100%",
                loading=PasswordResetState.busy,
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
        on_submit=PasswordResetState.choose_password,
        width="100%",
    )


def password_reset_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Reset your password", size="6", as_="h1"),
            rx.cond(PasswordResetState.has_token, _new_password_form(), _request_form()),
            rx.link("Back to sign in", href=routes.CLIENT_LOGIN, size="2"),
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
    )
