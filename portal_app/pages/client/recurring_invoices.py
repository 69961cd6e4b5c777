"""/client/recurring_invoices: the client's recurring invoices, paged on the server."""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import empty_state, keyed_badge, page_heading
from portal_app.components.records import paged_rows
from portal_app.schemas.recurring import RecurringRowView
from portal_app.services.billing import recurring
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, pgettext

# Which schedules the list shows: the running ones or all (labelled where they are drawn).
SHOW_KEYS = ("active", "all")
# Colours by the badge key (services/billing/recurring.badge_key): the label is translated.
RECURRING_KEY_COLORS = {
    "active": "green",
    "paused": "amber",
    "cancel_requested": "orange",
    "completed": "gray",
    "cancelled": "gray",
}


def recurring_status_badge(label, key) -> rx.Component:
    """A coloured badge for a recurring invoice: `label` in any language, coloured by `key`."""
    return keyed_badge(label, key, RECURRING_KEY_COLORS)


class RecurringInvoicesState(PagedListMixin, PortalState):
    """List state; every change reloads through the service, which re-checks the session."""

    rows: list[RecurringRowView] = []
    show: str = "active"

    def _reload(self):
        return self._reload_with(
            lambda db, actor: recurring.list_recurring(
                db, actor=actor, show=self.show, page=self.page, page_size=self.page_size
            )
        )

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        return self._reload()

    @rx.event
    def set_show(self, value: str | list[str]):
        value = value if isinstance(value, str) else ""
        self.show = value if value in SHOW_KEYS else "active"
        self.page = 1
        return self._reload()


def _row(row: RecurringRowView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(
                row.number,
                href="/client/recurring_invoices/" + row.id.to_string(),
                weight="medium",
            ),
            rx.text(row.frequency, size="1", color_scheme="gray", display=["block", "none"]),
        ),
        rx.table.cell(row.frequency, display=["none", "table-cell"]),
        rx.table.cell(row.start_date, display=["none", "table-cell"], white_space="nowrap"),
        rx.table.cell(
            rx.cond(row.next_send_date != "", row.next_send_date, "—"), white_space="nowrap"
        ),
        rx.table.cell(row.cycles_left, display=["none", "table-cell"]),
        rx.table.cell(row.amount, text_align="right", white_space="nowrap"),
        rx.table.cell(recurring_status_badge(row.status_label, row.badge_key)),
        data_testid="recurring-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(_("Number")),
                rx.table.column_header_cell(_("Frequency"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("Start date"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("Next send date")),
                rx.table.column_header_cell(_("Cycles remaining"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("Amount"), text_align="right"),
                rx.table.column_header_cell(_("Status")),
            )
        ),
        rx.table.body(rx.foreach(RecurringInvoicesState.rows, _row)),
        width="100%",
        variant="surface",
    )


def recurring_invoices_page() -> rx.Component:
    return rx.vstack(
        page_heading(
            _("Recurring invoices"),
            _("Invoices sent to you on a schedule, and when the next one is due."),
        ),
        rx.cond(
            RecurringInvoicesState.unavailable,
            empty_state(
                _("Not available"),
                _("Your portal does not include recurring invoices."),
                icon="lock",
            ),
            rx.vstack(
                rx.segmented_control.root(
                    rx.segmented_control.item(
                        pgettext("recurring filter", "Running"), value="active"
                    ),
                    rx.segmented_control.item(pgettext("recurring filter", "All"), value="all"),
                    value=RecurringInvoicesState.show,
                    on_change=RecurringInvoicesState.set_show,
                    aria_label=_("Show recurring invoices"),
                ),
                paged_rows(
                    RecurringInvoicesState,
                    _table(),
                    _("Recurring invoices"),
                    empty_state(
                        _("No recurring invoices"),
                        _("Invoices we send you on a schedule will be listed here."),
                        icon="repeat",
                    ),
                ),
                width="100%",
                spacing="3",
                align="start",
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
