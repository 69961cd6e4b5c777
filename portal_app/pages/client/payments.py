"""/client/payments: the client's payments, newest first, paged on the server."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.common import (
    PAYMENT_KEY_COLORS,
    empty_state,
    keyed_badge,
    page_heading,
)
from portal_app.components.export_control import export_control
from portal_app.components.records import paged_rows
from portal_app.core import routes
from portal_app.schemas.payment import PaymentRowView
from portal_app.services.payments import payments
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill


class PaymentsState(PagedListMixin, PortalState):
    """List state; every change reloads through the service, which re-checks the session."""

    URL_STATE: ClassVar[bool] = True
    HAS_LAST_PAGE: ClassVar[bool] = True
    rows: list[PaymentRowView] = []

    def _reload(self):
        position = self._page_position()
        return self._reload_with(
            lambda db, actor: payments.list_payments(
                db, actor=actor, page=self.page, page_size=self.page_size, **position
            )
        )

    @rx.event
    def load(self):
        if self._shows_pushed_url():  # a page change loaded it already
            return None
        self.loading = True
        self._read_url()  # the page and its size: the URL says them
        return self._reload()


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
                rx.text(
                    fill(_("%(amount)s unapplied"), amount=row.unapplied),
                    size="1",
                    color_scheme="gray",
                ),
            ),
            text_align="end",
        ),
        # Coloured by the status: the label is in the contact's language.
        rx.table.cell(keyed_badge(row.status_label, row.status, PAYMENT_KEY_COLORS)),
        data_testid="payment-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(_("Date"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("Reference")),
                rx.table.column_header_cell(
                    _("Payment method"), display=["none", "none", "table-cell"]
                ),
                rx.table.column_header_cell(_("Amount"), text_align="end"),
                rx.table.column_header_cell(_("Status")),
            )
        ),
        rx.table.body(rx.foreach(PaymentsState.rows, _row)),
        width="100%",
        variant="surface",
    )


def payments_page() -> rx.Component:
    return rx.vstack(
        rx.flex(
            page_heading(_("Payments")),
            rx.spacer(),
            rx.cond(
                ~PaymentsState.unavailable,
                rx.link(_("Pay an amount"), href=routes.CLIENT_PAY_AMOUNT, id="pay-amount-link"),
            ),
            rx.cond(~PaymentsState.unavailable, export_control("payments")),
            width="100%",
            wrap="wrap",
            gap="3",
        ),
        rx.cond(
            PaymentsState.unavailable,
            empty_state(
                _("Not available"), _("Your portal does not include payments."), icon="lock"
            ),
            paged_rows(
                PaymentsState,
                _table(),
                _("Payments"),
                empty_state(
                    _("No payments yet"),
                    _("Payments you make will be listed here, with a receipt for each."),
                    icon="credit-card",
                ),
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
