"""Pieces shared by the invoice and credit detail pages: title block, parties, lines, totals."""

from __future__ import annotations

import reflex as rx

from portal_app.components.not_found import not_found_panel
from portal_app.schemas.invoice import InvoiceLineView


def detail_header(title: rx.Component, badge: rx.Component, *details, actions) -> rx.Component:
    """The h1 title and status badge, `details` lines under it, and `actions` on the right."""
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


def party_block(title: str, party) -> rx.Component:
    """A small caption over a party's name and address lines."""
    return rx.vstack(
        rx.text(title, size="1", color_scheme="gray", weight="medium", trim="both"),
        rx.text(party.name, weight="bold"),
        rx.foreach(party.lines, lambda line: rx.text(line, size="2")),
        spacing="1",
        align="start",
    )


def parties_card(company, company_title: str, client, client_title: str) -> rx.Component:
    """The company and client blocks side by side (stacked on a phone)."""
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
    return rx.table.row(
        rx.table.cell(line.description),
        rx.table.cell(line.quantity, text_align="right"),
        rx.table.cell(line.unit_price, text_align="right", display=["none", "table-cell"]),
        rx.table.cell(line.tax, display=["none", "table-cell"]),
        rx.table.cell(line.net, text_align="right"),
    )


def lines_table(lines) -> rx.Component:
    """The document's lines; unit price and tax are hidden on a phone."""
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Description"),
                rx.table.column_header_cell("Qty", text_align="right"),
                rx.table.column_header_cell(
                    "Unit price", text_align="right", display=["none", "table-cell"]
                ),
                rx.table.column_header_cell("Tax", display=["none", "table-cell"]),
                rx.table.column_header_cell("Amount", text_align="right"),
            )
        ),
        rx.table.body(rx.foreach(lines, _line)),
        width="100%",
        variant="surface",
    )


def totals_box(*rows: rx.Component, element_id: str) -> rx.Component:
    """summary_row()s stacked on the right (full width on a phone)."""
    return rx.flex(
        rx.spacer(),
        rx.vstack(*rows, width=["100%", "20em"], spacing="2", id=element_id),
        width="100%",
    )


def record_page(not_found, record, detail: rx.Component, *, noun: str, back_href: str):
    """'<Noun> not found' with a link back (the 404 page's look), the detail once `record` is
    loaded, else a spinner."""
    return rx.cond(
        not_found,
        not_found_panel(
            f"{noun} not found",
            f"There is no {noun.lower()} at this address in your account.",
            back_label=f"All {noun.lower()}s",
            back_href=back_href,
        ),
        rx.cond(
            record,
            detail,
            rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
        ),
    )
