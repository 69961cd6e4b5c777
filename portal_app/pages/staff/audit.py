"""/staff/audit: the company's audit log (or one client's, ?client=<id>), paged on the server."""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import empty_state, page_heading
from portal_app.components.records import paged_rows
from portal_app.core import routes
from portal_app.schemas.staff import AuditRowView
from portal_app.services.company import audit_log
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.staff import StaffState


class StaffAuditState(PagedListMixin, StaffState):
    rows: list[AuditRowView] = []
    client_filter: str = ""

    def _reload(self):
        client = self.client_filter
        return self._reload_with(
            lambda db, actor: audit_log.list_events(
                db, actor=actor, client_id=client or None, page=self.page, page_size=self.page_size
            )
        )

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        self.client_filter = str(self.router.url.query_parameters.get("client", ""))[:12]
        return self._reload()

    @rx.event
    def set_page_size(self, size: str):
        self._choose_page_size(size)
        return self._reload()

    @rx.event
    def next_page(self):
        self._turn_page(1)
        return self._reload()

    @rx.event
    def previous_page(self):
        self._turn_page(-1)
        return self._reload()


def _row(row: AuditRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.when, white_space="nowrap"),
        rx.table.cell(row.who),
        rx.table.cell(row.action),
        rx.table.cell(row.record),
        rx.table.cell(row.client, display=["none", "table-cell"]),
        rx.table.cell(row.ip, display=["none", "none", "table-cell"]),
        rx.table.cell(row.details, max_width="22em"),
        data_testid="audit-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("When"),
                rx.table.column_header_cell("Who"),
                rx.table.column_header_cell("What"),
                rx.table.column_header_cell("Record"),
                rx.table.column_header_cell("Client", display=["none", "table-cell"]),
                rx.table.column_header_cell("From", display=["none", "none", "table-cell"]),
                rx.table.column_header_cell("Details"),
            )
        ),
        rx.table.body(rx.foreach(StaffAuditState.rows, _row)),
        width="100%",
        variant="surface",
        size="1",
    )


def staff_audit_page() -> rx.Component:
    return rx.vstack(
        page_heading("Audit log", "Who did what to which record, when and from where."),
        rx.cond(
            StaffAuditState.client_filter != "",
            rx.hstack(
                rx.text("One client's events."),
                rx.link("Show the whole company", href=routes.STAFF_AUDIT),
                spacing="2",
            ),
        ),
        rx.cond(
            StaffAuditState.unavailable,
            empty_state(
                "Not found", "This client does not exist or is not yours.", icon="search-x"
            ),
            paged_rows(
                StaffAuditState,
                _table(),
                "Events",
                empty_state("No events", "Nothing has been recorded yet.", icon="scroll-text"),
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
