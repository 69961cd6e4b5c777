"""/staff/invoices/new and /staff/invoices/[id]/edit: a invoice draft with its lines."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.staff_documents import doc_form
from portal_app.components.staff_kinds import INVOICE_WORDS
from portal_app.services.billing.staff_records import INVOICE, Kind
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocFormMixin


class StaffInvoiceFormState(StaffDocFormMixin, StaffState):
    """The invoice form; saving goes through services.staff_records (totals computed there)."""

    KIND: ClassVar[Kind] = INVOICE


def staff_new_invoice_page() -> rx.Component:
    return doc_form(StaffInvoiceFormState, INVOICE_WORDS)


def staff_edit_invoice_page() -> rx.Component:
    return doc_form(StaffInvoiceFormState, INVOICE_WORDS)
