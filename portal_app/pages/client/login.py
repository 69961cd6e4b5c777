"""Client sign-in at /client/login."""

from __future__ import annotations

import reflex as rx

from portal_app.components.sign_in_form import sign_in_card
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import AuthError
from portal_app.services.identity import auth, registration
from portal_app.state.portal import PortalState
from portal_app.state.sign_in_form import SignInFormMixin


class LoginState(SignInFormMixin, PortalState):
    """The sign-in form."""

    # Whether to offer "Create an account" (the company allows self-registration).
    registration_open: bool = False

    @rx.event
    def on_load(self):
        self._reset_form()
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
        return self._ensure_binding()

    def _next_path(self) -> str:
        target = self.router.url.query_parameters.get("next", "")
        return target if routes.is_safe_next(target) else routes.CLIENT_DASHBOARD

    def _open_session(self, email: str, password: str, ip: str, user_agent: str, binding: str):
        return _sign_in(email, password, ip, user_agent, binding)

    def _hand_off(self, opened: auth.NewSession):
        return self._handoff_script(opened.handoff_code, self._next_path())


def _sign_in(email: str, password: str, ip: str, user_agent: str, binding: str) -> auth.NewSession:
    with session_scope() as db:
        try:
            return auth.sign_in(
                db, email=email, password=password, ip=ip, user_agent=user_agent, binding=binding
            )
        except AuthError:
            # Keep the failed-attempt audit row; nothing else was changed.
            db.commit()
            raise


def login_page() -> rx.Component:
    return sign_in_card(
        LoginState,
        "Sign in to your portal",
        rx.link("Forgot your password?", href=routes.CLIENT_PASSWORD_RESET, size="2"),
        rx.cond(
            LoginState.registration_open,
            rx.link("New here? Create an account", href=routes.CLIENT_REGISTER, size="2"),
        ),
    )
