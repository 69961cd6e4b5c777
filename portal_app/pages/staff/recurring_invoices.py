"""/staff/recurring_invoices: the company's recurring invoices, filtered by status and client,
paged on the server."""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import (
    empty_state,
    keyed_badge,
    link_button,
    loading_block,
    page_heading,
)
from portal_app.components.staff_documents import labelled_select
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.schemas.staff_documents import OptionView
from portal_app.schemas.staff_recurring import StaffRecurringRow
from portal_app.services.billing import staff_lists, staff_recurring
from portal_app.state.staff import StaffState
from portal_app.state.translate import _, fill

RECURRING_COLORS = {
    "draft": "gray",
    "active": "green",
    "paused": "amber",
    "completed": "gray",
    "cancelled": "gray",
    "cancel_requested": "red",
}


def recurring_status_badge(label, key) -> rx.Component:
    """A schedule's status as a badge: `label` in the reader's language, coloured by `key`
    (services/billing/recurring.badge_key)."""
    return keyed_badge(label, key, RECURRING_COLORS)


class StaffRecurringInvoicesState(StaffState):
    """The list; every change reloads through the service (which re-checks the actor)."""

    rows: list[StaffRecurringRow] = []
    client_choices: list[OptionView] = []
    status_filter: str = "all"
    client_filter: str = "all"
    page: int = 1
    has_next: bool = False
    loading: bool = True

    def _load_list(self):
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        if self.status_filter not in staff_recurring.STATUS_FILTERS:
            self.status_filter = "all"
        with session_scope() as db:
            self.client_choices = staff_lists.client_options(db, actor=actor)
            if not any(c.value == self.client_filter for c in self.client_choices):
                self.client_filter = "all"
            result = staff_recurring.list_schedules(
                db,
                actor=actor,
                status=self.status_filter,
                client_id=self.client_filter,
                page=self.page,
            )
        self.rows = result.rows
        self.page = result.page
        self.has_next = result.has_next
        self.loading = False
        return None

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        return self._load_list()

    @rx.event
    def set_status_filter(self, value: str):
        self.status_filter = str(value)[:20]
        self.page = 1
        return self._load_list()

    @rx.event
    def set_client_filter(self, value: str):
        self.client_filter = str(value)[:20]
        self.page = 1
        return self._load_list()

    @rx.event
    def next_page(self):
        if self.has_next:
            self.page += 1
        return self._load_list()

    @rx.event
    def previous_page(self):
        self.page = max(1, self.page - 1)
        return self._load_list()


def _row(item: StaffRecurringRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(
                item.number,
                href="/staff/recurring_invoices/" + item.id.to_string(),
                weight="medium",
            )
        ),
        rx.table.cell(item.client_name),
        rx.table.cell(recurring_status_badge(item.status_label, item.badge_key)),
        rx.table.cell(item.frequency, white_space="nowrap"),
        rx.table.cell(item.next_send_date, white_space="nowrap"),
        rx.table.cell(item.cycles_left),
        rx.table.cell(item.amount, text_align="end", white_space="nowrap"),
    )


def staff_recurring_invoices_page() -> rx.Component:
    state = StaffRecurringInvoicesState
    table = rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label, text_align=align)
                    for label, align in (
                        (_("Number"), "start"),
                        (_("Client"), "start"),
                        (_("Status"), "start"),
                        (_("Frequency"), "start"),
                        (_("Next send"), "start"),
                        (_("Cycles left"), "start"),
                        (_("Amount"), "end"),
                    )
                ]
            )
        ),
        rx.table.body(rx.foreach(state.rows, _row)),
        width="100%",
        variant="surface",
    )
    return rx.vstack(
        rx.flex(
            page_heading(_("Recurring invoices")),
            rx.spacer(),
            link_button(
                rx.icon("plus", size=16, aria_hidden="true"),
                _("New recurring invoice"),
                href=routes.STAFF_RECURRING_INVOICE_NEW,
                link_props={"id": "new-recurring"},
            ),
            width="100%",
            align="start",
            wrap="wrap",
            gap="3",
        ),
        rx.hstack(
            labelled_select(
                [(s, s.capitalize()) for s in staff_recurring.STATUS_FILTERS],
                value=state.status_filter,
                on_change=state.set_status_filter,
                label=_("Status"),
            ),
            rx.select.root(
                rx.select.trigger(aria_label=_("Client")),
                rx.select.content(
                    rx.select.item(_("All clients"), value="all"),
                    rx.foreach(
                        state.client_choices,
                        lambda option: rx.select.item(option.label, value=option.value),
                    ),
                ),
                value=state.client_filter,
                on_change=state.set_client_filter,
            ),
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            state.loading,
            loading_block(),
            rx.cond(
                state.rows.length() > 0,
                rx.box(table, width="100%", overflow_x="auto"),
                empty_state(
                    _("No recurring invoices"),
                    _("Nothing matches these filters. Create one to bill a client on a schedule."),
                ),
            ),
        ),
        rx.hstack(
            rx.button(
                _("Previous"),
                on_click=state.previous_page,
                disabled=state.page <= 1,
                variant="soft",
            ),
            rx.text(fill(_("Page %(page)s"), page=state.page.to_string())),
            rx.button(
                _("Next"), on_click=state.next_page, disabled=~state.has_next, variant="soft"
            ),
            align="center",
            spacing="3",
        ),
        width="100%",
        spacing="4",
    )
