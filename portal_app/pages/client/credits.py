"""/client/credits: the client's credit notes (never drafts), newest first, paged on the server."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.common import (
    CREDIT_KEY_COLORS,
    empty_state,
    keyed_badge,
    page_heading,
)
from portal_app.components.export_control import export_control
from portal_app.components.records import paged_rows
from portal_app.schemas.credit import CreditRowView
from portal_app.services.billing import credits
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.portal import PortalState
from portal_app.state.translate import _


class CreditsState(PagedListMixin, PortalState):
    """List state; every change reloads through the service, which re-checks the session."""

    URL_STATE: ClassVar[bool] = True
    rows: list[CreditRowView] = []

    def _reload(self):
        return self._reload_with(
            lambda db, actor: credits.list_credits(
                db, actor=actor, page=self.page, page_size=self.page_size
            )
        )

    @rx.event
    def load(self):
        if self._shows_pushed_url():  # a page change loaded it already
            return None
        self.loading = True
        self._read_url()  # the page and its size: the URL says them
        return self._reload()


def _row(row: CreditRowView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(row.number, href="/client/credits/" + row.id.to_string(), weight="medium"),
            rx.text(row.date, size="1", color_scheme="gray", display=["block", "none"]),
        ),
        rx.table.cell(row.date, display=["none", "table-cell"], white_space="nowrap"),
        rx.table.cell(row.amount, text_align="end", display=["none", "table-cell"]),
        rx.table.cell(row.balance, text_align="end", white_space="nowrap"),
        # Coloured by the status: the label is in the contact's language.
        rx.table.cell(keyed_badge(row.status_label, row.status, CREDIT_KEY_COLORS)),
        data_testid="credit-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(_("Number")),
                rx.table.column_header_cell(_("Date"), display=["none", "table-cell"]),
                rx.table.column_header_cell(
                    _("Amount"), text_align="end", display=["none", "table-cell"]
                ),
                rx.table.column_header_cell(_("Remaining"), text_align="end"),
                rx.table.column_header_cell(_("Status")),
            )
        ),
        rx.table.body(rx.foreach(CreditsState.rows, _row)),
        width="100%",
        variant="surface",
    )


def credits_page() -> rx.Component:
    return rx.vstack(
        rx.flex(
            page_heading(_("Credits")),
            rx.spacer(),
            rx.cond(~CreditsState.unavailable, export_control("credits")),
            width="100%",
            wrap="wrap",
            gap="3",
        ),
        rx.cond(
            CreditsState.unavailable,
            empty_state(
                _("Not available"), _("Your portal does not include credits."), icon="lock"
            ),
            paged_rows(
                CreditsState,
                _table(),
                _("Credits"),
                empty_state(
                    _("No credit notes"),
                    _(
                        "Credit notes issued to you will be listed here. Available credit can "
                        "pay your invoices at checkout."
                    ),
                    icon="piggy-bank",
                ),
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
