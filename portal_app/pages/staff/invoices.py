"""/staff/invoices: the company's invoices, drafts included, filtered and searched, paged."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.staff_documents import doc_list
from portal_app.components.staff_kinds import INVOICE_WORDS
from portal_app.services.billing.staff_records import INVOICE, Kind
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocListMixin


class StaffInvoicesState(StaffDocListMixin, StaffState):
    """The invoice list; every change reloads through the service (which re-checks the actor)."""

    KIND: ClassVar[Kind] = INVOICE


def staff_invoices_page() -> rx.Component:
    return doc_list(StaffInvoicesState, INVOICE_WORDS)
