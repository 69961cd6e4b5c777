"""/client/credits/[id]: one credit note with its lines, totals, where it was used, and PDF."""

from __future__ import annotations

import dataclasses

import reflex as rx

from portal_app.components.common import CREDIT_KEY_COLORS, download_button, keyed_badge
from portal_app.components.documents import (
    detail_header,
    lines_table,
    parties_card,
    record_page,
    totals_box,
)
from portal_app.components.records import summary_row
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError
from portal_app.pages.client.documents import attached_documents
from portal_app.schemas.credit import CreditUseView, CreditView
from portal_app.schemas.document import DocumentRowView
from portal_app.services.billing import credits
from portal_app.services.documents import documents
from portal_app.state.api_link import api_url_or_empty
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill, pgettext


class CreditDetailState(PortalState):
    credit: CreditView | None = None
    not_found: bool = False
    loading: bool = True
    attachments: list[DocumentRowView] = []

    @rx.event
    def load(self):
        self.loading = True
        self.credit = None
        self.attachments = []
        self.not_found = False
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        try:
            credit_id = credits.parse_credit_id(self._path_arg())
            with session_scope() as db:
                view = credits.credit_view(db, actor=actor, credit_id=credit_id)
                self.attachments = documents.record_documents(
                    db, actor=actor, attached_to="credit", record_id=credit_id
                )
            # The logo's server path is for the PDF renderer only, not the browser.
            self.credit = dataclasses.replace(view, logo_path="")
        except NotFoundError:
            self.not_found = True
        self.loading = False
        return None

    @rx.var
    def pdf_path(self) -> str:
        # The path only: the page joins it to PortalState.api_base in the browser (api_link.py).
        if self.credit is None:
            return ""
        return routes.credit_pdf_url(self.credit.id)


def _use(use: CreditUseView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.cond(
                use.has_invoice_link,
                rx.link(use.invoice_number, href="/client/invoices/" + use.invoice_id.to_string()),
                rx.text(use.invoice_number),
            )
        ),
        rx.table.cell(
            rx.cond(
                use.payment_id > 0,
                rx.link(use.payment_number, href="/client/payments/" + use.payment_id.to_string()),
                rx.text(use.payment_number),
            ),
            display=["none", "table-cell"],
        ),
        rx.table.cell(use.date, white_space="nowrap"),
        rx.table.cell(use.amount, text_align="end"),
    )


def _detail(c: rx.Var) -> rx.Component:
    return rx.vstack(
        detail_header(
            rx.heading(fill(_("Credit note %(number)s"), number=c.number), size="7", as_="h1"),
            # Coloured by the status: the label is in the contact's language.
            keyed_badge(c.status_label, c.status, CREDIT_KEY_COLORS),
            rx.text(fill(_("Issued %(date)s"), date=c.issue_date), color_scheme="gray"),
            actions=download_button(
                _("Download PDF"),
                api_url_or_empty(CreditDetailState.pdf_path),
                "download-pdf",
                size="3",
            ),
        ),
        parties_card(c.company, pgettext("document sender", "From"), c.client, _("Credit to")),
        lines_table(c.lines),
        totals_box(
            summary_row(_("Subtotal"), c.subtotal),
            rx.foreach(c.taxes, lambda tax: summary_row(tax[0], tax[1])),
            summary_row(_("Total credit"), c.total, strong=True),
            summary_row(pgettext("credit amount", "Used"), c.used),
            rx.separator(),
            summary_row(_("Remaining"), c.balance, strong=True),
            element_id="credit-totals",
        ),
        rx.cond(
            c.uses.length() > 0,
            rx.vstack(
                rx.heading(_("Where it was used"), size="4", as_="h2"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(_("Invoice")),
                            rx.table.column_header_cell(
                                _("Payment"), display=["none", "table-cell"]
                            ),
                            rx.table.column_header_cell(_("Date")),
                            rx.table.column_header_cell(_("Amount"), text_align="end"),
                        )
                    ),
                    rx.table.body(rx.foreach(c.uses, _use)),
                    width="100%",
                    variant="surface",
                    id="credit-uses",
                ),
                width="100%",
                spacing="2",
                align="start",
            ),
        ),
        rx.cond(c.public_notes != "", rx.text(c.public_notes, size="2", white_space="pre-wrap")),
        attached_documents(CreditDetailState.attachments),
        # The arrow is part of the text: a right-to-left language turns it round.
        rx.link(_("← All credits"), href=routes.CLIENT_CREDITS),
        width="100%",
        spacing="4",
        align="start",
    )


def credit_detail_page() -> rx.Component:
    return record_page(
        CreditDetailState.not_found,
        CreditDetailState.credit,
        _detail(CreditDetailState.credit.to(CreditView)),
        noun="Credit",
        back_href=routes.CLIENT_CREDITS,
    )
