"""/staff/preview/[contact_id]: open the client portal as this contact sees it (read-only).

Opening the URL starts nothing: the page names the contact and offers "Start preview". Page
loads run over the same-site websocket, which carries the SameSite=Strict staff cookie even
when another site linked here, so a preview started on load could be started by anyone's
link. The click starts it (audited), and the preview session goes into the client cookie
through the client handoff route, bound to this browser's sign-in binding; the browser lands
on the portal's dashboard, where the shell shows the preview banner.
"""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import empty_state, link_button
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.services.identity import preview
from portal_app.state.signin_binding import (
    COOKIES_NEEDED,
    came_back_unbound,
    fetch_binding,
    signin_binding,
)
from portal_app.state.staff import StaffState
from portal_app.state.translate import _, fill

NOT_YOURS = N_("This contact does not exist or is not yours.")


class StaffPreviewState(StaffState):
    problem: str = ""
    contact_name: str = ""
    contact_email: str = ""
    client_name: str = ""
    back_href: str = routes.STAFF_CLIENTS
    # The browser holds a sign-in binding, so the button can hand the preview to it.
    preview_ready: bool = False
    starting: bool = False

    @rx.event
    def load(self):
        """Name the contact; start nothing (a read, whoever linked here)."""
        self.problem = ""
        self.preview_ready = self.starting = False
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        try:
            with session_scope() as db:
                target = preview.preview_target(db, actor=actor, contact_id=self._path_arg())
        except NotFoundError:
            self.problem = gettext(NOT_YOURS)
            return None
        except ValidationError as exc:
            self.problem = exc.message
            return None
        self.contact_name = target.contact_name
        self.contact_email = target.contact_email
        self.client_name = target.client_name
        self.back_href = routes.staff_client_url(target.client_id)
        if signin_binding(self) is None:
            if came_back_unbound(self):
                self.problem = gettext(COOKIES_NEEDED)
                return None
            return fetch_binding(self, self._backend_base())
        self.preview_ready = True
        return None

    @rx.event
    def start(self):
        """The "Start preview" click: open the preview session (audited) and hand it off."""
        if self.starting:
            return None
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        binding = signin_binding(self)
        if binding is None:
            # The binding ran out while the page stayed open: reload with a new one.
            self.preview_ready = False
            return fetch_binding(self, self._backend_base())
        self.starting = True
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
            self.problem, self.starting = gettext(NOT_YOURS), False
            return None
        except ValidationError as exc:
            self.problem, self.starting = exc.message, False
            return None
        return self._client_handoff_script(opened.handoff_code, routes.CLIENT_DASHBOARD)


def _confirm() -> rx.Component:
    state = StaffPreviewState
    return rx.card(
        rx.vstack(
            rx.heading(_("Preview the portal as this contact"), size="5", as_="h1"),
            rx.text(
                fill(
                    _(
                        "You will see the client portal exactly as %(contact)s (%(email)s) of "
                        "%(client)s sees it. Nothing in a preview moves money or changes their "
                        "records; starting it is recorded in the audit log."
                    ),
                    contact=state.contact_name,
                    email=state.contact_email,
                    client=state.client_name,
                ),
            ),
            rx.hstack(
                rx.button(
                    rx.icon("eye", size=16, aria_hidden="true"),
                    _("Start preview"),
                    on_click=state.start,
                    disabled=~state.preview_ready,
                    loading=state.starting,
                    id="start-preview",
                ),
                link_button(_("Cancel"), href=state.back_href, variant="soft"),
                spacing="3",
            ),
            spacing="4",
            align="start",
        ),
        id="preview-confirm",
        max_width="40em",
    )


def staff_preview_page() -> rx.Component:
    return rx.cond(
        StaffPreviewState.problem != "",
        empty_state(_("Preview not possible"), StaffPreviewState.problem, icon="eye-off"),
        _confirm(),
    )
