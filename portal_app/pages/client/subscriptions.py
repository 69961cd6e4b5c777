"""/client/subscriptions: the client's subscriptions with plan, price, status, period and next
charge (live ones first)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import empty_state, keyed_badge, loading_block, page_heading
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError
from portal_app.schemas.subscription import SubscriptionRowView
from portal_app.services.subscriptions import subscriptions as subs
from portal_app.state.portal import PortalState
from portal_app.state.translate import _

# Badge colours by status key (subscriptions.status_key): the label is translated.
STATUS_COLORS = {
    "active": "green",
    "trialing": "blue",
    "past_due": "red",
    "ending": "amber",
    "cancel_requested": "amber",
    "cancelled": "gray",
}


def subscription_badge(label, key) -> rx.Component:
    """A badge showing a subscription's status `label` (in any language), coloured by its
    status `key`."""
    return keyed_badge(label, key, STATUS_COLORS)


class SubscriptionsState(PortalState):
    rows: list[SubscriptionRowView] = []
    loading: bool = True
    unavailable: bool = False

    @rx.event
    def load(self):
        self.loading = True
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        try:
            with session_scope() as db:
                self.rows = subs.list_subscriptions(db, actor=actor)
            self.unavailable = False
        except NotFoundError:
            self.rows = []
            self.unavailable = True
        self.loading = False
        return None


def _row(row: SubscriptionRowView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            # In a block of its own: next to the phone-only price line, a link in a text block
            # must stand out by more than its colour (axe link-in-text-block).
            rx.box(rx.link(row.plan_name, href="/client/subscriptions/" + row.id.to_string())),
            rx.text(row.price, " / ", row.frequency_label, size="1", display=["block", "none"]),
        ),
        rx.table.cell(
            row.price,
            " / ",
            row.frequency_label,
            display=["none", "table-cell"],
            white_space="nowrap",
        ),
        rx.table.cell(subscription_badge(row.status_label, row.status_key)),
        rx.table.cell(row.current_period, display=["none", "table-cell"]),
        rx.table.cell(rx.cond(row.next_charge != "", row.next_charge, "—"), white_space="nowrap"),
        data_testid="subscription-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(_("Plan")),
                rx.table.column_header_cell(_("Price"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("Status")),
                rx.table.column_header_cell(_("Current period"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("Next charge")),
            )
        ),
        rx.table.body(rx.foreach(SubscriptionsState.rows, _row)),
        width="100%",
        variant="surface",
    )


def subscriptions_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Subscriptions")),
        rx.cond(
            SubscriptionsState.loading,
            loading_block(),
            rx.cond(
                SubscriptionsState.unavailable,
                empty_state(
                    _("Not available"),
                    _("Your portal does not include subscriptions."),
                    icon="lock",
                ),
                rx.cond(
                    SubscriptionsState.rows.length() > 0,
                    _table(),
                    empty_state(
                        _("No subscriptions"),
                        _("Plans you sign up for through a sign-up link are listed here."),
                        icon="repeat",
                    ),
                ),
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
