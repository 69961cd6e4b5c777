"""/staff/logout: asks, and signs out only from its "Sign out" button.

Opening this URL changes nothing: the button POSTs to /api/staff/auth/logout, which revokes
the staff session (and its previews) and clears the staff cookie. GET of that route comes here.
"""

from __future__ import annotations

import reflex as rx

from portal_app.components.sign_out_card import sign_out_card
from portal_app.core import i18n, routes
from portal_app.state.staff import StaffState
from portal_app.state.translate import _


class StaffLogoutState(StaffState):
    logout_checked: bool = False
    logout_signed_in: bool = False

    @rx.event
    def on_load(self):
        """Read only: whether this browser is signed in to the staff console."""
        actor = self._staff_actor()
        if actor is not None:
            # The staff user's own language (the shell is not loaded on this page).
            self._apply_staff_language(actor)
        else:
            self._apply_language(
                i18n.negotiate_language(self.router.headers.accept_language) or self.lang
            )
        self.logout_signed_in = actor is not None
        self.logout_checked = True


def staff_logout_page() -> rx.Component:
    return sign_out_card(
        heading=_("Sign out of the staff console"),
        question=_("Sign out of the staff console on this browser?"),
        checked=StaffLogoutState.logout_checked,
        signed_in=StaffLogoutState.logout_signed_in,
        on_sign_out=StaffLogoutState.staff_sign_out,
        back_label=_("Back to the console"),
        back_href=routes.STAFF_CLIENTS,
        not_signed_in=_("You are not signed in to the staff console."),
        login_href=routes.STAFF_LOGIN,
    )
