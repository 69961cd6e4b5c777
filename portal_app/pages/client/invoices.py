"""/client/invoices: the client's invoices with filters, search, sort and server paging."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import reflex as rx
from reflex.vars import ObjectVar

from portal_app.components.common import _KEY_COLORS as INVOICE_KEY_COLORS
from portal_app.components.common import (
    empty_state,
    link_button,
    page_heading,
    visually_hidden,
)
from portal_app.components.export_control import export_control
from portal_app.components.records import (
    AT_END,
    FROM_MD,
    FROM_SM,
    ROW_CLASS,
    ROW_HEADER_CLASS,
    is_selected,
    list_toolbar,
    paged_rows,
    plain_table,
    quick_select_cell,
    row_cell,
    row_link,
    row_phone_label,
    row_status_badge,
    selection_bar,
)
from portal_app.core import routes
from portal_app.core.errors import NotFoundError
from portal_app.core.i18n import ngettext
from portal_app.schemas.invoice import InvoiceRowView
from portal_app.services.billing import invoices
from portal_app.services.company.locale import client_locale
from portal_app.services.payments import checkout
from portal_app.services.payments.checkout import PayableGroup
from portal_app.state.paged_list import PagedListMixin, RowSelectionMixin, SortedSearchMixin
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill, pgettext

# The filters are the keys; their labels (English here) are translated where they are shown.
FILTER_LABELS = {"all": "All", "unpaid": "Unpaid", "overdue": "Overdue", "paid": "Paid"}
SORT_LABELS = {
    "date": "Date",
    "due_date": "Due date",
    "number": "Number",
    "amount": "Amount",
    "balance": "Balance",
}


def _filter_labels() -> dict[str, rx.Var]:
    # "Paid" as a filter means "paid invoices" (plural in French or Portuguese), unlike the
    # status badge of one invoice: its own context.
    return {
        "all": pgettext("invoice filter", "All"),
        "unpaid": pgettext("invoice filter", "Unpaid"),
        "overdue": pgettext("invoice filter", "Overdue"),
        "paid": pgettext("invoice filter", "Paid"),
    }


def _sort_labels() -> dict[str, rx.Var]:
    return {
        "date": _("Date"),
        "due_date": _("Due date"),
        "number": _("Number"),
        "amount": _("Amount"),
        "balance": _("Balance"),
    }


class InvoicesState(SortedSearchMixin, PagedListMixin, PortalState):
    """List state; every change reloads through the service, which re-checks the session.
    The ticked rows are a state of their own below it (InvoiceSelectionState)."""

    SORT_LABELS: ClassVar[dict[str, str]] = SORT_LABELS
    FILTER_KEYS: ClassVar[tuple[str, ...]] = tuple(FILTER_LABELS)
    URL_STATE: ClassVar[bool] = True
    HAS_LAST_PAGE: ClassVar[bool] = True
    # Its events only read (the session check, the ledger stamp, the page, "Pay all due").
    READ_ONLY_EVENTS: ClassVar[bool] = True
    MAX_SEARCH: ClassVar[int] = invoices.MAX_SEARCH_LENGTH
    rows: list[InvoiceRowView] = []
    pay_groups: list[PayableGroup] = []
    # What `pay_groups` was computed for: client, ledger stamp and locale (see `_reload`).
    _pay_groups_key: str = ""
    # Each "Pay all due" button's accessible name by currency: a plural (ngettext) in the
    # contact's language, so made on the server.
    pay_all_labels: dict[str, str] = {}

    def _reload(self, *, with_pay_groups: bool = False):
        """Reload the list; `with_pay_groups` also refreshes "Pay all due" in the same database
        session and with the same actor (one session check, client and company read once)."""

        query = invoices.ListQuery(**self._query_fields(), **self._page_position())

        def fetch(db, actor):
            if not with_pay_groups:
                # A page turn (Next, Last...) of a live list: the stamp the page's watch
                # holds keys the list's count, so the last page reuses the count its load
                # took instead of counting again; a change elsewhere has moved that stamp
                # (and sent a refresh) within one poll. Not watched here: counted exactly.
                return invoices.list_invoices(
                    db, actor=actor, query=replace(query, ledger_stamp=self._live_stamp())
                )
            self._note_ledger(db, actor)  # before the data: the watch's starting point
            # "Pay all due" depends only on the client's invoices (any change moves the ledger
            # stamp just read) and the locale its totals are written in: unchanged, the
            # groups this tab already shows are still right, and the query is skipped.
            key = f"{self._watch_client}|{self._watch_seen}|{client_locale(db, actor)}"
            try:
                # The stamp just read also keys the list's count: a last page loaded again
                # while nothing changed skips the exact count (services/billing/invoices.py).
                page = invoices.list_invoices(
                    db, actor=actor, query=replace(query, ledger_stamp=self._watch_seen)
                )
            except NotFoundError:
                self.pay_groups = []  # stays empty when the module is off
                self._pay_groups_key = ""
                raise
            if key != self._pay_groups_key:
                self.pay_groups = checkout.payable_groups(db, actor=actor)
                self._pay_groups_key = key
            # Every load: the groups may be kept while the language changed.
            self.pay_all_labels = {
                group.currency: ngettext(
                    "Pay all %(num)d due invoice in %(currency)s",
                    "Pay all %(num)d due invoices in %(currency)s",
                    group.count,
                )
                % {"num": group.count, "currency": group.currency}
                for group in self.pay_groups
            }
            return page

        return self._reload_with(fetch)

    @rx.event
    def load(self):
        # After a change (next page, a filter...) the list is already the URL's: no reload.
        if not self._shows_pushed_url():
            self.loading = True
            self._read_url()  # the filter, search, sort and page: the URL says them all
            redirect = self._reload(with_pay_groups=True)
            if redirect is not None:
                return redirect
        # A payment that lands elsewhere refreshes this page (reflex_ext/tab_push.py).
        # (A page load starts with nothing ticked: the route table's on_load also runs
        # InvoiceSelectionState.clear_selection, in the same navigation event.)
        self._watch_here(InvoicesState.refresh)
        return None

    @rx.event
    def refresh(self):
        """Reload the current page of the list (the ledger changed elsewhere)."""
        return self._reload(with_pay_groups=True)

    @rx.event
    def set_status(self, status: str | list[str]):
        chosen = status if isinstance(status, str) and status in FILTER_LABELS else "all"

        def change() -> None:
            self.status = chosen
            self._start_over()

        return self._changed(change)

    @rx.event
    def clear_search(self):
        def change() -> None:
            self.search = ""
            self._start_over()

        return self._changed(change)


class InvoiceSelectionState(RowSelectionMixin, InvoicesState):
    """The ticked rows of the list, kept apart from it: a tick changes this state alone, so
    only what shows the selection renders again (the rows' checkboxes, the callout), not the
    toolbar, pager and table that read InvoicesState (rows and paging are read from it)."""

    MAX_SELECTED: ClassVar[int] = invoices.ZIP_MAX_INVOICES

    @rx.var
    def zip_path(self) -> str:
        # The path only: the page joins it to PortalState.api_base in the browser (api_link.py).
        if not self.selected_ids:
            return ""
        return routes.invoices_zip_url(sorted(self.selected_ids))

    @rx.var
    def pay_selected_href(self) -> str:
        # Recomputed on every event that changes the rows: with nothing ticked (most of them)
        # skip the walk over the rows, each reached through Reflex's proxy (issue 25).
        if not self.selected_ids:
            return ""
        payable = {row.id for row in self.rows if row.is_payable}
        chosen = sorted(i for i in self.selected_ids if i in payable)
        return routes.pay_url(chosen) if chosen else ""


@rx.memo
def _invoice_row(
    row: ObjectVar[InvoiceRowView], selected: rx.Var[bool], epoch: rx.Var[int]
) -> rx.Component:
    """One invoice's row. A memo that gets its row, whether it is selected and the selection's
    epoch as props: ticking a box re-renders that row alone (the rows' data keeps its identity
    when only the selection changes), where a row reading `selected_ids` itself would
    re-render with every tick."""
    return rx.el.tr(
        # The box ticks at once; the server confirms it (or the epoch puts it back).
        quick_select_cell(
            InvoiceSelectionState,
            row.id,
            fill(_("Select invoice %(number)s"), number=row.number),
            selected,
            epoch,
        ),
        rx.el.th(
            row_link(row.number, "/client/invoices/" + row.id.to_string()),
            scope="row",
            class_name=ROW_HEADER_CLASS,
        ),
        # On a phone the row is a card (layout/sidebar.main_area) that keeps both dates.
        row_cell(row_phone_label(_("Date")), row.issue_date, columns=FROM_SM, phone=True),
        row_cell(row_phone_label(_("Due")), row.due_date, columns=FROM_MD, phone=True),
        row_cell(row.amount, columns=f"{FROM_SM} {AT_END}"),
        row_cell(row_phone_label(_("Balance")), row.balance, columns=AT_END),
        # Coloured by the status, the label being in the contact's language.
        row_cell(
            row_status_badge(
                row.status_label,
                rx.cond(row.is_overdue, "overdue", row.status),
                INVOICE_KEY_COLORS,
            )
        ),
        class_name=ROW_CLASS,
        data_testid="invoice-row",
    )


def _table() -> rx.Component:
    return plain_table(
        [
            (visually_hidden(_("Select")), "", "2.5em"),
            (_("Number"), "", ""),
            (_("Date"), FROM_SM, ""),
            (_("Due"), FROM_MD, ""),
            (_("Amount"), f"{FROM_SM} {AT_END}", ""),
            (_("Balance"), AT_END, ""),
            (_("Status"), "", ""),
        ],
        rx.foreach(
            InvoicesState.rows,
            lambda row: _invoice_row(
                row=row,
                selected=is_selected(InvoiceSelectionState, row.id),
                epoch=InvoiceSelectionState.selection_epoch,
            ),
        ),
    )


def _pay_selected() -> rx.Component:
    # Mounted with the selection bar and shown while a payable invoice is ticked: a tick
    # mounts no button (see records.selection_bar). Never in a staff preview.
    return rx.cond(
        ~PortalState.is_preview,
        rx.el.span(
            link_button(
                rx.icon("credit-card", size=16, aria_hidden="true"),
                _("Pay selected"),
                href=InvoiceSelectionState.pay_selected_href,
                link_props={"id": "pay-selected"},
                size="2",
            ),
            hidden=InvoiceSelectionState.pay_selected_href == "",
        ),
    )


def _pay_all(group: PayableGroup) -> rx.Component:
    # Its name is the label it shows (WCAG 2.5.3); how many invoices in which currency is its
    # description.
    return link_button(
        rx.icon("credit-card", size=16, aria_hidden="true"),
        fill(_("Pay all due (%(total)s)"), total=group.total),
        href=f"{routes.CLIENT_PAY}?{routes.PAY_ALL_PARAM}=" + group.currency,
        link_props={"title": InvoicesState.pay_all_labels.get(group.currency, "")},
        variant="solid",
        size="2",
    )


def invoices_page() -> rx.Component:
    return rx.vstack(
        rx.flex(
            page_heading(_("Invoices")),
            rx.spacer(),
            rx.cond(~InvoicesState.unavailable, export_control("invoices", InvoicesState)),
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
            empty_state(
                _("Not available"), _("Your portal does not include invoices."), icon="lock"
            ),
            rx.vstack(
                list_toolbar(
                    InvoicesState,
                    filters=_filter_labels(),
                    filter_label=_("Show invoices"),
                    sorts=_sort_labels(),
                    search_label=_("Search by invoice number"),
                    max_search=invoices.MAX_SEARCH_LENGTH,
                ),
                paged_rows(
                    InvoicesState,
                    _table(),
                    _("Invoices"),
                    empty_state(
                        _("No invoices here"),
                        rx.cond(
                            InvoicesState.search != "",
                            _("No invoice number matches your search."),
                            _("There are no invoices for this filter."),
                        ),
                    ),
                ),
                # After the list, at the window's foot while rows are ticked: a tick moves no
                # row (records.selection_bar).
                selection_bar(InvoiceSelectionState, _pay_selected()),
                width="100%",
                spacing="4",
                align="start",
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
