"""Client sign-in at /client/login."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app import routes
from portal_app.components.accessible import callout
from portal_app.db import session_scope
from portal_app.layout.shell import public_page
from portal_app.services import auth, registration
from portal_app.services.errors import AuthError
from portal_app.state.portal import PortalState

MAX_EMAIL = 254
MAX_PASSWORD = 256


class LoginState(PortalState):
    """The sign-in form."""

    email_error: str = ""
    password_error: str = ""
    form_error: str = ""
    notice: str = ""
    submitting: bool = False
    # Whether to offer "Create an account" (the company allows self-registration).
    registration_open: bool = False

    @rx.event
    def on_load(self):
        self.email_error = self.password_error = self.form_error = ""
        self.submitting = False
        params = self.router.url.query_parameters
        self.notice = (
            "You have signed out."
            if params.get("signed_out")
            else "Your password was changed. Sign in with the new one."
            if params.get("reset")
            else ""
        )
        with session_scope() as db:
            self.registration_open = registration.registration_info(
                db, company=params.get("company") or None
            ).open
        actor = self._actor()
        # An e-mailed-link session may still sign in with a password to get a full session.
        if actor is not None and not actor.is_link_session:
            return rx.redirect(self._next_path(), replace=True)

    def _next_path(self) -> str:
        target = self.router.url.query_parameters.get("next", "")
        return target if routes.is_safe_next(target) else routes.CLIENT_DASHBOARD

    @rx.event(background=True)
    async def submit(self, form_data: dict):
        """Check the credentials on the server; on success move the session into a cookie."""
        email = str(form_data.get("email", "")).strip()[: MAX_EMAIL + 1]
        password = str(form_data.get("password", ""))[: MAX_PASSWORD + 1]
        async with self:
            if self.submitting:
                return
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
        try:
            new_session = await asyncio.to_thread(_sign_in, email, password, ip, user_agent)
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
            next_path = self._next_path()
            return self._handoff_script(new_session.handoff_code, next_path)


def _sign_in(email: str, password: str, ip: str, user_agent: str) -> auth.NewSession:
    with session_scope() as db:
        try:
            return auth.sign_in(db, email=email, password=password, ip=ip, user_agent=user_agent)
        except AuthError:
            # Keep the failed-attempt audit row; nothing else was changed.
            db.commit()
            raise


def _field(label: str, name: str, kind: str, error, autocomplete: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"font_weight": "500"}),
        rx.input(
            id=name,
            name=name,
            type=kind,
            auto_complete=autocomplete,
            size="3",
            width="100%",
            aria_invalid=rx.cond(error != "", "true", "false"),
            aria_describedby=f"{name}-error",
            max_length=MAX_PASSWORD if kind == "password" else MAX_EMAIL,
        ),
        rx.cond(
            error != "",
            rx.text(error, id=f"{name}-error", color_scheme="red", size="2", role="alert"),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


@public_page(routes.CLIENT_LOGIN, "Sign in", on_load=LoginState.on_load)
def login_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.image(src="/logo.png", alt="", width="40px", height="40px"),
                rx.heading("Sign in to your portal", size="6", as_="h1"),
                align="center",
                spacing="3",
            ),
            rx.cond(
                LoginState.notice != "",
                callout(LoginState.notice, icon="info", color_scheme="green", width="100%"),
            ),
            rx.cond(
                LoginState.form_error != "",
                callout(
                    LoginState.form_error,
                    icon="triangle-alert",
                    color_scheme="red",
                    role="alert",
                    width="100%",
                    id="login-error",
                ),
            ),
            rx.form(
                rx.vstack(
                    _field("E-mail", "email", "email", LoginState.email_error, "username"),
                    _field(
                        "Password",
                        "password",
                        "password",
                        LoginState.password_error,
                        "current-password",
                    ),
                    rx.button(
                        rx.cond(LoginState.submitting, rx.spinner(size="2"), rx.fragment()),
                        "Sign in",
                        type="submit",
                        size="3",
                        width="100%",
                        disabled=LoginState.submitting,
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=LoginState.submit,
                reset_on_submit=False,
                width="100%",
            ),
            rx.link("Forgot your password?", href=routes.CLIENT_PASSWORD_RESET, size="2"),
            rx.cond(
                LoginState.registration_open,
                rx.link("New here? Create an account", href=routes.CLIENT_REGISTER, size="2"),
            ),
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
    )
