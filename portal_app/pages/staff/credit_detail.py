"""/staff/credits/[id]: one credit and its actions."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.einvoice_notice import einvoice_notice
from portal_app.components.staff_documents import doc_detail
from portal_app.components.staff_kinds import CREDIT_WORDS
from portal_app.components.staff_uploads import record_uploads
from portal_app.services.billing.staff_records import CREDIT, Kind
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocDetailMixin


class StaffCreditDetailState(StaffDocDetailMixin, StaffState):
    """The credit page; every action re-checks the staff session and goes through a service."""

    KIND: ClassVar[Kind] = CREDIT


def staff_credit_detail_page() -> rx.Component:
    return doc_detail(
        StaffCreditDetailState,
        CREDIT_WORDS,
        rx.fragment(
            einvoice_notice("credit", StaffCreditDetailState.doc),
            record_uploads("credit", StaffCreditDetailState.doc),
        ),
    )
