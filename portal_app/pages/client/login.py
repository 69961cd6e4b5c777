"""Client sign-in at /client/login."""

from __future__ import annotations

import reflex as rx

from portal_app.components.sign_in_form import sign_in_card
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.services.identity import registration
from portal_app.state.portal import PortalState
from portal_app.state.sign_in_form import SignInFormMixin


class LoginState(SignInFormMixin, PortalState):
    """The sign-in form."""

    # Whether to offer "Create an account" (the company allows self-registration).
    registration_open: bool = False

    @rx.event
    def on_load(self):
        params = self.router.url.query_parameters
        with session_scope() as db:
            self.registration_open = registration.registration_info(
                db, company=params.get("company") or None
            ).open
        actor = self._actor()
        return self._open_page(
            notice=(
                "You have signed out."
                if params.get("signed_out")
                else "Your password was changed. Sign in with the new one."
                if params.get("reset")
                else ""
            ),
            # An e-mailed-link session may still sign in with a password to get a full session.
            signed_in=actor is not None and not actor.is_link_session,
        )


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
