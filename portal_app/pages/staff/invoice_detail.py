"""/staff/invoices/[id]: one invoice and its actions, including mark paid and cancel."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app import routes
from portal_app.components.staff_documents import doc_detail
from portal_app.components.staff_kinds import INVOICE_WORDS
from portal_app.components.staff_uploads import record_uploads
from portal_app.layout.staff_shell import staff_page
from portal_app.services.staff_records import INVOICE
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocDetailMixin, send_document_email


class StaffInvoiceDetailState(StaffDocDetailMixin, StaffState):
    """The invoice page; every action re-checks the staff session and goes through a service."""

    @rx.event
    def load(self):
        self.doc_loading = True
        return self._load_doc(INVOICE)

    @rx.event
    def set_email_contact(self, value: str):
        self.email_contact = str(value)[:20]

    @rx.event
    def mark_sent(self):
        return self._act(INVOICE, "mark_sent")

    @rx.event
    def mark_paid(self):
        return self._act(INVOICE, "mark_paid")

    @rx.event
    def cancel_doc(self):
        return self._act(INVOICE, "cancel")

    @rx.event
    def set_paid_reference(self, value: str):
        self.paid_reference = str(value)[:100]

    @rx.event(background=True)
    async def email_doc(self):
        """Send the e-mail off the event loop; the button shows a spinner meanwhile."""
        async with self:
            if self.doc_busy:
                return
            actor = self._staff_actor()
            if actor is None:
                self.doc_error = "Your staff session ended; sign in again."
                return
            self.doc_busy = True
            self.doc_notice = self.doc_error = ""
            doc_id, contact = self._doc_id, self.email_contact
        outcome = await asyncio.to_thread(send_document_email, actor, INVOICE, doc_id, contact)
        async with self:
            self._email_done(INVOICE, actor, outcome)


@staff_page(routes.STAFF_INVOICE_DETAIL, "Invoice", on_load=StaffInvoiceDetailState.load)
def staff_invoice_detail_page() -> rx.Component:
    return doc_detail(
        StaffInvoiceDetailState,
        INVOICE_WORDS,
        record_uploads("invoice", StaffInvoiceDetailState.doc),
    )
