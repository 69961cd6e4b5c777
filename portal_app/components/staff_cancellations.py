"""The "Cancellation requests" box of the staff client page (StaffCancellationsState)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.state.staff_cancellations import StaffCancellationsState
from portal_app.state.translate import _, fill

S = StaffCancellationsState


def _request_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.title),
        rx.table.cell(row.amount, white_space="nowrap"),
        rx.table.cell(row.requested_on, white_space="nowrap"),
        rx.table.cell(rx.cond(row.reason != "", row.reason, "—"), max_width="20em"),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    _("Approve"),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    high_contrast=True,
                    on_click=S.approve(row.kind, row.record_id),
                    disabled=S.deciding,
                    aria_label=fill(_("Approve cancellation: %(what)s"), what=row.title),
                    data_testid="approve-cancellation",
                ),
                rx.button(
                    _("Decline"),
                    size="1",
                    variant="soft",
                    on_click=S.decline(row.kind, row.record_id),
                    disabled=S.deciding,
                    aria_label=fill(_("Decline cancellation: %(what)s"), what=row.title),
                    data_testid="decline-cancellation",
                ),
                spacing="2",
            )
        ),
        data_testid="cancellation-request",
    )


def cancellation_requests(client_id) -> rx.Component:
    """Open cancellation requests of a client; `client_id` is an int Var or int."""
    return rx.vstack(
        rx.cond(
            S.requests.length() > 0,
            rx.vstack(
                rx.heading(_("Cancellation requests"), size="4", as_="h2"),
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(label)
                                    for label in (
                                        _("What"),
                                        _("Amount"),
                                        _("Asked on"),
                                        _("Reason"),
                                        "",
                                    )
                                ]
                            )
                        ),
                        rx.table.body(rx.foreach(S.requests, _request_row)),
                        width="100%",
                        variant="surface",
                        size="1",
                    ),
                    width="100%",
                    overflow_x="auto",
                ),
                width="100%",
                spacing="3",
            ),
        ),
        rx.cond(
            S.cancel_notice != "",
            callout(S.cancel_notice, icon="check", color_scheme="green", role="status"),
        ),
        rx.cond(
            S.cancel_error != "",
            callout(S.cancel_error, icon="triangle-alert", color_scheme="red", role="alert"),
        ),
        on_mount=S.show(client_id),
        width="100%",
        spacing="3",
        id="staff-cancellation-requests",
    )
