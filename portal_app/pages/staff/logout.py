"""/staff/logout: asks, and signs out only from its "Sign out" button.

Opening this URL changes nothing: the button POSTs to /api/staff/auth/logout, which revokes
the staff session (and its previews) and clears the staff cookie. GET of that route comes here.
"""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.layout.shell import public_page
from portal_app.state.staff import StaffState


class StaffLogoutState(StaffState):
    logout_checked: bool = False
    logout_signed_in: bool = False

    @rx.event
    def on_load(self):
        """Read only: whether this browser is signed in to the staff console."""
        self.logout_signed_in = self._staff_actor() is not None
        self.logout_checked = True


@public_page(routes.STAFF_LOGOUT, "Sign out", on_load=StaffLogoutState.on_load)
def staff_logout_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Sign out of the staff console", size="6", as_="h1"),
            rx.cond(
                StaffLogoutState.logout_checked,
                rx.cond(
                    StaffLogoutState.logout_signed_in,
                    rx.vstack(
                        rx.text("Sign out of the staff console on this browser?"),
                        rx.hstack(
                            rx.button(
                                rx.icon("log-out", size=16, aria_hidden="true"),
                                "Sign out",
                                on_click=StaffLogoutState.staff_sign_out,
                                id="confirm-sign-out",
                            ),
                            rx.link(
                                rx.button("Back to the console", variant="soft"),
                                href=routes.STAFF_CLIENTS,
                            ),
                            spacing="3",
                        ),
                        spacing="3",
                    ),
                    rx.vstack(
                        rx.text("You are not signed in to the staff console."),
                        rx.link(rx.button("Sign in"), href=routes.STAFF_LOGIN),
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
