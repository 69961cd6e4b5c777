"""/client/payments: the client's payments, newest first, paged on the server."""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.components.common import empty_state, page_heading
from portal_app.components.records import pager, payment_status_badge, range_label
from portal_app.db import session_scope
from portal_app.layout.shell import portal_page
from portal_app.schemas.payment import PaymentRowView
from portal_app.services import payments
from portal_app.services.errors import NotFoundError
from portal_app.services.invoices import PAGE_SIZES
from portal_app.state.portal import PortalState


class PaymentsState(PortalState):
    """List state; every change reloads through the service, which re-checks the session."""

    page: int = 1
    page_size: int = 25
    rows: list[PaymentRowView] = []
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
                result = payments.list_payments(
                    db, actor=actor, page=self.page, page_size=self.page_size
                )
        except NotFoundError:  # the company switched the payments module off
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


def _row(row: PaymentRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.date, display=["none", "table-cell"], white_space="nowrap"),
        rx.table.row_header_cell(
            rx.link(row.number, href="/client/payments/" + row.id.to_string(), weight="medium"),
            # On a phone the date column is hidden: show it under the reference.
            rx.text(row.date, size="1", color_scheme="gray", display=["block", "none"]),
        ),
        rx.table.cell(row.method_label, display=["none", "none", "table-cell"]),
        rx.table.cell(
            rx.text(row.amount, white_space="nowrap"),
            rx.cond(
                row.unapplied != "",
                rx.text(row.unapplied, " unapplied", size="1", color_scheme="gray"),
            ),
            text_align="right",
        ),
        rx.table.cell(payment_status_badge(row.status_label)),
        data_testid="payment-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Date", display=["none", "table-cell"]),
                rx.table.column_header_cell("Reference"),
                rx.table.column_header_cell("Method", display=["none", "none", "table-cell"]),
                rx.table.column_header_cell("Amount", text_align="right"),
                rx.table.column_header_cell("Status"),
            )
        ),
        rx.table.body(rx.foreach(PaymentsState.rows, _row)),
        width="100%",
        variant="surface",
    )


@portal_page(routes.CLIENT_PAYMENTS, "Payments", on_load=PaymentsState.load)
def payments_page() -> rx.Component:
    return rx.vstack(
        page_heading("Payments"),
        rx.cond(
            PaymentsState.unavailable,
            empty_state("Not available", "Your portal does not include payments.", icon="lock"),
            rx.cond(
                PaymentsState.loading,
                rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
                rx.cond(
                    PaymentsState.rows.length() > 0,
                    rx.vstack(
                        _table(), pager(PaymentsState, "Payments"), width="100%", spacing="3"
                    ),
                    empty_state(
                        "No payments yet",
                        "Payments you make will be listed here, with a receipt for each.",
                        icon="credit-card",
                    ),
                ),
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
