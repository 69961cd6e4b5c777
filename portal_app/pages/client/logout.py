"""/client/logout: asks, and signs out only from its "Sign out" button.

Opening this URL changes nothing (a link from anywhere could open it): the page says who is
signed in and the button POSTs to /api/auth/logout, which revokes the session and clears the
HttpOnly cookie. GET /api/auth/logout comes here too.
"""

from __future__ import annotations

import reflex as rx

from portal_app.components.sign_out_card import sign_out_card
from portal_app.core import routes
from portal_app.state.portal import PortalState
from portal_app.state.translate import _


class LogoutState(PortalState):
    # The session check ran; whether there is a session to end.
    logout_checked: bool = False
    logout_signed_in: bool = False

    @rx.event
    def on_load(self):
        """Read only: whether this browser is signed in."""
        self.logout_signed_in = self._actor() is not None
        self.logout_checked = True


def logout_page() -> rx.Component:
    return sign_out_card(
        heading=_("Sign out"),
        question=_("Sign out of the portal on this browser?"),
        checked=LogoutState.logout_checked,
        signed_in=LogoutState.logout_signed_in,
        on_sign_out=LogoutState.sign_out,
        back_label=_("Back to the portal"),
        back_href=routes.CLIENT_DASHBOARD,
        not_signed_in=_("You are not signed in."),
        login_href=routes.CLIENT_LOGIN,
    )
