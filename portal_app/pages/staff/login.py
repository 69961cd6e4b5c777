"""Staff sign-in at /staff/login (its own cookie; a client session never counts here)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.sign_in_form import sign_in_card
from portal_app.core import i18n
from portal_app.state.sign_in_form import SignInFormMixin
from portal_app.state.staff import StaffState
from portal_app.state.translate import _


class StaffLoginState(SignInFormMixin, StaffState):
    """The staff sign-in form."""

    def _page_language(self) -> str:
        return self.lang

    @rx.event
    def on_load(self):
        # Nobody is known yet: the browser's language (the staff user's own choice applies
        # once signed in, StaffState._load_staff_shell).
        self._apply_language(
            i18n.negotiate_language(self.router.headers.accept_language) or self.lang
        )
        signed_out = self.router.url.query_parameters.get("signed_out")
        return self._open_page(
            notice=i18n.gettext("You have signed out of the staff console.") if signed_out else "",
            signed_in=self._staff_actor() is not None,
        )


def staff_login_page() -> rx.Component:
    return sign_in_card(StaffLoginState, _("Staff console"), translate=_)
