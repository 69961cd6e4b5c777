"""/client/credits: the client's credit notes (never drafts), newest first, paged on the server."""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.components.common import empty_state, page_heading
from portal_app.components.records import credit_status_badge, pager, range_label
from portal_app.db import session_scope
from portal_app.layout.shell import portal_page
from portal_app.schemas.credit import CreditRowView
from portal_app.services import credits
from portal_app.services.errors import NotFoundError
from portal_app.services.invoices import PAGE_SIZES
from portal_app.state.portal import PortalState


class CreditsState(PortalState):
    """List state; every change reloads through the service, which re-checks the session."""

    page: int = 1
    page_size: int = 25
    rows: list[CreditRowView] = []
    total: int = 0
    total_is_capped: bool = False
    has_next: bool = False
    loading: bool = True
    unavailable: bool = False

    def _reload(self):
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        try:
            with session_scope() as db:
                result = credits.list_credits(
                    db, actor=actor, page=self.page, page_size=self.page_size
                )
        except NotFoundError:  # the company switched the credits module off
            self.unavailable = True
            self.rows = []
            self.loading = False
            return None
        self.unavailable = False
        self.rows = result.rows
        self.total = result.total
        self.total_is_capped = result.total_is_capped
        self.has_next = result.has_next
        self.page = result.page
        self.page_size = result.page_size
        self.loading = False
        return None

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        return self._reload()

    @rx.event
    def set_page_size(self, size: str):
        self.page_size = int(size) if size.isdigit() and int(size) in PAGE_SIZES else 25
        self.page = 1
        return self._reload()

    @rx.event
    def next_page(self):
        if self.has_next:
            self.page += 1
        return self._reload()

    @rx.event
    def previous_page(self):
        self.page = max(1, self.page - 1)
        return self._reload()

    @rx.var
    def range_label(self) -> str:
        return range_label(
            rows=len(self.rows),
            page=self.page,
            page_size=self.page_size,
            total=self.total,
            capped=self.total_is_capped,
            more=self.has_next,
        )


def _row(row: CreditRowView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(row.number, href="/client/credits/" + row.id.to_string(), weight="medium"),
            rx.text(row.date, size="1", color_scheme="gray", display=["block", "none"]),
        ),
        rx.table.cell(row.date, display=["none", "table-cell"], white_space="nowrap"),
        rx.table.cell(row.amount, text_align="right", display=["none", "table-cell"]),
        rx.table.cell(row.balance, text_align="right", white_space="nowrap"),
        rx.table.cell(credit_status_badge(row.status_label)),
        data_testid="credit-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Number"),
                rx.table.column_header_cell("Date", display=["none", "table-cell"]),
                rx.table.column_header_cell(
                    "Amount", text_align="right", display=["none", "table-cell"]
                ),
                rx.table.column_header_cell("Remaining", text_align="right"),
                rx.table.column_header_cell("Status"),
            )
        ),
        rx.table.body(rx.foreach(CreditsState.rows, _row)),
        width="100%",
        variant="surface",
    )


@portal_page(routes.CLIENT_CREDITS, "Credits", on_load=CreditsState.load)
def credits_page() -> rx.Component:
    return rx.vstack(
        page_heading("Credits"),
        rx.cond(
            CreditsState.unavailable,
            empty_state("Not available", "Your portal does not include credits.", icon="lock"),
            rx.cond(
                CreditsState.loading,
                rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
                rx.cond(
                    CreditsState.rows.length() > 0,
                    rx.vstack(_table(), pager(CreditsState, "Credits"), width="100%", spacing="3"),
                    empty_state(
                        "No credits",
                        "Credit notes issued to you will be listed here. Available credit can "
                        "pay your invoices at checkout.",
                        icon="piggy-bank",
                    ),
                ),
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
