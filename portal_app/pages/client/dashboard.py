"""/client/dashboard: balances per currency and what needs attention."""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import empty_state, page_heading, plain_text
from portal_app.components.records import (
    AT_END,
    ROW_CLASS,
    plain_table,
    row_badge,
    row_cell,
    row_link,
)
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.i18n import gettext, ngettext
from portal_app.services.billing import invoices, quotes
from portal_app.services.billing.invoices import AttentionItem, CurrencyTotals
from portal_app.services.identity import auth
from portal_app.state.portal import PortalState
from portal_app.state.translate import _


class DashboardState(PortalState):
    totals: list[CurrencyTotals] = []
    attention: list[AttentionItem] = []
    loaded: bool = False
    pending_quotes: int = 0
    # Sentences with a name or a number, built on the server in the contact's language.
    welcome: str = ""
    pending_quotes_text: str = ""

    @rx.event
    def load(self):
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        with session_scope() as db:
            view = invoices.dashboard(db, actor=actor)
            self.pending_quotes = quotes.pending_count(db, actor=actor)
            first = auth.is_first_sign_in(db, actor=actor)
        self.totals = view.totals
        self.attention = view.attention
        welcome = gettext("Welcome, %(name)s") if first else gettext("Welcome back, %(name)s")
        self.welcome = welcome % {"name": self.contact_name}
        self.pending_quotes_text = ngettext(
            "%(num)d quote is waiting for your answer.",
            "%(num)d quotes are waiting for your answer.",
            self.pending_quotes,
        ) % {"num": self.pending_quotes}
        self.loaded = True


# The currency cards as plain elements with Radix's classes (components/common.plain_text):
# the same look, without a component and emotion rule per text, stack and card.
STAT_CLASS = "rt-Flex rx-Stack rt-r-fd-column rt-r-ai-start rt-r-gap-1"


def _stat(label: str, value, color=None) -> rx.Component:
    return rx.el.div(
        plain_text(label, size="2", color="gray"),
        plain_text(
            value, size="6", weight="bold", **({} if color is None else {"style": {"color": color}})
        ),
        class_name=STAT_CLASS,
    )


def _currency_card(total: CurrencyTotals) -> rx.Component:
    # Radix's card (size 1, surface) and outline badge as their elements and classes, as wide
    # as the column (what width="100%" did).
    return rx.el.div(
        rx.vstack(
            rx.el.span(
                total.currency,
                class_name="rt-reset rt-Badge rt-r-size-1 rt-variant-outline rt-high-contrast",
            ),
            rx.grid(
                _stat(_("Open balance"), total.open_balance),
                _stat(
                    _("Overdue"),
                    total.overdue,
                    rx.cond(total.has_overdue, rx.color("red", 11), rx.color("gray", 12)),
                ),
                _stat(_("Paid to date"), total.paid_to_date),
                columns=rx.breakpoints(initial="1", sm="3"),
                spacing="4",
                width="100%",
            ),
            spacing="3",
        ),
        class_name="rt-reset rt-BaseCard rt-Card rt-r-size-1 rt-variant-surface rt-r-as-stretch",
    )


def _attention_row(item: AttentionItem) -> rx.Component:
    # Plain cells, the router's link and a plain badge with Radix's classes
    # (components/records.py): the same look for a fraction of a Radix table's first render.
    return rx.el.tr(
        row_cell(row_link(item.number, "/client/invoices/" + item.id.to_string())),
        row_cell(row_badge(item.reason, rx.cond(item.overdue, "red", "amber"))),
        row_cell(item.due_date),
        row_cell(item.balance, columns=AT_END),
        class_name=ROW_CLASS,
    )


def dashboard_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Dashboard"), DashboardState.welcome),
        rx.cond(
            DashboardState.totals.length() > 0,
            rx.vstack(rx.foreach(DashboardState.totals, _currency_card), width="100%", spacing="3"),
            rx.cond(
                DashboardState.loaded,
                empty_state(
                    _("Nothing billed yet"), _("Your invoices will appear here once sent.")
                ),
            ),
        ),
        rx.cond(
            DashboardState.pending_quotes > 0,
            rx.link(
                rx.callout(
                    DashboardState.pending_quotes_text,
                    icon="file-pen-line",
                    color_scheme="blue",
                    high_contrast=True,
                    width="100%",
                ),
                href=routes.CLIENT_QUOTES + "?status=pending",
                underline="none",
                width="100%",
                id="pending-quotes",
            ),
        ),
        rx.heading(_("Needs attention"), size="5", as_="h2", margin_top="1em"),
        rx.cond(
            DashboardState.attention.length() > 0,
            plain_table(
                [
                    (_("Invoice"), "", ""),
                    (_("Status"), "", ""),
                    (_("Due"), "", ""),
                    (_("Balance"), AT_END, ""),
                ],
                rx.foreach(DashboardState.attention, _attention_row),
            ),
            rx.text(
                _("No overdue or soon-due invoices. You're all caught up."), color_scheme="gray"
            ),
        ),
        rx.link(
            _("See all invoices"),
            # The arrow points the way the page reads.
            rx.cond(PortalState.text_dir == "rtl", " ←", " →"),
            href=routes.CLIENT_INVOICES,
        ),
        width="100%",
        align="start",
        spacing="3",
    )
