"""/client/activity: who did what on the client's account and when, newest first, paged on
the server (services/company/client_activity.py decides what a client may see)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import empty_state, page_heading
from portal_app.components.records import paged_rows
from portal_app.schemas.activity import ActivityRowView
from portal_app.services.company import client_activity
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.portal import PortalState
from portal_app.state.translate import _

# The icon beside each kind of event (services/company/client_activity.py's kinds).
KIND_ICONS = {
    "viewed": "eye",
    "downloaded": "download",
    "paid": "banknote",
    "approved": "circle-check",
    "declined": "circle-x",
    "plan": "repeat",
    "card": "credit-card",
    "signin": "log-in",
    "system": "bell",
    "message": "message-circle",
}


class ActivityState(PagedListMixin, PortalState):
    """List state; every change reloads through the service, which re-checks the session."""

    rows: list[ActivityRowView] = []

    def _reload(self):
        return self._reload_with(
            lambda db, actor: client_activity.list_activity(
                db, actor=actor, page=self.page, page_size=self.page_size
            )
        )

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        return self._reload()


def _row(row: ActivityRowView) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.box(
                rx.match(
                    row.kind,
                    *[
                        (kind, rx.icon(icon, size=18, aria_hidden="true"))
                        for kind, icon in KIND_ICONS.items()
                    ],
                    rx.icon("activity", size=18, aria_hidden="true"),
                ),
                color=rx.color("accent", 10),
                padding_top="2px",
            ),
            rx.vstack(
                rx.text(row.text, size="2"),
                rx.text(row.when, size="1", color_scheme="gray"),
                spacing="1",
                min_width="0",
            ),
            align="start",
            spacing="3",
        ),
        padding="0.75em 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="activity-row",
    )


def _list() -> rx.Component:
    return rx.el.ul(
        rx.foreach(ActivityState.rows, _row),
        list_style_type="none",
        padding="0",
        margin="0",
        width="100%",
        aria_label=_("Activity"),
    )


def activity_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Activity")),
        rx.text(
            _(
                "Who viewed, downloaded, paid, approved or declined, and who changed a plan "
                "or a card, on your account."
            ),
            color_scheme="gray",
            size="2",
        ),
        rx.cond(
            ActivityState.unavailable,
            empty_state(
                _("Not available"),
                _("Sign in with your password to see your whole account."),
                icon="lock",
            ),
            paged_rows(
                ActivityState,
                _list(),
                "Activity",
                empty_state(
                    _("No activity yet"),
                    _("What you and your colleagues do here will be listed, with the date."),
                    icon="activity",
                ),
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
