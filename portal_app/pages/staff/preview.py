"""/staff/preview/[contact_id]: open the client portal as this contact sees it (read-only).

The preview session goes into the client cookie through the client handoff route and the
browser lands on the portal's dashboard, where the shell shows the preview banner.
"""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.components.common import empty_state
from portal_app.db import session_scope
from portal_app.layout.staff_shell import staff_page
from portal_app.services import preview
from portal_app.services.errors import NotFoundError, ValidationError
from portal_app.state.signin_binding import (
    COOKIES_NEEDED,
    came_back_unbound,
    fetch_binding,
    signin_binding,
)
from portal_app.state.staff import StaffState


class StaffPreviewState(StaffState):
    problem: str = ""

    @rx.event
    def start(self):
        self.problem = ""
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        binding = signin_binding(self)
        if binding is None:
            # The preview goes only to this browser: it needs its sign-in binding first.
            if came_back_unbound(self):
                self.problem = COOKIES_NEEDED
                return None
            return fetch_binding(self, self._backend_base())
        try:
            with session_scope() as db:
                opened = preview.start_preview(
                    db,
                    actor=actor,
                    contact_id=self._path_arg(),
                    user_agent=self.router.headers.user_agent or "",
                    binding=binding,
                )
        except NotFoundError:
            self.problem = "This contact does not exist or is not yours."
            return None
        except ValidationError as exc:
            self.problem = exc.message
            return None
        return self._client_handoff_script(opened.handoff_code, routes.CLIENT_DASHBOARD)


@staff_page(routes.STAFF_PREVIEW, "Preview as client", on_load=StaffPreviewState.start)
def staff_preview_page() -> rx.Component:
    return rx.cond(
        StaffPreviewState.problem != "",
        empty_state("Preview not possible", StaffPreviewState.problem, icon="eye-off"),
        rx.center(
            rx.hstack(rx.spinner(), rx.text("Opening the client's portal…")),
            role="status",
            padding="3em",
        ),
    )
