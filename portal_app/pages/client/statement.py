"""/client/statement: the client's statement for a date range, previewed per currency, as PDF."""

from __future__ import annotations

from datetime import date

import reflex as rx

from portal_app import routes
from portal_app.components.common import (
    download_button,
    empty_state,
    field_error,
    loading_block,
    page_heading,
)
from portal_app.components.records import summary_row
from portal_app.db import session_scope
from portal_app.layout.shell import portal_page
from portal_app.schemas.statement import AgingBucketView, StatementRowView, StatementView
from portal_app.services import statements
from portal_app.services.errors import NotFoundError, ValidationError
from portal_app.state.portal import PortalState

STATUS_LABELS = {"all": "All", "paid": "Paid", "unpaid": "Unpaid"}


class StatementState(PortalState):
    """The range and choices; every change re-checks the session and recomputes on the server."""

    preset: str = "this_year"
    start: str = ""
    end: str = ""
    status: str = "all"
    show_payments: bool = True
    show_credits: bool = True
    show_aging: bool = True
    views: list[StatementView] = []
    start_error: str = ""
    end_error: str = ""
    loading: bool = True
    unavailable: bool = False

    def _reload(self):
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        self.start_error = self.end_error = ""
        try:
            start = statements.parse_day(self.start, "start")
            end = statements.parse_day(self.end, "end")
            with session_scope() as db:
                self.views = statements.statement(
                    db,
                    actor=actor,
                    start=start,
                    end=end,
                    status=self.status,
                    show_payments=self.show_payments,
                    show_credits=self.show_credits,
                    show_aging=self.show_aging,
                )
            self.unavailable = False
        except ValidationError as exc:
            self.views = []
            if exc.field == "start":
                self.start_error = exc.message
            else:
                self.end_error = exc.message
        except NotFoundError:
            self.views = []
            self.unavailable = True
        self.loading = False
        return None

    def _apply_preset(self, preset: str) -> None:
        found = statements.preset_range(preset, date.today())
        if found is None:
            self.preset = "custom"
            return
        self.preset = preset
        self.start, self.end = found[0].isoformat(), found[1].isoformat()

    @rx.event
    def load(self):
        self.loading = True
        if not self.start or not self.end:
            self._apply_preset("this_year")
        return self._reload()

    @rx.event
    def choose_preset(self, preset: str):
        self._apply_preset(preset if preset in statements.PRESETS else "custom")
        return self._reload()

    @rx.event
    def set_start_date(self, value: str):
        self.start = value[:10]
        self.preset = "custom"
        return self._reload()

    @rx.event
    def set_end_date(self, value: str):
        self.end = value[:10]
        self.preset = "custom"
        return self._reload()

    @rx.event
    def choose_status(self, value: str):
        self.status = value if value in STATUS_LABELS else "all"
        return self._reload()

    @rx.event
    def toggle_payments(self, checked: bool):
        self.show_payments = bool(checked)
        return self._reload()

    @rx.event
    def toggle_credits(self, checked: bool):
        self.show_credits = bool(checked)
        return self._reload()

    @rx.event
    def toggle_aging(self, checked: bool):
        self.show_aging = bool(checked)
        return self._reload()

    @rx.var
    def has_error(self) -> bool:
        return self.start_error != "" or self.end_error != ""

    @rx.var
    def pdf_href(self) -> str:
        return self.api_base + routes.statement_pdf_url(
            self.start,
            self.end,
            self.status,
            payments=self.show_payments,
            credits=self.show_credits,
            aging=self.show_aging,
        )


def _controls() -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text("Period", size="2", weight="medium", as_="label"),
            rx.select.root(
                rx.select.trigger(aria_label="Period", id="statement-preset"),
                rx.select.content(
                    *[rx.select.item(label, value=key) for key, label in statements.PRESETS.items()]
                ),
                value=StatementState.preset,
                on_change=StatementState.choose_preset,
            ),
            spacing="1",
        ),
        rx.vstack(
            rx.text("From", size="2", weight="medium", as_="label", html_for="statement-start"),
            rx.input(
                type="date",
                id="statement-start",
                value=StatementState.start,
                on_change=StatementState.set_start_date.debounce(400),
                aria_invalid=StatementState.start_error != "",
            ),
            field_error(StatementState.start_error),
            spacing="1",
        ),
        rx.vstack(
            rx.text("To", size="2", weight="medium", as_="label", html_for="statement-end"),
            rx.input(
                type="date",
                id="statement-end",
                value=StatementState.end,
                on_change=StatementState.set_end_date.debounce(400),
                aria_invalid=StatementState.end_error != "",
            ),
            field_error(StatementState.end_error),
            spacing="1",
        ),
        rx.vstack(
            rx.text("Invoices", size="2", weight="medium", as_="label"),
            rx.select.root(
                rx.select.trigger(aria_label="Invoices to include"),
                rx.select.content(
                    *[rx.select.item(label, value=key) for key, label in STATUS_LABELS.items()]
                ),
                value=StatementState.status,
                on_change=StatementState.choose_status,
            ),
            spacing="1",
        ),
        rx.vstack(
            rx.checkbox(
                "Show payments",
                checked=StatementState.show_payments,
                on_change=StatementState.toggle_payments,
            ),
            rx.checkbox(
                "Show credits",
                checked=StatementState.show_credits,
                on_change=StatementState.toggle_credits,
            ),
            rx.checkbox(
                "Show aging",
                checked=StatementState.show_aging,
                on_change=StatementState.toggle_aging,
            ),
            spacing="1",
        ),
        wrap="wrap",
        spacing="4",
        align="start",
        width="100%",
    )


def _row(row: StatementRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.date, white_space="nowrap"),
        rx.table.row_header_cell(row.reference),
        rx.table.cell(row.description, display=["none", "table-cell"]),
        rx.table.cell(row.amount, text_align="right", white_space="nowrap"),
        rx.table.cell(row.balance, text_align="right", white_space="nowrap"),
        data_testid="statement-row",
    )


def _bucket(bucket: AgingBucketView) -> rx.Component:
    return rx.vstack(
        rx.text(bucket.label, size="1", color_scheme="gray"),
        rx.text(bucket.amount, size="2", weight="medium"),
        spacing="0",
        align="end",
    )


def _view(view: StatementView) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Statement in ", view.currency, size="4", as_="h2"),
            summary_row("Opening balance", view.opening),
            rx.cond(
                view.is_empty,
                rx.text("No activity in this period.", color_scheme="gray"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Date"),
                            rx.table.column_header_cell("Reference"),
                            rx.table.column_header_cell(
                                "Description", display=["none", "table-cell"]
                            ),
                            rx.table.column_header_cell("Amount", text_align="right"),
                            rx.table.column_header_cell("Balance", text_align="right"),
                        )
                    ),
                    rx.table.body(rx.foreach(view.rows, _row)),
                    width="100%",
                    variant="surface",
                ),
            ),
            summary_row("Invoices", view.invoices_total),
            summary_row("Payments", view.payments_total),
            summary_row("Credits", view.credits_total),
            rx.box(
                summary_row("Closing balance", view.closing, strong=True),
                width="100%",
                data_testid="statement-closing",
            ),
            rx.cond(
                view.show_aging,
                rx.flex(rx.foreach(view.aging, _bucket), wrap="wrap", spacing="5"),
            ),
            width="100%",
            spacing="3",
        ),
        width="100%",
        data_testid="statement-" + view.currency,
    )


@portal_page(routes.CLIENT_STATEMENT, "Statement", on_load=StatementState.load)
def statement_page() -> rx.Component:
    return rx.vstack(
        page_heading("Statement"),
        rx.cond(
            StatementState.unavailable,
            empty_state("Not available", "Your portal does not include statements.", icon="lock"),
            rx.vstack(
                _controls(),
                rx.cond(
                    StatementState.loading,
                    loading_block(),
                    rx.cond(
                        StatementState.has_error,
                        rx.fragment(),
                        rx.vstack(
                            download_button(
                                "Download PDF", StatementState.pdf_href, "download-statement"
                            ),
                            rx.foreach(StatementState.views, _view),
                            width="100%",
                            spacing="4",
                        ),
                    ),
                ),
                width="100%",
                spacing="4",
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
