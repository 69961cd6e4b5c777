"""/client/invoices: the client's invoices with filters, search, sort and server paging."""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.components.common import (
    download_button,
    empty_state,
    page_heading,
    status_badge,
    visually_hidden,
)
from portal_app.components.records import paged_rows
from portal_app.db import session_scope
from portal_app.layout.shell import portal_page
from portal_app.schemas.invoice import InvoiceRowView
from portal_app.services import checkout, invoices
from portal_app.services.checkout import PayableGroup
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.portal import PortalState

FILTER_LABELS = {"all": "All", "unpaid": "Unpaid", "overdue": "Overdue", "paid": "Paid"}
SORT_LABELS = {
    "date": "Date",
    "due_date": "Due date",
    "number": "Number",
    "amount": "Amount",
    "balance": "Balance",
}


class InvoicesState(PagedListMixin, PortalState):
    """List state; every change reloads through the service, which re-checks the session."""

    status: str = "all"
    search: str = ""
    sort: str = "date"
    descending: bool = True
    rows: list[InvoiceRowView] = []
    selected_ids: list[int] = []
    pay_groups: list[PayableGroup] = []

    def _query(self) -> invoices.ListQuery:
        return invoices.ListQuery(
            status=self.status,
            search=self.search,
            sort=self.sort,
            descending=self.descending,
            page=self.page,
            page_size=self.page_size,
        )

    def _reload(self):
        return self._reload_with(
            lambda db, actor: invoices.list_invoices(db, actor=actor, query=self._query())
        )

    @rx.event
    def load(self):
        self.loading = True
        self.selected_ids = []
        self.page = 1
        status = self.router.url.query_parameters.get("status", "")
        if status in FILTER_LABELS:
            self.status = status
        redirect = self._reload()
        if redirect is not None:
            return redirect
        self._load_pay_groups()
        return InvoicesState.watch

    def _load_pay_groups(self) -> None:
        actor = self._actor()
        with session_scope() as db:
            self.pay_groups = checkout.payable_groups(db, actor=actor) if actor else []

    def _refresh_event(self):
        return InvoicesState.refresh

    @rx.event(background=True)
    async def watch(self):
        """Refresh this page when a payment lands elsewhere (see PortalState._watch_ledger)."""
        async for event in self._watch_ledger():
            yield event

    @rx.event
    def refresh(self):
        """Reload the current page of the list (the ledger changed elsewhere)."""
        redirect = self._reload()
        if redirect is None:
            self._load_pay_groups()
        return redirect

    @rx.event
    def set_status(self, status: str | list[str]):
        status = status if isinstance(status, str) else ""
        self.status = status if status in FILTER_LABELS else "all"
        self.page = 1
        return self._reload()

    @rx.event
    def apply_search(self, form_data: dict):
        self.search = str(form_data.get("search", ""))[: invoices.MAX_SEARCH_LENGTH]
        self.page = 1
        return self._reload()

    @rx.event
    def clear_search(self):
        self.search = ""
        self.page = 1
        return self._reload()

    @rx.event
    def set_sort(self, sort: str):
        self.sort = sort if sort in SORT_LABELS else "date"
        self.page = 1
        return self._reload()

    @rx.event
    def toggle_direction(self):
        self.descending = not self.descending
        self.page = 1
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

    @rx.event
    def toggle_selected(self, invoice_id: int):
        # Only ids shown on this page can be selected; downloads re-check ownership anyway.
        if not any(row.id == invoice_id for row in self.rows):
            return
        if invoice_id in self.selected_ids:
            self.selected_ids = [i for i in self.selected_ids if i != invoice_id]
        elif len(self.selected_ids) < invoices.ZIP_MAX_INVOICES:
            self.selected_ids = [*self.selected_ids, invoice_id]

    @rx.event
    def clear_selection(self):
        self.selected_ids = []

    @rx.var
    def zip_href(self) -> str:
        if not self.selected_ids:
            return ""
        return self.api_base + routes.invoices_zip_url(sorted(self.selected_ids))

    @rx.var
    def pay_selected_href(self) -> str:
        payable = {row.id for row in self.rows if row.is_payable}
        chosen = sorted(i for i in self.selected_ids if i in payable)
        return routes.pay_url(chosen) if chosen else ""


def _filters() -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(label, value=key) for key, label in FILTER_LABELS.items()],
        value=InvoicesState.status,
        on_change=InvoicesState.set_status,
        aria_label="Show invoices",
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        _filters(),
        rx.form(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16, aria_hidden="true")),
                    name="search",
                    placeholder="Search by number",
                    default_value=InvoicesState.search,
                    aria_label="Search by invoice number",
                    max_length=invoices.MAX_SEARCH_LENGTH,
                    type="search",
                ),
                rx.button("Search", type="submit", variant="soft"),
                spacing="2",
            ),
            on_submit=InvoicesState.apply_search,
            reset_on_submit=False,
        ),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label="Sort by"),
                rx.select.content(
                    *[rx.select.item(label, value=key) for key, label in SORT_LABELS.items()]
                ),
                value=InvoicesState.sort,
                on_change=InvoicesState.set_sort,
            ),
            rx.icon_button(
                rx.cond(
                    InvoicesState.descending,
                    rx.icon("arrow-down-wide-narrow", size=18),
                    rx.icon("arrow-up-narrow-wide", size=18),
                ),
                on_click=InvoicesState.toggle_direction,
                variant="soft",
                aria_label=rx.cond(
                    InvoicesState.descending,
                    "Sorted newest or largest first",
                    "Sorted oldest or smallest first",
                ),
            ),
            spacing="2",
        ),
        gap="3",
        wrap="wrap",
        align="center",
        width="100%",
    )


def _row(row: InvoiceRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=InvoicesState.selected_ids.contains(row.id),
                on_change=lambda _checked: InvoicesState.toggle_selected(row.id),
                aria_label="Select invoice " + row.number,
            )
        ),
        rx.table.row_header_cell(
            rx.link(row.number, href="/client/invoices/" + row.id.to_string(), weight="medium")
        ),
        rx.table.cell(row.issue_date, display=["none", "table-cell"]),
        rx.table.cell(row.due_date, display=["none", "none", "table-cell"]),
        rx.table.cell(row.amount, text_align="right", display=["none", "table-cell"]),
        rx.table.cell(row.balance, text_align="right"),
        rx.table.cell(status_badge(row.status_label)),
        data_testid="invoice-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(visually_hidden("Select"), width="2.5em"),
                rx.table.column_header_cell("Number"),
                rx.table.column_header_cell("Date", display=["none", "table-cell"]),
                rx.table.column_header_cell("Due", display=["none", "none", "table-cell"]),
                rx.table.column_header_cell(
                    "Amount", text_align="right", display=["none", "table-cell"]
                ),
                rx.table.column_header_cell("Balance", text_align="right"),
                rx.table.column_header_cell("Status"),
            )
        ),
        rx.table.body(rx.foreach(InvoicesState.rows, _row)),
        width="100%",
        variant="surface",
    )


def _selection_bar() -> rx.Component:
    return rx.cond(
        InvoicesState.selected_ids.length() > 0,
        rx.callout.root(
            rx.flex(
                rx.text(InvoicesState.selected_ids.length(), " selected"),
                download_button("Download PDFs (ZIP)", InvoicesState.zip_href, "download-zip"),
                rx.cond(
                    (InvoicesState.pay_selected_href != "") & ~PortalState.is_preview,
                    rx.link(
                        rx.button(rx.icon("credit-card", size=16), "Pay selected", size="2"),
                        href=InvoicesState.pay_selected_href,
                        id="pay-selected",
                    ),
                ),
                rx.button(
                    "Clear", on_click=InvoicesState.clear_selection, variant="ghost", size="2"
                ),
                gap="3",
                align="center",
                wrap="wrap",
            ),
            width="100%",
        ),
    )


def _pay_all(group: PayableGroup) -> rx.Component:
    return rx.link(
        rx.button(
            rx.icon("credit-card", size=16),
            "Pay all due (",
            group.total,
            ")",
            variant="solid",
            size="2",
        ),
        href="/client/pay?all=" + group.currency,
        aria_label="Pay all " + group.count.to_string() + " due invoices in " + group.currency,
    )


@portal_page(routes.CLIENT_INVOICES, "Invoices", on_load=InvoicesState.load)
def invoices_page() -> rx.Component:
    return rx.vstack(
        rx.flex(
            page_heading("Invoices"),
            rx.spacer(),
            rx.cond(
                ~PortalState.is_preview,
                rx.hstack(rx.foreach(InvoicesState.pay_groups, _pay_all), wrap="wrap", spacing="2"),
            ),
            width="100%",
            wrap="wrap",
            align="start",
            gap="3",
        ),
        rx.cond(
            InvoicesState.unavailable,
            empty_state("Not available", "Your portal does not include invoices.", icon="lock"),
            rx.vstack(
                _toolbar(),
                _selection_bar(),
                paged_rows(
                    InvoicesState,
                    _table(),
                    "Invoices",
                    empty_state(
                        "No invoices here",
                        rx.cond(
                            InvoicesState.search != "",
                            "No invoice number matches your search.",
                            "There are no invoices for this filter.",
                        ),
                    ),
                ),
                width="100%",
                spacing="4",
                align="start",
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
