"""/staff: the console's front door leads to the clients list (or to sign-in)."""

from __future__ import annotations

import reflex as rx

from portal_app.core import routes
from portal_app.state.staff import StaffState


class StaffHomeState(StaffState):
    @rx.event
    def on_load(self):
        if self._staff_actor() is None:
            return rx.redirect(routes.STAFF_LOGIN, replace=True)
        return rx.redirect(routes.STAFF_CLIENTS, replace=True)


def staff_home_page() -> rx.Component:
    return rx.center(rx.spinner(), role="status", padding="3em")
