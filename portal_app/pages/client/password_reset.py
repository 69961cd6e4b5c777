"""/client/password/reset: ask for a reset link, then choose a new password from it, in the
visitor's language (as the sign-in page chooses it); the e-mail follows it."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.core import i18n, routes
from portal_app.core.db import session_scope
from portal_app.core.errors import AuthError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.reflex_ext.document_language import document_language
from portal_app.services.identity import password_reset, registration
from portal_app.state.portal import PortalState
from portal_app.state.translate import _

NEUTRAL_SENT = i18n.N_(
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
        params = self.router.url.query_parameters
        with session_scope() as db:
            row = registration.registration_company(db, company=params.get("company") or None)
        # Nobody is signed in: the visitor's choice, else the browser's, else the company's.
        self._apply_visitor_language(row.locale if row is not None else "")
        self._token = self.router.url.query_parameters.get("token", "")[:512]
        self.has_token = bool(self._token)
        self.sent = False
        self.email_error = self.password_error = self.token_error = ""
        self.busy = False

    @rx.event(background=True)
    async def request_link(self, form_data: dict):
        email = str(form_data.get("email", "")).strip()[:255]
        async with self:
            language = self.lang
            if not email or "@" not in email or len(email) > 254:
                with i18n.use_language(language):
                    self.email_error = gettext("Enter the e-mail address you sign in with.")
                return
            self.email_error = ""
            self.busy = True
            ip = self._client_ip()
        try:
            await asyncio.to_thread(_request, email, ip, language)
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
            language = self.lang
            self.password_error = self.token_error = ""
            if password != confirm:
                with i18n.use_language(language):
                    self.password_error = gettext("The two passwords are not the same.")
                return
            self.busy = True
            token, ip = self._token, self._client_ip()
        try:
            await asyncio.to_thread(_reset, token, password, ip, language)
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


def _request(email: str, ip: str, language: str) -> None:
    with i18n.use_language(language), session_scope() as db:
        password_reset.request_password_reset(db, email=email, ip=ip, language=language)


def _reset(token: str, password: str, ip: str, language: str) -> None:
    # In the page's language: the refusals (a weak password, a used link) are shown on it.
    with i18n.use_language(language), session_scope() as db:
        password_reset.reset_password(db, token=token, new_password=password, ip=ip)


def _error(message) -> rx.Component:
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="2", role="alert"))


def _request_form() -> rx.Component:
    return rx.cond(
        PasswordResetState.sent,
        callout(_(NEUTRAL_SENT), icon="mail-check", color_scheme="green", role="status"),
        rx.form(
            rx.vstack(
                rx.el.label(_("E-mail"), html_for="email", style={"font_weight": "500"}),
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
                    _("Send reset link"),
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
            rx.el.label(_("New password"), html_for="password", style={"font_weight": "500"}),
            rx.input(
                id="password",
                name="password",
                type="password",
                auto_complete="new-password",
                size="3",
                width="100%",
            ),
            rx.el.label(_("Repeat it"), html_for="confirm", style={"font_weight": "500"}),
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
                _("Save new password"),
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
    return rx.fragment(
        # <html lang dir> follow the page's language, as on the sign-in page.
        document_language(PasswordResetState.html_lang, PasswordResetState.text_dir),
        _reset_card(),
    )


def _reset_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Reset your password"), size="6", as_="h1"),
            rx.cond(PasswordResetState.has_token, _new_password_form(), _request_form()),
            rx.link(_("Back to sign in"), href=routes.CLIENT_LOGIN, size="2"),
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
    )
