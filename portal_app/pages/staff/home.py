"""/staff: the console's home, the work queue (what waits for a person), or sign-in.

Each section lists one kind from services.console.work_queue with a link to where it is
handled (a cancellation request is approved or declined on the client's page). Below it, the
dashboard (services.console.dashboard): receivables aged per currency, payments received per
month, overdue invoices and the clients owing most.
"""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import empty_state, page_heading
from portal_app.core.db import session_scope
from portal_app.core.i18n import N_, ngettext
from portal_app.services.company.locale import company_today
from portal_app.services.console import dashboard as dash
from portal_app.services.console.dashboard import (
    AgingRow,
    MonthPoint,
    MonthSeries,
    OverdueRow,
    TopClientRow,
)
from portal_app.services.console.work_queue import QueueItem, work_queue
from portal_app.state.staff import StaffState
from portal_app.state.translate import _, fill

SECTIONS = (
    ("recurring_cancellation", N_("Recurring invoices to stop"), "repeat"),
    ("subscription_cancellation", N_("Subscriptions to cancel"), "calendar-x"),
    ("unapplied_payment", N_("Payments to apply"), "banknote"),
    ("failed_charge", N_("Failed auto-bills and renewals"), "circle-alert"),
    ("quote_answered", N_("Quotes answered today"), "file-check"),
    ("client_upload", N_("Client uploads (last 7 days)"), "upload"),
    ("client_message", N_("Client questions and disputes to answer"), "messages-square"),
)


class StaffHomeState(StaffState):
    items: list[QueueItem] = []
    counts: dict[str, int] = {}
    aging: list[AgingRow] = []
    payments: list[MonthSeries] = []
    overdue: list[OverdueRow] = []
    overdue_count: int = 0
    # "N overdue, most overdue first." as one sentence in the staff user's language.
    overdue_summary: str = ""
    top_clients: list[TopClientRow] = []
    loading: bool = True

    @rx.event
    def on_load(self):
        with session_scope() as db:
            actor = self._begin(db)
            if actor is None:
                return self._staff_login_redirect()
            today = company_today(db, actor.company_id)
            queue = work_queue(db, actor=actor, today=today)
            board = dash.dashboard(db, actor=actor, today=today)
        self.items = queue.items
        self.counts = queue.counts
        self.aging = board.aging
        self.payments = board.payments
        self.overdue = board.overdue
        self.overdue_count = board.overdue_count
        self.overdue_summary = _overdue_summary(board.overdue_count, len(board.overdue))
        self.top_clients = board.top_clients
        self.loading = False


def _overdue_summary(count: int, shown: int) -> str:
    if count > shown:
        return ngettext(
            "%(num)d overdue, the %(shown)d most overdue first.",
            "%(num)d overdue, the %(shown)d most overdue first.",
            count,
        ) % {"num": count, "shown": shown}
    return ngettext(
        "%(num)d overdue, most overdue first.", "%(num)d overdue, most overdue first.", count
    ) % {"num": count}


def _item(item: QueueItem, kind: str) -> rx.Component:
    return rx.cond(
        item.kind == kind,
        rx.table.row(
            rx.table.cell(rx.text(item.title, weight="medium")),
            rx.table.cell(item.client_name),
            rx.table.cell(item.detail),
            rx.table.cell(item.when, white_space="nowrap"),
            rx.table.cell(rx.link(item.action, href=item.href)),
            data_testid="queue-item",
        ),
    )


def _section(kind: str, title: str, icon: str) -> rx.Component:
    count = StaffHomeState.counts.get(kind, 0)
    return rx.cond(
        count > 0,
        rx.vstack(
            rx.hstack(
                rx.icon(icon, size=18, aria_hidden="true"),
                rx.heading(_(title), as_="h2", size="4"),
                rx.badge(count, radius="full"),
                align="center",
                spacing="2",
            ),
            rx.table.root(
                rx.table.body(rx.foreach(StaffHomeState.items, lambda i: _item(i, kind))),
                width="100%",
                variant="surface",
                size="1",
            ),
            width="100%",
            spacing="2",
            data_testid=f"queue-{kind}",
        ),
    )


S = StaffHomeState


def _card(title, *children, test_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, as_="h3", size="3"),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
        data_testid=test_id,
    )


def _scroll(table: rx.Component) -> rx.Component:
    # Wide tables scroll inside their card at 360 px instead of widening the page.
    return rx.box(table, width="100%", overflow_x="auto")


def _aging_row(row: AgingRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.currency),
        rx.foreach(row.amounts, lambda amount: rx.table.cell(amount, white_space="nowrap")),
        rx.table.cell(rx.text(row.total, weight="bold"), white_space="nowrap"),
        data_testid="aging-row",
    )


def _aging() -> rx.Component:
    labels = [_(label) for _key, label, *_rest in dash.BUCKETS]
    return _card(
        _("Receivables by age"),
        rx.text(
            _("Open balances of sent invoices by days past their due date, per currency."),
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            S.aging.length() > 0,
            _scroll(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(x, white_space="nowrap")
                                for x in (_("Currency"), *labels, _("Total"))
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(S.aging, _aging_row)),
                    width="100%",
                    variant="surface",
                    size="1",
                    id="aging-table",
                )
            ),
            rx.text(_("Nothing is owed."), size="2"),
        ),
        test_id="dashboard-aging",
    )


def _bar(point: MonthPoint) -> rx.Component:
    return rx.flex(
        rx.box(
            height=point.percent.to_string() + "%",
            min_height=rx.cond(point.percent > 0, "2px", "0"),
            width="100%",
            background="var(--accent-9)",
            border_radius="3px 3px 0 0",
            title=point.month + ": " + point.amount,
        ),
        rx.text(point.short, size="1", color_scheme="gray", white_space="nowrap"),
        direction="column",
        justify="end",
        align="center",
        gap="1",
        height="100%",
        min_width="0",
    )


def _month_row(point: MonthPoint) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(point.month, white_space="nowrap"),
        rx.table.cell(point.amount, white_space="nowrap", text_align="end"),
        data_testid="payment-month",
    )


def _series(series: MonthSeries) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(series.currency, weight="bold"),
            rx.text(
                fill(_("Total %(amount)s"), amount=series.total), size="2", color_scheme="gray"
            ),
            spacing="3",
            align="baseline",
        ),
        # The bars are a picture of the table below (which screen readers read instead).
        rx.grid(
            rx.foreach(series.points, _bar),
            columns="12",
            gap="1",
            height="140px",
            width="100%",
            aria_hidden="true",
        ),
        rx.el.details(
            rx.el.summary(
                fill(_("Amounts per month in %(currency)s"), currency=series.currency),
                style={"cursor": "pointer", "font_size": "14px"},
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(_("Month")),
                        rx.table.column_header_cell(_("Received"), text_align="end"),
                    )
                ),
                rx.table.body(rx.foreach(series.points, _month_row)),
                variant="surface",
                size="1",
            ),
        ),
        width="100%",
        spacing="2",
        data_testid="payment-series",
        data_currency=series.currency,
    )


def _payments() -> rx.Component:
    return _card(
        _("Payments received per month"),
        rx.text(
            _(
                "Money received in the last 12 months by the month it came in (refunds not "
                "taken off), per currency."
            ),
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            S.payments.length() > 0,
            rx.vstack(rx.foreach(S.payments, _series), width="100%", spacing="5"),
            rx.text(_("No payments in the last 12 months."), size="2"),
        ),
        test_id="dashboard-payments",
    )


def _overdue_row(row: OverdueRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(row.number, href=row.href)),
        rx.table.cell(row.client_name),
        rx.table.cell(row.due, white_space="nowrap"),
        rx.table.cell(row.days.to_string(), text_align="end"),
        rx.table.cell(row.balance, white_space="nowrap", text_align="end"),
        data_testid="overdue-row",
    )


def _overdue() -> rx.Component:
    return _card(
        _("Overdue invoices"),
        rx.cond(
            S.overdue_count > 0,
            rx.vstack(
                rx.text(
                    S.overdue_summary,
                    size="2",
                    color_scheme="gray",
                    id="overdue-count",
                ),
                _scroll(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell(_("Invoice")),
                                rx.table.column_header_cell(_("Client")),
                                rx.table.column_header_cell(_("Due")),
                                rx.table.column_header_cell(_("Days late"), text_align="end"),
                                rx.table.column_header_cell(_("Balance"), text_align="end"),
                            )
                        ),
                        rx.table.body(rx.foreach(S.overdue, _overdue_row)),
                        width="100%",
                        variant="surface",
                        size="1",
                    )
                ),
                width="100%",
                spacing="2",
            ),
            rx.text(_("No invoice is overdue."), size="2"),
        ),
        test_id="dashboard-overdue",
    )


def _top_row(row: TopClientRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(row.client_name, href=row.href)),
        rx.table.cell(row.invoices.to_string(), text_align="end"),
        rx.table.cell(row.balance, white_space="nowrap", text_align="end"),
        data_testid="top-client",
    )


def _top_clients() -> rx.Component:
    return _card(
        _("Clients owing most"),
        rx.text(
            fill(_("Up to %(num)s per currency, by open balance."), num=str(dash.TOP_LIMIT)),
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            S.top_clients.length() > 0,
            _scroll(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(_("Client")),
                            rx.table.column_header_cell(_("Open invoices"), text_align="end"),
                            rx.table.column_header_cell(_("Balance"), text_align="end"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.top_clients, _top_row)),
                    width="100%",
                    variant="surface",
                    size="1",
                )
            ),
            rx.text(_("Nobody owes anything."), size="2"),
        ),
        test_id="dashboard-top-clients",
    )


def _dashboard() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Dashboard"), as_="h2", size="5"),
        _aging(),
        rx.grid(
            _payments(),
            rx.vstack(_overdue(), _top_clients(), spacing="4", width="100%"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        width="100%",
        spacing="4",
        id="dashboard",
    )


def staff_home_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Work queue"), _("What is waiting for someone in the business.")),
        rx.cond(
            StaffHomeState.loading,
            rx.center(rx.spinner(), role="status", padding="3em", aria_label=_("Loading")),
            rx.vstack(
                rx.cond(
                    StaffHomeState.items.length() > 0,
                    rx.vstack(
                        *[_section(*section) for section in SECTIONS], width="100%", spacing="5"
                    ),
                    empty_state(
                        _("Nothing waiting"), _("No request, payment or upload needs you now.")
                    ),
                ),
                _dashboard(),
                width="100%",
                spacing="6",
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
