"""Pieces shared by the invoice and credit detail pages: title block, parties, lines, totals.
Their labels are in the contact's language (`_()`, docs/extending.md "Languages")."""

from __future__ import annotations

import reflex as rx

from portal_app.components.not_found import not_found_panel
from portal_app.components.records import AT_END, FROM_SM, ROW_CLASS, plain_table, row_cell
from portal_app.core.i18n import N_
from portal_app.schemas.invoice import InvoiceLineView
from portal_app.state.translate import _

# What record_page says when the record is not the client's (or does not exist), per noun:
# the title, the sentence and the link back; whole sentences, translated where shown.
_NOT_FOUND = {
    "Invoice": (
        N_("Invoice not found"),
        N_("There is no invoice at this address in your account."),
        N_("All invoices"),
    ),
    "Quote": (
        N_("Quote not found"),
        N_("There is no quote at this address in your account."),
        N_("All quotes"),
    ),
    "Credit": (
        N_("Credit note not found"),
        N_("There is no credit note at this address in your account."),
        N_("All credits"),
    ),
    "Subscription": (
        N_("Subscription not found"),
        N_("There is no subscription at this address in your account."),
        N_("All subscriptions"),
    ),
    "Recurring invoice": (
        N_("Recurring invoice not found"),
        N_("There is no recurring invoice at this address in your account."),
        N_("All recurring invoices"),
    ),
}


def detail_header(title: rx.Component, badge: rx.Component, *details, actions) -> rx.Component:
    """The h1 title and status badge, `details` lines under it, and `actions` at the end."""
    return rx.flex(
        rx.vstack(
            rx.hstack(title, badge, align="center", spacing="3", wrap="wrap"),
            *details,
            spacing="1",
            align="start",
        ),
        rx.spacer(),
        actions,
        width="100%",
        gap="3",
        wrap="wrap",
        align="start",
    )


def party_block(title: str | rx.Var, party) -> rx.Component:
    """A small caption over a party's name and address lines."""
    return rx.vstack(
        rx.text(title, size="1", color_scheme="gray", weight="medium", trim="both"),
        rx.text(party.name, weight="bold"),
        rx.foreach(party.lines, lambda line: rx.text(line, size="2")),
        spacing="1",
        align="start",
    )


def parties_card(company, company_title, client, client_title) -> rx.Component:
    """The company and client blocks side by side (stacked on a phone); the titles are
    translated texts (`_("Bill to")`)."""
    return rx.card(
        rx.grid(
            party_block(company_title, company),
            party_block(client_title, client),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="4",
            width="100%",
        ),
        width="100%",
    )


def _line(line: InvoiceLineView) -> rx.Component:
    return rx.el.tr(
        row_cell(line.description),
        row_cell(line.quantity, columns=AT_END),
        row_cell(line.unit_price, columns=f"{FROM_SM} {AT_END}"),
        row_cell(line.tax, columns=FROM_SM),
        row_cell(line.net, columns=AT_END),
        class_name=ROW_CLASS,
    )


def lines_table(lines) -> rx.Component:
    """The document's lines; unit price and tax are hidden on a phone. A plain table with
    Radix's classes (records.plain_table): `rx.table.root` is a Radix ScrollArea that measures
    itself and renders again after mounting, and every Radix cell is a component sorting its
    props per render; the same look in fewer components."""
    return plain_table(
        [
            (_("Description"), "", ""),
            (_("Qty"), AT_END, ""),
            (_("Unit price"), f"{FROM_SM} {AT_END}", ""),
            (_("Tax"), FROM_SM, ""),
            (_("Amount"), AT_END, ""),
        ],
        rx.foreach(lines, _line),
    )


def totals_box(*rows: rx.Component, element_id: str) -> rx.Component:
    """summary_row()s stacked at the end of the line (full width on a phone)."""
    return rx.flex(
        rx.spacer(),
        rx.vstack(*rows, width=["100%", "20em"], spacing="2", id=element_id),
        width="100%",
    )


def record_page(not_found, record, detail: rx.Component, *, noun: str, back_href: str):
    """'<Noun> not found' with a link back (the 404 page's look), the detail once `record` is
    loaded, else a spinner. `noun` is one of _NOT_FOUND's (its texts are translated)."""
    title, message, back_label = _NOT_FOUND[noun]
    return rx.cond(
        not_found,
        not_found_panel(_(title), _(message), back_label=_(back_label), back_href=back_href),
        rx.cond(
            record,
            detail,
            rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
        ),
    )
