"""Staff sign-in at /staff/login (its own cookie; a client session never counts here)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.sign_in_form import sign_in_card
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import AuthError
from portal_app.services.identity import staff_auth
from portal_app.state.sign_in_form import SignInFormMixin
from portal_app.state.staff import StaffState


class StaffLoginState(SignInFormMixin, StaffState):
    """The staff sign-in form."""

    @rx.event
    def on_load(self):
        self._reset_form()
        signed_out = self.router.url.query_parameters.get("signed_out")
        self.notice = "You have signed out of the staff console." if signed_out else ""
        if self._staff_actor() is not None:
            return rx.redirect(self._next_path(), replace=True)
        return self._ensure_binding()

    def _next_path(self) -> str:
        target = self.router.url.query_parameters.get("next", "")
        return target if routes.is_safe_staff_next(target) else routes.STAFF_CLIENTS

    def _open_session(self, email: str, password: str, ip: str, user_agent: str, binding: str):
        return _sign_in(email, password, ip, user_agent, binding)

    def _hand_off(self, opened: staff_auth.NewStaffSession):
        return self._staff_handoff_script(opened.handoff_code, self._next_path())


def _sign_in(
    email: str, password: str, ip: str, user_agent: str, binding: str
) -> staff_auth.NewStaffSession:
    with session_scope() as db:
        try:
            return staff_auth.sign_in_staff(
                db, email=email, password=password, ip=ip, user_agent=user_agent, binding=binding
            )
        except AuthError:
            # Keep the failed-attempt audit row; nothing else was changed.
            db.commit()
            raise


def staff_login_page() -> rx.Component:
    return sign_in_card(StaffLoginState, "Staff console")
