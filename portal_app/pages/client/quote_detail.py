"""/client/quotes/[id]: one quote with lines, totals, documents and PDF; approve or decline."""

from __future__ import annotations

import dataclasses

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import QUOTE_KEY_COLORS, download_button, keyed_badge
from portal_app.components.document_thread import document_thread
from portal_app.components.documents import (
    detail_header,
    lines_table,
    parties_card,
    record_page,
    totals_box,
)
from portal_app.components.quote_approval import (
    approval_dialog,
    decline_dialog,
)
from portal_app.components.records import summary_row
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext, use_language
from portal_app.pages.client.documents import DocumentsState, attached_documents
from portal_app.schemas.document import DocumentRowView
from portal_app.schemas.quote import QuoteView
from portal_app.services.billing import quotes
from portal_app.services.documents import documents
from portal_app.state.api_link import api_url_or_empty
from portal_app.state.portal import PortalState
from portal_app.state.quote_approval import QuoteApprovalMixin
from portal_app.state.signature_pad import INSTALL_PAD_SCRIPT
from portal_app.state.translate import _, fill, pgettext


class QuoteDetailState(QuoteApprovalMixin, PortalState):
    quote: QuoteView | None = None
    not_found: bool = False
    loading: bool = True
    attachments: list[DocumentRowView] = []
    notice: str = ""
    decline_open: bool = False
    decline_reason: str = ""
    decline_error: str = ""

    def _fetch(self, actor, quote_id: int, *, record: bool) -> None:
        with session_scope() as db:
            view = quotes.quote_view(db, actor=actor, quote_id=quote_id)
            if record:
                quote = quotes.get_client_quote(db, actor=actor, quote_id=quote_id)
                quotes.record_view(db, actor=actor, quote=quote)
            self.attachments = documents.record_documents(
                db, actor=actor, attached_to="quote", record_id=quote_id
            )
        # The logo's server path is for the PDF renderer only, not the browser.
        self.quote = dataclasses.replace(view, logo_path="")

    @rx.event
    def load(self):
        self.loading = True
        self.quote = None
        self.attachments = []
        self.not_found = False
        self.notice = ""
        self.decline_open = False
        self._close_approval()
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        try:
            quote_id = quotes.parse_quote_id(self._path_arg())
            self._fetch(actor, quote_id, record=True)
            self._load_rules(actor)
        except NotFoundError:
            self.not_found = True
            self.loading = False
            return None
        self.loading = False
        return rx.call_script(INSTALL_PAD_SCRIPT)

    @rx.var
    def pdf_path(self) -> str:
        # The path only: the page joins it to PortalState.api_base in the browser (api_link.py).
        if self.quote is None:
            return ""
        return routes.quote_pdf_url(self.quote.id)

    # -- approve ------------------------------------------------------------------------------

    @rx.event
    def open_approve(self):
        if self.quote is None or not self.quote.is_approvable or self.is_preview:
            return
        self.notice = ""
        self._open_approval([self.quote.id], self.quote.total)

    @rx.event
    def confirm_approve(self):
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        result = self._approve(actor, self.router.headers.user_agent or "")
        if result is None:
            return None
        if len(result.invoice_ids) == 1:
            # Straight on to paying the invoice the quote became.
            return rx.redirect(routes.pay_url(result.invoice_ids))
        with use_language(self.lang):
            self.notice = gettext("Quote approved. Thank you!")
        try:
            self._fetch(actor, result.quote_ids[0], record=False)
        except NotFoundError:
            self.not_found = True
        return None

    # -- decline ------------------------------------------------------------------------------

    @rx.event
    def open_decline(self):
        if self.quote is None or not self.quote.is_declinable or self.is_preview:
            return
        self.decline_reason = ""
        self.decline_error = ""
        self.decline_open = True

    @rx.event
    def set_decline_open(self, is_open: bool):
        self.decline_open = is_open is True and self.decline_open

    @rx.event
    def set_decline_reason(self, value: str):
        self.decline_reason = str(value or "")[: quotes.MAX_DECLINE_REASON + 1]
        self.decline_error = ""

    @rx.event
    def confirm_decline(self):
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        if self.quote is None:
            return None
        try:
            with session_scope() as db:
                quotes.decline_quote(
                    db, actor=actor, quote_id=self.quote.id, reason=self.decline_reason
                )
        except NotFoundError:
            self.not_found = True
            self.decline_open = False
            return None
        except ReadOnlyError:
            self.decline_error = self._said(N_("A staff preview cannot decline quotes."))
            return None
        except ValidationError as exc:
            self.decline_error = exc.message
            return None
        self.decline_open = False
        # Staff are not e-mailed (they find it in their work queue): say only what happened.
        with use_language(self.lang):
            self.notice = gettext("Quote declined.")
        self._fetch(actor, self.quote.id, record=False)
        return None


def _actions(q: rx.Var) -> rx.Component:
    can_answer = ~PortalState.is_preview
    return rx.hstack(
        rx.cond(
            q.is_approvable & can_answer,
            rx.button(
                rx.icon("check", size=16, aria_hidden="true"),
                _("Approve"),
                on_click=QuoteDetailState.open_approve,
                size="3",
                id="approve-quote",
            ),
        ),
        rx.cond(
            q.is_declinable & can_answer,
            rx.button(
                _("Decline"),
                on_click=QuoteDetailState.open_decline,
                variant="soft",
                color_scheme="gray",
                size="3",
                id="decline-quote",
            ),
        ),
        download_button(
            _("Download PDF"),
            api_url_or_empty(QuoteDetailState.pdf_path),
            "download-pdf",
            size="3",
        ),
        spacing="2",
        wrap="wrap",
    )


def _outcome(q: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.cond(
            QuoteDetailState.notice != "",
            callout(
                QuoteDetailState.notice,
                icon="circle-check",
                color_scheme="green",
                role="status",
                width="100%",
            ),
        ),
        rx.cond(
            q.is_approvable & PortalState.is_preview,
            callout(
                _("Staff preview: approving and declining are switched off."),
                icon="eye",
                color_scheme="blue",
                width="100%",
            ),
        ),
        rx.cond(
            q.invoice_id > 0,
            callout(
                rx.hstack(
                    rx.text(
                        fill(
                            _("Approved on %(date)s. An invoice was created from this quote:"),
                            date=q.approved_on,
                        )
                    ),
                    rx.link(
                        fill(_("Invoice %(number)s"), number=q.invoice_number),
                        href="/client/invoices/" + q.invoice_id.to_string(),
                    ),
                    rx.cond(
                        q.invoice_payable & ~PortalState.is_preview,
                        rx.link(
                            _("Pay it now"),
                            href="/client/pay?invoices=" + q.invoice_id.to_string(),
                        ),
                    ),
                    spacing="1",
                    wrap="wrap",
                ),
                icon="file-check",
                color_scheme="green",
                width="100%",
                id="quote-invoice",
            ),
        ),
        rx.cond(
            q.status == "declined",
            callout(
                rx.cond(
                    q.decline_reason != "",
                    fill(
                        _("Declined on %(date)s: %(reason)s"),
                        date=q.declined_on,
                        reason=q.decline_reason,
                    ),
                    fill(_("Declined on %(date)s."), date=q.declined_on),
                ),
                icon="circle-x",
                color_scheme="gray",
                width="100%",
            ),
        ),
        rx.cond(
            q.status == "expired",
            callout(
                fill(
                    _("This quote expired on %(date)s. Ask us for a new one."),
                    date=q.valid_until,
                ),
                icon="clock",
                color_scheme="amber",
                width="100%",
            ),
        ),
    )


def _detail(q: rx.Var) -> rx.Component:
    return rx.vstack(
        detail_header(
            rx.heading(fill(_("Quote %(number)s"), number=q.number), size="7", as_="h1"),
            # Coloured by the status: the label is in the contact's language.
            keyed_badge(q.status_label, q.status, QUOTE_KEY_COLORS),
            rx.text(
                rx.cond(
                    q.valid_until != "",
                    fill(
                        _("Issued %(issued)s · Valid until %(valid)s"),
                        issued=q.issue_date,
                        valid=q.valid_until,
                    ),
                    fill(_("Issued %(date)s"), date=q.issue_date),
                ),
                color_scheme="gray",
            ),
            rx.cond(
                q.po_number != "",
                rx.text(fill(_("PO %(number)s"), number=q.po_number), color_scheme="gray"),
            ),
            actions=_actions(q),
        ),
        _outcome(q),
        parties_card(q.company, pgettext("document sender", "From"), q.client, _("Prepared for")),
        lines_table(q.lines),
        totals_box(
            summary_row(_("Subtotal"), q.subtotal),
            rx.foreach(q.taxes, lambda tax: summary_row(tax[0], tax[1])),
            rx.separator(),
            summary_row(_("Total"), q.total, strong=True),
            element_id="quote-totals",
        ),
        rx.cond(q.public_notes != "", rx.text(q.public_notes, size="2")),
        rx.cond(
            q.terms != "",
            rx.vstack(
                rx.heading(_("Terms"), size="3", as_="h2"),
                rx.text(q.terms, size="2", color_scheme="gray", white_space="pre-wrap"),
                spacing="1",
                align="start",
            ),
        ),
        attached_documents(QuoteDetailState.attachments),
        document_thread("quote", q.id, DocumentsState.download),
        # The arrow is part of the text: a right-to-left language turns it round.
        rx.link(_("← All quotes"), href=routes.CLIENT_QUOTES),
        approval_dialog(QuoteDetailState),
        decline_dialog(QuoteDetailState),
        width="100%",
        spacing="4",
        align="start",
    )


def quote_detail_page() -> rx.Component:
    return record_page(
        QuoteDetailState.not_found,
        QuoteDetailState.quote,
        _detail(QuoteDetailState.quote.to(QuoteView)),
        noun="Quote",
        back_href=routes.CLIENT_QUOTES,
    )
