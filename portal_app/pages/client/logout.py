"""/client/logout: asks, and signs out only from its "Sign out" button.

Opening this URL changes nothing (a link from anywhere could open it): the page says who is
signed in and the button POSTs to /api/auth/logout, which revokes the session and clears the
HttpOnly cookie. GET /api/auth/logout comes here too.
"""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.layout.shell import public_page
from portal_app.state.portal import PortalState


class LogoutState(PortalState):
    # The session check ran; whether there is a session to end.
    logout_checked: bool = False
    logout_signed_in: bool = False

    @rx.event
    def on_load(self):
        """Read only: whether this browser is signed in."""
        self.logout_signed_in = self._actor() is not None
        self.logout_checked = True


@public_page(routes.CLIENT_LOGOUT, "Sign out", on_load=LogoutState.on_load)
def logout_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Sign out", size="6", as_="h1"),
            rx.cond(
                LogoutState.logout_checked,
                rx.cond(
                    LogoutState.logout_signed_in,
                    rx.vstack(
                        rx.text("Sign out of the portal on this browser?"),
                        rx.hstack(
                            rx.button(
                                rx.icon("log-out", size=16, aria_hidden="true"),
                                "Sign out",
                                on_click=LogoutState.sign_out,
                                id="confirm-sign-out",
                            ),
                            rx.link(
                                rx.button("Back to the portal", variant="soft"),
                                href=routes.CLIENT_DASHBOARD,
                            ),
                            spacing="3",
                        ),
                        spacing="3",
                    ),
                    rx.vstack(
                        rx.text("You are not signed in."),
                        rx.link(rx.button("Sign in"), href=routes.CLIENT_LOGIN),
                        spacing="3",
                    ),
                ),
                rx.center(rx.spinner(), role="status"),
            ),
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
    )
