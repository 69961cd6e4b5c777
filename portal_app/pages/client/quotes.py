"""/client/quotes: the client's quotes (filters, search, sort, paging); approve or ZIP several."""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.components.accessible import callout
from portal_app.components.common import (
    download_button,
    empty_state,
    page_heading,
    visually_hidden,
)
from portal_app.components.quote_approval import (
    CLEAR_PAD_SCRIPT,
    INSTALL_PAD_SCRIPT,
    approval_dialog,
    quote_status_badge,
)
from portal_app.components.records import paged_rows
from portal_app.layout.shell import portal_page
from portal_app.schemas.quote import QuoteRowView
from portal_app.services import quotes
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.portal import PortalState
from portal_app.state.quote_approval import QuoteApprovalMixin

FILTER_LABELS = {"all": "All", "pending": "Pending", "approved": "Approved", "expired": "Expired"}
SORT_LABELS = {
    "date": "Date",
    "valid_until": "Valid until",
    "number": "Number",
    "amount": "Amount",
}


class QuotesState(QuoteApprovalMixin, PagedListMixin, PortalState):
    """List state; every change reloads through the service, which re-checks the session."""

    status: str = "all"
    search: str = ""
    sort: str = "date"
    descending: bool = True
    rows: list[QuoteRowView] = []
    selected_ids: list[int] = []
    notice: str = ""

    def _query(self) -> quotes.ListQuery:
        return quotes.ListQuery(
            status=self.status,
            search=self.search,
            sort=self.sort,
            descending=self.descending,
            page=self.page,
            page_size=self.page_size,
        )

    def _reload(self):
        return self._reload_with(
            lambda db, actor: quotes.list_quotes(db, actor=actor, query=self._query())
        )

    @rx.event
    def load(self):
        self.loading = True
        self.selected_ids = []
        self.page = 1
        self.notice = ""
        self._close_approval()
        status = self.router.url.query_parameters.get("status", "")
        if status in FILTER_LABELS:
            self.status = status
        redirect = self._reload()
        if redirect is not None:
            return redirect
        actor = self._actor()
        if actor is not None:
            self._load_rules(actor)
        return rx.call_script(INSTALL_PAD_SCRIPT)

    @rx.event
    def set_status(self, status: str | list[str]):
        status = status if isinstance(status, str) else ""
        self.status = status if status in FILTER_LABELS else "all"
        self.page = 1
        self.selected_ids = []
        return self._reload()

    @rx.event
    def apply_search(self, form_data: dict):
        self.search = str(form_data.get("search", ""))[: quotes.MAX_SEARCH_LENGTH]
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
    def toggle_selected(self, quote_id: int):
        # Only ids shown on this page can be selected; the services re-check ownership anyway.
        if not any(row.id == quote_id for row in self.rows):
            return
        if quote_id in self.selected_ids:
            self.selected_ids = [i for i in self.selected_ids if i != quote_id]
        elif len(self.selected_ids) < quotes.MAX_QUOTES_PER_ACTION:
            self.selected_ids = [*self.selected_ids, quote_id]

    @rx.event
    def clear_selection(self):
        self.selected_ids = []

    @rx.var
    def zip_href(self) -> str:
        if not self.selected_ids:
            return ""
        return self.api_base + routes.quotes_zip_url(sorted(self.selected_ids))

    @rx.var
    def approvable_selected(self) -> int:
        approvable = {row.id for row in self.rows if row.is_approvable}
        return sum(1 for i in self.selected_ids if i in approvable)

    # -- approve ------------------------------------------------------------------------------

    @rx.event
    def open_approve(self):
        if self.is_preview:
            return
        approvable = {row.id for row in self.rows if row.is_approvable}
        chosen = sorted(i for i in self.selected_ids if i in approvable)
        self.notice = ""
        self._open_approval(chosen, "")

    @rx.event
    def set_approve_open(self, is_open: bool):
        if not is_open:
            self._close_approval()

    @rx.event
    def set_terms_accepted(self, checked: bool):
        self.terms_accepted = checked is True
        self.terms_error = ""

    @rx.event
    def terms_continue(self):
        self._after_terms()

    @rx.event
    def sign_continue(self):
        return self._signature_request(QuotesState.signature_taken)

    @rx.event
    def signature_taken(self, data_url: str):
        self._take_signature(data_url)

    @rx.event
    def clear_signature(self):
        self.typed_name = ""
        return rx.call_script(CLEAR_PAD_SCRIPT)

    @rx.event
    def set_typed_name(self, value: str):
        self._set_typed_name(value)

    @rx.event
    def set_po_number(self, value: str):
        self._set_po(value)

    @rx.event
    def confirm_approve(self):
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        result = self._approve(actor, self.router.headers.user_agent or "")
        if result is None:
            return None
        if len(result.quote_ids) == 1 and len(result.invoice_ids) == 1:
            return rx.redirect(routes.pay_url(result.invoice_ids))
        count = len(result.quote_ids)
        made = len(result.invoice_ids)
        self.notice = f"{count} quote{'s' if count != 1 else ''} approved." + (
            f" {made} invoice{'s' if made != 1 else ''} created: see Invoices to pay."
            if made
            else ""
        )
        self.selected_ids = []
        return self._reload()


def _filters() -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(label, value=key) for key, label in FILTER_LABELS.items()],
        value=QuotesState.status,
        on_change=QuotesState.set_status,
        aria_label="Show quotes",
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
                    default_value=QuotesState.search,
                    aria_label="Search by quote number",
                    max_length=quotes.MAX_SEARCH_LENGTH,
                    type="search",
                ),
                rx.button("Search", type="submit", variant="soft"),
                spacing="2",
            ),
            on_submit=QuotesState.apply_search,
            reset_on_submit=False,
        ),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label="Sort by"),
                rx.select.content(
                    *[rx.select.item(label, value=key) for key, label in SORT_LABELS.items()]
                ),
                value=QuotesState.sort,
                on_change=QuotesState.set_sort,
            ),
            rx.icon_button(
                rx.cond(
                    QuotesState.descending,
                    rx.icon("arrow-down-wide-narrow", size=18),
                    rx.icon("arrow-up-narrow-wide", size=18),
                ),
                on_click=QuotesState.toggle_direction,
                variant="soft",
                aria_label=rx.cond(
                    QuotesState.descending,
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


def _row(row: QuoteRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=QuotesState.selected_ids.contains(row.id),
                on_change=lambda _checked: QuotesState.toggle_selected(row.id),
                aria_label="Select quote " + row.number,
            )
        ),
        rx.table.row_header_cell(
            rx.link(row.number, href="/client/quotes/" + row.id.to_string(), weight="medium")
        ),
        rx.table.cell(row.issue_date, display=["none", "table-cell"]),
        rx.table.cell(row.valid_until, display=["none", "none", "table-cell"]),
        rx.table.cell(row.amount, text_align="right"),
        rx.table.cell(quote_status_badge(row.status_label)),
        data_testid="quote-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(visually_hidden("Select"), width="2.5em"),
                rx.table.column_header_cell("Number"),
                rx.table.column_header_cell("Date", display=["none", "table-cell"]),
                rx.table.column_header_cell("Valid until", display=["none", "none", "table-cell"]),
                rx.table.column_header_cell("Amount", text_align="right"),
                rx.table.column_header_cell("Status"),
            )
        ),
        rx.table.body(rx.foreach(QuotesState.rows, _row)),
        width="100%",
        variant="surface",
    )


def _selection_bar() -> rx.Component:
    return rx.cond(
        QuotesState.selected_ids.length() > 0,
        rx.callout.root(
            rx.flex(
                rx.text(QuotesState.selected_ids.length(), " selected"),
                download_button("Download PDFs (ZIP)", QuotesState.zip_href, "download-zip"),
                rx.cond(
                    (QuotesState.approvable_selected > 0) & ~PortalState.is_preview,
                    rx.button(
                        rx.icon("check", size=16, aria_hidden="true"),
                        "Approve selected (",
                        QuotesState.approvable_selected,
                        ")",
                        on_click=QuotesState.open_approve,
                        size="2",
                        id="approve-selected",
                    ),
                ),
                rx.button("Clear", on_click=QuotesState.clear_selection, variant="ghost", size="2"),
                gap="3",
                align="center",
                wrap="wrap",
            ),
            width="100%",
        ),
    )


@portal_page(routes.CLIENT_QUOTES, "Quotes", on_load=QuotesState.load)
def quotes_page() -> rx.Component:
    return rx.vstack(
        page_heading("Quotes"),
        rx.cond(
            QuotesState.unavailable,
            empty_state("Not available", "Your portal does not include quotes.", icon="lock"),
            rx.vstack(
                rx.cond(
                    QuotesState.notice != "",
                    callout(
                        QuotesState.notice,
                        icon="circle-check",
                        color_scheme="green",
                        role="status",
                        width="100%",
                        id="quotes-notice",
                    ),
                ),
                _toolbar(),
                _selection_bar(),
                paged_rows(
                    QuotesState,
                    _table(),
                    "Quotes",
                    empty_state(
                        "No quotes here",
                        rx.cond(
                            QuotesState.search != "",
                            "No quote number matches your search.",
                            "There are no quotes for this filter.",
                        ),
                    ),
                ),
                approval_dialog(QuotesState),
                width="100%",
                spacing="4",
                align="start",
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
