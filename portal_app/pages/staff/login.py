"""Staff sign-in at /staff/login (its own cookie; a client session never counts here)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.sign_in_form import sign_in_card
from portal_app.state.sign_in_form import SignInFormMixin
from portal_app.state.staff import StaffState


class StaffLoginState(SignInFormMixin, StaffState):
    """The staff sign-in form."""

    @rx.event
    def on_load(self):
        signed_out = self.router.url.query_parameters.get("signed_out")
        return self._open_page(
            notice="You have signed out of the staff console." if signed_out else "",
            signed_in=self._staff_actor() is not None,
        )


def staff_login_page() -> rx.Component:
    return sign_in_card(StaffLoginState, "Staff console")
