"""/client/invoices/[id]: one invoice with lines, taxes, totals and its PDF."""

from __future__ import annotations

import dataclasses

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import (
    download_button,
    link_button,
    plain_text,
    status_badge,
)
from portal_app.components.document_thread import document_thread
from portal_app.components.documents import (
    detail_header,
    lines_table,
    parties_card,
    record_page,
    totals_box,
)
from portal_app.components.records import (
    AT_END,
    FROM_SM,
    ROW_CLASS,
    plain_table,
    row_badge,
    row_cell,
    row_link,
    summary_row,
)
from portal_app.core import routes
from portal_app.core.errors import NotFoundError
from portal_app.pages.client.documents import DocumentsState, attached_documents
from portal_app.reflex_ext.page_load import load_reads
from portal_app.schemas.document import DocumentRowView
from portal_app.schemas.invoice import InvoiceView
from portal_app.services.billing import invoices
from portal_app.services.documents import documents, threads
from portal_app.state.api_link import api_url_or_empty
from portal_app.state.document_thread import DocumentThreadState
from portal_app.state.portal import PortalState
from portal_app.state.read_scope import read_scope
from portal_app.state.translate import _, fill, pgettext


def _for_browser(view: InvoiceView) -> InvoiceView:
    """The view without what only the PDF uses: the logo's server path, the e-invoice data
    and the QR payloads (the page loads the codes as images). A state var is kept in Redis
    and sent to the browser on every change, and these were half of it (issue 25)."""
    return dataclasses.replace(view, logo_path="", einvoice=None, payment_qr="", swiss_qr="")


# The load reads the question thread's state: it comes with the navigation's first Redis read.
@load_reads(DocumentThreadState)
class InvoiceDetailState(PortalState):
    invoice: InvoiceView | None = None
    not_found: bool = False
    loading: bool = True
    attachments: list[DocumentRowView] = []

    @rx.event
    async def load(self):
        self.loading = True
        self.invoice = None
        self.attachments = []
        self.not_found = False
        # The question thread comes with the invoice, in this event's update: one render of
        # the page's content, not a round trip and a render of its own after it (issue 23).
        thread = await self.get_state(DocumentThreadState)
        # Not the thread of the invoice shown before, whatever this load finds.
        thread._clear()
        try:
            # One database session for the session check and the page, without BEGIN and
            # COMMIT on PostgreSQL (state/read_scope.py): it reads, and its one write, the
            # view record, is a single statement there (invoices.record_view).
            with read_scope() as db:
                actor = self._begin(db)
                if actor is None:
                    return self._login_redirect()
                invoice_id = invoices.parse_invoice_id(self._path_arg())
                # The ledger stamp (the watch's starting point) comes with the invoice, in
                # its statement: one round trip fewer than `_note_ledger` (issue 25); so do
                # whether it has files and its thread, which most invoices have not: then
                # no statement for either.
                opened = invoices.open_invoice_with_stamp(db, actor=actor, invoice_id=invoice_id)
                self._watch_seen = opened.stamp
                self.invoice = _for_browser(opened.view)
                if opened.may_have_files:
                    self.attachments = documents.invoice_documents(
                        db, actor=actor, invoice_id=invoice_id
                    )
                view = threads.client_thread_of(
                    db,
                    actor=actor,
                    document_type="invoice",
                    document=opened.invoice,
                    thread=opened.thread,
                )
                thread._show("invoice", invoice_id, view)
        except NotFoundError:
            self.not_found = True
            self.loading = False
            return None
        self.loading = False
        # A payment that lands elsewhere refreshes this page (reflex_ext/tab_push.py).
        self._watch_here(InvoiceDetailState.refresh)
        return None

    @rx.event
    def refresh(self):
        """Show the invoice's new balance and status after a change made elsewhere."""
        if self.invoice is None:
            return None
        try:
            # Only reads: no BEGIN and COMMIT on PostgreSQL (state/read_scope.py), and the
            # session check in the same database session.
            with read_scope() as db:
                actor = self._actor(db)
                if actor is None:
                    return None
                view = invoices.invoice_page_view(db, actor=actor, invoice_id=self.invoice.id)
        except NotFoundError:
            self.not_found = True
            return None
        self.invoice = _for_browser(view)
        return None

    @rx.var
    def pdf_path(self) -> str:
        # The path only: the page joins it to PortalState.api_base in the browser (api_link.py).
        if self.invoice is None:
            return ""
        return routes.invoice_pdf_url(self.invoice.id)

    @rx.var
    def ubl_path(self) -> str:
        if self.invoice is None:
            return ""
        return routes.invoice_ubl_url(self.invoice.id)


def _detail(inv: rx.Var) -> rx.Component:
    return rx.vstack(
        detail_header(
            rx.heading(fill(_("Invoice %(number)s"), number=inv.number), size="7", as_="h1"),
            # Coloured by the status itself: the label is in the contact's language.
            status_badge(inv.status_label, key=rx.cond(inv.is_overdue, "overdue", inv.status)),
            rx.text(
                fill(
                    _("Issued %(issued)s · Due %(due)s"),
                    issued=inv.issue_date,
                    due=inv.due_date,
                ),
                color_scheme="gray",
            ),
            rx.cond(
                inv.po_number != "",
                rx.text(fill(_("PO %(number)s"), number=inv.po_number), color_scheme="gray"),
            ),
            actions=rx.hstack(
                rx.cond(
                    inv.is_payable & ~PortalState.is_preview,
                    link_button(
                        rx.icon("credit-card", size=16, aria_hidden="true"),
                        _("Pay now"),
                        href="/client/pay?invoices=" + inv.id.to_string(),
                        link_props={"id": "pay-now"},
                        size="3",
                    ),
                ),
                download_button(
                    _("Download PDF"),
                    api_url_or_empty(InvoiceDetailState.pdf_path),
                    "download-pdf",
                    size="3",
                ),
                rx.cond(
                    inv.einvoice_format == "xml",
                    download_button(
                        _("Download e-invoice (XML)"),
                        api_url_or_empty(InvoiceDetailState.ubl_path),
                        "download-ubl",
                        size="3",
                    ),
                ),
                spacing="2",
                wrap="wrap",
            ),
        ),
        rx.cond(
            inv.partial != "",
            callout(
                fill(
                    _("A deposit of %(amount)s is due by %(date)s."),
                    amount=inv.partial,
                    date=inv.partial_due_date,
                ),
                icon="info",
                color_scheme="blue",
                width="100%",
            ),
        ),
        parties_card(inv.company, pgettext("document sender", "From"), inv.client, _("Bill to")),
        lines_table(inv.lines),
        totals_box(
            summary_row(_("Subtotal"), inv.subtotal),
            rx.foreach(inv.taxes, lambda tax: summary_row(tax[0], tax[1])),
            summary_row(_("Total"), inv.total, strong=True),
            summary_row(_("Paid to date"), inv.paid_to_date),
            rx.separator(),
            summary_row(_("Balance due"), inv.balance, strong=True),
            element_id="invoice-totals",
        ),
        rx.cond(inv.payments.length() > 0, _payments(inv)),
        rx.cond(inv.payment_qr_src != "", _payment_qr(inv)),
        rx.cond(inv.swiss_qr_svg != "", _swiss_qr_bill(inv)),
        rx.cond(inv.pay_link_qr_src != "", _pay_link_qr(inv)),
        rx.cond(inv.public_notes != "", rx.text(inv.public_notes, size="2")),
        rx.cond(
            inv.terms != "",
            rx.vstack(
                rx.heading(_("Terms"), size="3", as_="h2"),
                rx.text(inv.terms, size="2", color_scheme="gray", white_space="pre-wrap"),
                spacing="1",
                align="start",
            ),
        ),
        attached_documents(InvoiceDetailState.attachments),
        document_thread("invoice", inv.id, DocumentsState.download, load_on_mount=False),
        # The arrow is part of the text: a right-to-left language turns it round.
        rx.link(_("← All invoices"), href=routes.CLIENT_INVOICES),
        width="100%",
        spacing="4",
        align="start",
    )


# `rx.vstack(spacing="1", align="end")`'s classes: the payments table is plain elements
# (records.plain_table), as documents.lines_table.
_AMOUNT_STACK_CLASS = "rt-Flex rx-Stack rt-r-fd-column rt-r-ai-end rt-r-gap-1"


def _payment_row(p: rx.Var) -> rx.Component:
    return rx.el.tr(
        row_cell(
            rx.cond(
                p.href != "",
                row_link(p.number, p.href, weight="regular"),
                plain_text(p.number),
            ),
        ),
        row_cell(p.date),
        row_cell(p.method, columns=FROM_SM),
        row_cell(
            rx.el.div(
                plain_text(
                    p.amount,
                    style={"text_decoration": rx.cond(p.is_refunded, "line-through", "none")},
                ),
                rx.cond(
                    p.refunded != "",
                    row_badge(
                        rx.fragment(
                            rx.cond(p.is_refunded, _("Refunded"), _("Partly refunded")),
                            " ",
                            p.refunded,
                        ),
                        "gray",
                        quiet=True,
                    ),
                ),
                class_name=_AMOUNT_STACK_CLASS,
            ),
            columns=AT_END,
        ),
        class_name=ROW_CLASS,
    )


def _payments(inv: rx.Var) -> rx.Component:
    """The payments and credits that paid this invoice, each linking to its own page."""
    return rx.vstack(
        rx.heading(_("Payments and credits"), size="4", as_="h2"),
        plain_table(
            [
                (_("Payment or credit"), "", ""),
                (_("Paid on"), "", ""),
                (_("Paid with"), FROM_SM, ""),
                (_("Applied to this invoice"), AT_END, ""),
            ],
            rx.foreach(inv.payments, _payment_row),
            id="invoice-payments",
        ),
        width="100%",
        spacing="2",
        align="start",
    )


def _qr_block(
    src: rx.Var, element_id: str, label: str, title: str, text: str, **props
) -> rx.Component:
    """A QR code beside its heading and what scanning it does."""
    return rx.hstack(
        # An image from our own origin (api/routes.invoice_qr): drawn only when shown (never
        # when hidden on a phone: lazy), kept by the browser, and not in the page's state.
        rx.box(
            rx.image(
                src=src, alt=label, width="140px", height="140px", loading="lazy", display="block"
            ),
            id=element_id,
            width="140px",
            flex_shrink="0",
        ),
        rx.vstack(
            rx.heading(title, size="3", as_="h2"),
            rx.text(text, size="2", color_scheme="gray"),
            spacing="1",
            align="start",
        ),
        spacing="4",
        align="center",
        **props,
    )


def _payment_qr(inv: rx.Var) -> rx.Component:
    """The EPC QR code (GiroCode) for paying the balance by bank transfer."""
    return _qr_block(
        inv.payment_qr_src,
        "payment-qr",
        _("Payment QR code"),
        _("Pay by bank transfer"),
        _(
            "Scan this code with your banking app (EPC QR / GiroCode): the IBAN, the "
            "amount and the invoice number are filled in."
        ),
    )


def _pay_link_qr(inv: rx.Var) -> rx.Component:
    """The QR code that opens this invoice on a phone to pay it there (hidden on a phone)."""
    return _qr_block(
        inv.pay_link_qr_src,
        "pay-link-qr",
        _("QR code that opens this invoice"),
        _("Pay on your phone"),
        _("Scan this code with your phone to open this invoice and pay it there."),
        display=["none", "flex"],
    )


def _swiss_qr_bill(inv: rx.Var) -> rx.Component:
    """The Swiss QR-bill receipt and payment part (qrbill's SVG: its texts escaped)."""
    return rx.vstack(
        rx.heading(_("Pay by bank transfer"), size="3", as_="h2"),
        rx.text(
            _("Scan the QR code in the payment part with your banking app."),
            size="2",
            color_scheme="gray",
        ),
        rx.box(
            rx.html(inv.swiss_qr_svg),
            id="swiss-qr-bill",
            role="img",
            aria_label=_("Swiss QR-bill payment part"),
            width="100%",
            max_width="720px",
            background="white",
            border="1px solid var(--gray-6)",
            style={"& svg": {"width": "100%", "height": "auto"}},
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def invoice_detail_page() -> rx.Component:
    return record_page(
        InvoiceDetailState.not_found,
        InvoiceDetailState.invoice,
        _detail(InvoiceDetailState.invoice.to(InvoiceView)),
        noun="Invoice",
        back_href=routes.CLIENT_INVOICES,
    )
