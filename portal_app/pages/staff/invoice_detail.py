"""/staff/invoices/[id]: one invoice and its actions, including mark paid and cancel."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.einvoice_notice import einvoice_notice
from portal_app.components.staff_documents import doc_detail
from portal_app.components.staff_kinds import INVOICE_WORDS
from portal_app.components.staff_thread import record_thread
from portal_app.components.staff_uploads import record_uploads
from portal_app.services.billing.staff_records import INVOICE, Kind
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocDetailMixin


class StaffInvoiceDetailState(StaffDocDetailMixin, StaffState):
    """The invoice page; every action re-checks the staff session and goes through a service."""

    KIND: ClassVar[Kind] = INVOICE

    @rx.event
    def mark_paid(self):
        return self._act(INVOICE, "mark_paid")

    @rx.event
    def cancel_doc(self):
        return self._act(INVOICE, "cancel")

    @rx.event
    def set_paid_reference(self, value: str):
        self.paid_reference = str(value)[:100]


def staff_invoice_detail_page() -> rx.Component:
    return doc_detail(
        StaffInvoiceDetailState,
        INVOICE_WORDS,
        rx.fragment(
            einvoice_notice("invoice", StaffInvoiceDetailState.doc),
            record_thread("invoice", StaffInvoiceDetailState.doc),
            record_uploads("invoice", StaffInvoiceDetailState.doc),
        ),
    )
