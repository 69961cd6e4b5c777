"""/client/quotes: the client's quotes (filters, search, sort, paging); approve or ZIP several."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import (
    QUOTE_KEY_COLORS,
    empty_state,
    keyed_badge,
    page_heading,
    visually_hidden,
)
from portal_app.components.quote_approval import approval_dialog
from portal_app.components.records import list_toolbar, paged_rows, select_cell, selection_callout
from portal_app.core import routes
from portal_app.core.i18n import use_language
from portal_app.schemas.quote import QuoteRowView
from portal_app.services.billing import quotes
from portal_app.state.paged_list import PagedListMixin, RowSelectionMixin, SortedSearchMixin
from portal_app.state.portal import PortalState
from portal_app.state.quote_approval import QuoteApprovalMixin, approved_notice
from portal_app.state.signature_pad import INSTALL_PAD_SCRIPT
from portal_app.state.translate import _, fill, pgettext

# The filters are the keys; their labels (English here) are translated where they are shown.
FILTER_LABELS = {"all": "All", "pending": "Pending", "approved": "Approved", "expired": "Expired"}
SORT_LABELS = {
    "date": "Date",
    "valid_until": "Valid until",
    "number": "Number",
    "amount": "Amount",
}


def _filter_labels() -> dict[str, rx.Var]:
    # A filter names a group of quotes (plural in several languages), unlike the status badge
    # of one quote: its own context.
    return {
        "all": pgettext("quote filter", "All"),
        "pending": pgettext("quote filter", "Pending"),
        "approved": pgettext("quote filter", "Approved"),
        "expired": pgettext("quote filter", "Expired"),
    }


def _sort_labels() -> dict[str, rx.Var]:
    return {
        "date": _("Date"),
        "valid_until": _("Valid until"),
        "number": _("Number"),
        "amount": _("Amount"),
    }


class QuotesState(
    QuoteApprovalMixin, SortedSearchMixin, RowSelectionMixin, PagedListMixin, PortalState
):
    """List state; every change reloads through the service, which re-checks the session."""

    SORT_LABELS: ClassVar[dict[str, str]] = SORT_LABELS
    FILTER_KEYS: ClassVar[tuple[str, ...]] = tuple(FILTER_LABELS)
    URL_STATE: ClassVar[bool] = True
    MAX_SEARCH: ClassVar[int] = quotes.MAX_SEARCH_LENGTH
    MAX_SELECTED: ClassVar[int] = quotes.MAX_QUOTES_PER_ACTION
    rows: list[QuoteRowView] = []
    notice: str = ""

    def _reload(self):
        return self._reload_with(
            lambda db, actor: quotes.list_quotes(
                db, actor=actor, query=quotes.ListQuery(**self._query_fields())
            )
        )

    @rx.event
    def load(self):
        self.selected_ids = []
        self.notice = ""
        self._close_approval()
        # After a change (next page, a filter...) the list is already the URL's: no reload.
        if not self._shows_pushed_url():
            self.loading = True
            self._read_url()  # the filter, search, sort and page: the URL says them all
            redirect = self._reload()
            if redirect is not None:
                return redirect
        actor = self._actor()
        if actor is not None:
            self._load_rules(actor)
        return rx.call_script(INSTALL_PAD_SCRIPT)

    @rx.event
    def set_status(self, status: str | list[str]):
        chosen = status if isinstance(status, str) and status in FILTER_LABELS else "all"

        def change() -> None:
            # After the session check (`_changed`): a refused event changes nothing.
            self.status = chosen
            self._start_over()
            self.selected_ids = []

        return self._changed(change)

    @rx.var
    def zip_path(self) -> str:
        # The path only: the page joins it to PortalState.api_base in the browser (api_link.py).
        if not self.selected_ids:
            return ""
        return routes.quotes_zip_url(sorted(self.selected_ids))

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
    def confirm_approve(self):
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        result = self._approve(actor, self.router.headers.user_agent or "")
        if result is None:
            return None
        if len(result.quote_ids) == 1 and len(result.invoice_ids) == 1:
            return rx.redirect(routes.pay_url(result.invoice_ids))
        with use_language(self.lang):
            self.notice = approved_notice(len(result.quote_ids), len(result.invoice_ids))
        self.selected_ids = []
        return self._reload()


def _row(row: QuoteRowView) -> rx.Component:
    return rx.table.row(
        select_cell(QuotesState, row.id, fill(_("Select quote %(number)s"), number=row.number)),
        rx.table.row_header_cell(
            rx.link(row.number, href="/client/quotes/" + row.id.to_string(), weight="medium")
        ),
        rx.table.cell(row.issue_date, display=["none", "table-cell"]),
        rx.table.cell(row.valid_until, display=["none", "none", "table-cell"]),
        rx.table.cell(row.amount, text_align="end"),
        # Coloured by the status: the label is in the contact's language.
        rx.table.cell(keyed_badge(row.status_label, row.status, QUOTE_KEY_COLORS)),
        data_testid="quote-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(visually_hidden(_("Select")), width="2.5em"),
                rx.table.column_header_cell(_("Number")),
                rx.table.column_header_cell(_("Date"), display=["none", "table-cell"]),
                rx.table.column_header_cell(
                    _("Valid until"), display=["none", "none", "table-cell"]
                ),
                rx.table.column_header_cell(_("Amount"), text_align="end"),
                rx.table.column_header_cell(_("Status")),
            )
        ),
        rx.table.body(rx.foreach(QuotesState.rows, _row)),
        width="100%",
        variant="surface",
    )


def _approve_selected() -> rx.Component:
    return rx.cond(
        (QuotesState.approvable_selected > 0) & ~PortalState.is_preview,
        rx.button(
            rx.icon("check", size=16, aria_hidden="true"),
            fill(
                _("Approve selected (%(count)s)"),
                count=QuotesState.approvable_selected.to_string(),
            ),
            on_click=QuotesState.open_approve,
            size="2",
            id="approve-selected",
        ),
    )


def quotes_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Quotes")),
        rx.cond(
            QuotesState.unavailable,
            empty_state(_("Not available"), _("Your portal does not include quotes."), icon="lock"),
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
                list_toolbar(
                    QuotesState,
                    filters=_filter_labels(),
                    filter_label=_("Show quotes"),
                    sorts=_sort_labels(),
                    search_label=_("Search by quote number"),
                    max_search=quotes.MAX_SEARCH_LENGTH,
                ),
                selection_callout(QuotesState, _approve_selected()),
                paged_rows(
                    QuotesState,
                    _table(),
                    _("Quotes"),
                    empty_state(
                        _("No quotes here"),
                        rx.cond(
                            QuotesState.search != "",
                            _("No quote number matches your search."),
                            _("There are no quotes for this filter."),
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
