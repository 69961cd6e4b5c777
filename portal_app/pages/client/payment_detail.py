"""/client/payments/[id]: one payment, what it paid, the credit it used, and its receipt."""

from __future__ import annotations

import dataclasses

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import (
    PAYMENT_KEY_COLORS,
    download_button,
    empty_state,
    keyed_badge,
)
from portal_app.components.records import summary_row
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError
from portal_app.pages.client.documents import attached_documents
from portal_app.schemas.document import DocumentRowView
from portal_app.schemas.payment import PaymentCreditView, PaymentInvoiceView, PaymentView
from portal_app.services.documents import documents
from portal_app.services.payments import payments
from portal_app.state.api_link import api_url_or_empty
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill, pgettext


class PaymentDetailState(PortalState):
    payment: PaymentView | None = None
    not_found: bool = False
    loading: bool = True
    just_paid: bool = False
    attachments: list[DocumentRowView] = []

    @rx.event
    def load(self):
        self.loading = True
        self.payment = None
        self.attachments = []
        self.not_found = False
        # Checkout lands here with ?paid=1 after a successful payment.
        self.just_paid = self.router.url.query_parameters.get("paid") == "1"
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        try:
            payment_id = payments.parse_payment_id(self._path_arg())
            with session_scope() as db:
                view = payments.payment_view(db, actor=actor, payment_id=payment_id)
                self.attachments = documents.record_documents(
                    db, actor=actor, attached_to="payment", record_id=payment_id
                )
            # The logo's server path is for the PDF renderer only, not the browser.
            self.payment = dataclasses.replace(view, logo_path="")
        except NotFoundError:
            self.not_found = True
        self.loading = False
        return None

    @rx.var
    def receipt_path(self) -> str:
        # The path only: the page joins it to PortalState.api_base in the browser (api_link.py).
        if self.payment is None:
            return ""
        return routes.payment_receipt_url(self.payment.id)


def _invoice_row(item: PaymentInvoiceView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.cond(
                item.has_link,
                rx.link(item.number, href="/client/invoices/" + item.invoice_id.to_string()),
                rx.text(item.number),
            )
        ),
        rx.table.cell(item.applied, text_align="end"),
        rx.table.cell(item.refunded, text_align="end"),
    )


def _credit_row(item: PaymentCreditView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.cond(
                item.has_link,
                rx.link(item.number, href="/client/credits/" + item.credit_id.to_string()),
                rx.text(item.number),
            )
        ),
        rx.table.cell(item.amount, text_align="end"),
    )


def _section(title: rx.Var, table: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="4", as_="h2"), table, width="100%", spacing="2", align="start"
    )


def _detail(p: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.heading(fill(_("Payment %(number)s"), number=p.number), size="7", as_="h1"),
                    # Coloured by the status: the label is in the contact's language.
                    keyed_badge(p.status_label, p.status, PAYMENT_KEY_COLORS),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                ),
                rx.text(p.date, " · ", p.method_label, color_scheme="gray"),
                rx.cond(
                    p.transaction_reference != "",
                    rx.text(
                        fill(_("Reference %(reference)s"), reference=p.transaction_reference),
                        color_scheme="gray",
                        size="2",
                    ),
                ),
                spacing="1",
                align="start",
            ),
            rx.spacer(),
            download_button(
                _("Download receipt"),
                api_url_or_empty(PaymentDetailState.receipt_path),
                "download-receipt",
                size="3",
            ),
            width="100%",
            gap="3",
            wrap="wrap",
            align="start",
        ),
        rx.cond(
            p.is_failed,
            callout(
                rx.cond(
                    p.failure_message != "",
                    p.failure_message,
                    _("This payment did not go through; nothing was charged."),
                ),
                icon="circle-alert",
                color_scheme="red",
                width="100%",
                role="alert",
            ),
        ),
        rx.cond(
            p.has_unapplied,
            callout(
                fill(
                    _(
                        "%(amount)s of this payment is not applied to an invoice yet. It stays "
                        "on your account, and you can use it when you pay invoices here."
                    ),
                    amount=p.unapplied,
                ),
                icon="info",
                color_scheme="blue",
                width="100%",
            ),
        ),
        rx.cond(
            p.notes != "",
            rx.text(
                fill(_("Your note: %(note)s"), note=p.notes),
                size="2",
                white_space="pre-wrap",
                id="payment-notes",
            ),
        ),
        rx.cond(
            p.has_refund,
            callout(
                fill(_("%(amount)s of this payment was refunded."), amount=p.refunded),
                icon="undo-2",
                color_scheme="gray",
                width="100%",
            ),
        ),
        rx.cond(
            p.invoices.length() > 0,
            _section(
                _("Invoices paid"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(_("Invoice")),
                            rx.table.column_header_cell(_("Applied"), text_align="end"),
                            rx.table.column_header_cell(
                                pgettext("amount", "Refunded"), text_align="end"
                            ),
                        )
                    ),
                    rx.table.body(rx.foreach(p.invoices, _invoice_row)),
                    width="100%",
                    variant="surface",
                    id="payment-invoices",
                ),
            ),
        ),
        rx.cond(
            p.credits.length() > 0,
            _section(
                _("Credits used"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(_("Credit note")),
                            rx.table.column_header_cell(_("Amount used"), text_align="end"),
                        )
                    ),
                    rx.table.body(rx.foreach(p.credits, _credit_row)),
                    width="100%",
                    variant="surface",
                    id="payment-credits",
                ),
            ),
        ),
        rx.flex(
            rx.spacer(),
            rx.vstack(
                summary_row(_("Amount paid"), p.amount),
                rx.cond(p.has_credit, summary_row(_("Credit used"), p.credit_total)),
                summary_row(_("Applied to invoices"), p.applied),
                rx.cond(p.has_refund, summary_row(pgettext("amount", "Refunded"), p.refunded)),
                rx.cond(p.has_unapplied, summary_row(_("Unapplied"), p.unapplied)),
                rx.separator(),
                summary_row(p.total_label, p.total, strong=True),
                width=["100%", "20em"],
                spacing="2",
                id="payment-totals",
            ),
            width="100%",
        ),
        attached_documents(PaymentDetailState.attachments),
        # The arrow is part of the text: a right-to-left language turns it round.
        rx.link(_("← All payments"), href=routes.CLIENT_PAYMENTS),
        width="100%",
        spacing="4",
        align="start",
    )


def payment_detail_page() -> rx.Component:
    return rx.cond(
        PaymentDetailState.not_found,
        rx.vstack(
            empty_state(
                _("Payment not found"),
                _("There is no payment at this address in your account."),
                icon="file-question",
            ),
            rx.link(_("← All payments"), href=routes.CLIENT_PAYMENTS),
            align="center",
            width="100%",
        ),
        rx.cond(
            PaymentDetailState.payment,
            rx.vstack(
                rx.cond(
                    PaymentDetailState.just_paid,
                    callout(
                        _("Thank you, your payment was received."),
                        icon="circle-check",
                        color_scheme="green",
                        role="status",
                        width="100%",
                        id="payment-thanks",
                    ),
                ),
                _detail(PaymentDetailState.payment.to(PaymentView)),
                width="100%",
                spacing="4",
            ),
            rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
        ),
    )
