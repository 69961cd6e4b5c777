"""/client/logout: revokes the session through the HTTP route that can clear the cookie."""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.layout.shell import public_page
from portal_app.state.portal import PortalState


class LogoutState(PortalState):
    @rx.event
    def on_load(self):
        return PortalState.sign_out


@public_page(routes.CLIENT_LOGOUT, "Signing out", on_load=LogoutState.on_load)
def logout_page() -> rx.Component:
    return rx.center(rx.hstack(rx.spinner(), rx.text("Signing out…")), role="status")
