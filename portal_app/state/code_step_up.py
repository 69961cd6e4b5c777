"""The e-mailed-code step-up of an e-mailed-link session, on the page it is on (issue 18 item 4).

A session opened from an e-mailed link pays its invoice with a new card; the client's saved
cards need the whole account. Instead of leaving for the sign-in page, the page offers "Use a
saved card": the contact is e-mailed a one-time code (services/identity/signin_codes.py
`request_step_up_code`), types it, and the browser swaps its cookie for a code session through
the usual handoff, coming back to the same URL (the pay page's invoices are in it), where the
saved cards now appear with the default one chosen.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import reflex as rx

from portal_app.core.db import session_scope
from portal_app.core.errors import AuthError, ThrottledError
from portal_app.core.i18n import N_, gettext
from portal_app.services.identity import signin_codes
from portal_app.state.signin_binding import (
    COOKIES_NEEDED,
    came_back_unbound,
    fetch_binding,
    signin_binding,
)

STEP_UP_SENT = N_("We have e-mailed you a code. It works once, for %(minutes)d minutes.")
ENTER_CODE = N_("Enter the code from the e-mail.")


class CodeStepUpMixin(rx.State, mixin=True):
    """ "Use a saved card" → e-mail a code → type it → the whole account, same page."""

    step_up_open: bool = False
    step_up_sent: bool = False
    step_up_error: str = ""
    step_up_notice: str = ""

    def _reset_step_up(self) -> None:
        """A page load: a binding fetched for the step-up (`bound=1`) reopens it."""
        self.step_up_sent = False
        self.step_up_error = self.step_up_notice = ""
        self.step_up_open = came_back_unbound(self) and self.is_link_session  # type: ignore[attr-defined]

    def _step_up_target(self) -> str:
        """This page's URL (path and query, without the binding round's marker)."""
        url = self.router.url
        query = [(k, v) for k, v in parse_qsl(url.query or "") if k != "bound"]
        return (url.path or "/") + (f"?{urlencode(query)}" if query else "")

    def _step_up_binding(self):
        """This browser's binding, or the event that fetches one (the page reloads) or says
        cookies are needed; returns (binding, event)."""
        binding = signin_binding(self)
        if binding is not None:
            return binding, None
        if came_back_unbound(self):
            self.step_up_error = gettext(COOKIES_NEEDED)
            return None, None
        return None, fetch_binding(self, self._backend_base())  # type: ignore[attr-defined]

    @rx.event
    def open_step_up(self):
        """Show the code step (only a link session has one)."""
        self.step_up_open = bool(self.is_link_session)  # type: ignore[attr-defined]
        self.step_up_error = ""

    @rx.event
    def send_step_up_code(self):
        """E-mail the contact a code (a fresh one each time)."""
        actor = self._actor()  # type: ignore[attr-defined]
        if actor is None or not actor.is_link_session:
            return None
        binding, fetch = self._step_up_binding()
        if binding is None:
            return fetch
        try:
            with session_scope() as db:
                signin_codes.request_step_up_code(db, actor=actor, ip=self._client_ip())  # type: ignore[attr-defined]
        except ThrottledError as exc:
            self.step_up_error = gettext(str(exc))
            return None
        self.step_up_sent = True
        self.step_up_error = ""
        self.step_up_notice = gettext(STEP_UP_SENT) % {"minutes": signin_codes.CODE_MINUTES}
        return None

    @rx.event
    def submit_step_up_code(self, form_data: dict):
        """Check the code; the browser then comes back to this page with the whole account."""
        actor = self._actor()  # type: ignore[attr-defined]
        if actor is None or not actor.is_link_session:
            return None
        code = str(form_data.get("step_up_code", ""))[:20]
        if not code.strip():
            self.step_up_error = gettext(ENTER_CODE)
            return None
        binding, fetch = self._step_up_binding()
        if binding is None:
            return fetch
        try:
            with session_scope() as db:
                try:
                    opened = signin_codes.step_up_with_code(
                        db,
                        actor=actor,
                        code=code,
                        ip=self._client_ip(),  # type: ignore[attr-defined]
                        user_agent=self.router.headers.user_agent or "",
                        binding=binding,
                    )
                except AuthError:
                    db.commit()  # keep the counted wrong guess
                    raise
        except (AuthError, ThrottledError) as exc:
            self.step_up_error = gettext(str(exc))
            return None
        return self._handoff_script(opened.handoff_code, self._step_up_target())  # type: ignore[attr-defined]
