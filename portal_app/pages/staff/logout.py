"""/staff/logout: revokes the staff session through the HTTP route that clears the cookie."""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.layout.shell import public_page
from portal_app.state.staff import StaffState


class StaffLogoutState(StaffState):
    @rx.event
    def on_load(self):
        return StaffState.staff_sign_out


@public_page(routes.STAFF_LOGOUT, "Signing out", on_load=StaffLogoutState.on_load)
def staff_logout_page() -> rx.Component:
    return rx.center(rx.hstack(rx.spinner(), rx.text("Signing out…")), role="status")
