"""The 404 page: an address with no page, inside the portal shell for a signed-in contact or
in the sign-in frame for a visitor, with a way back either way.

Reflex serves its "404" page for every unknown path (the route table registers it under
core/routes.py NOT_FOUND). Its load only reads the session, like any page load.
"""

from __future__ import annotations

import reflex as rx

from portal_app.components.not_found import not_found_panel
from portal_app.core import i18n, routes
from portal_app.state.portal import PortalState
from portal_app.state.translate import _


class NotFoundState(PortalState):
    # False until the session was checked: neither frame is drawn before it is known.
    checked: bool = False

    @rx.event
    def load(self):
        """Check the session (fills the shell when signed in); a visitor keeps the sign-in
        frame, in the language the sign-in page would choose."""
        actor = self._begin()
        if actor is None:
            self._apply_language(
                i18n.choose_language(
                    contact_choice=None,
                    visitor_choice=self.visitor_lang,
                    accept_language=self.router.headers.accept_language,
                    company_locale="",
                )
            )
        self.checked = True


def not_found_page() -> rx.Component:
    """The panel: where to go back to depends on whether the visitor is signed in (a spinner
    until the session was checked)."""
    panel = rx.cond(
        PortalState.signed_in,
        not_found_panel(
            _("Page not found"),
            _("There is no page at this address. It may have moved, or the link is mistyped."),
            back_label=_("Back to your dashboard"),
            back_href=routes.CLIENT_DASHBOARD,
        ),
        not_found_panel(
            _("Page not found"),
            _("There is no page at this address. It may have moved, or the link is mistyped."),
            back_label=_("Go to sign in"),
            back_href=routes.CLIENT_LOGIN,
        ),
    )
    return rx.cond(
        NotFoundState.checked,
        panel,
        rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
    )
