"""/staff/credits/new and /staff/credits/[id]/edit: a credit draft with its lines."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.staff_documents import doc_form
from portal_app.components.staff_kinds import CREDIT_WORDS
from portal_app.services.billing.staff_records import CREDIT, Kind
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocFormMixin


class StaffCreditFormState(StaffDocFormMixin, StaffState):
    """The credit form; saving goes through services.staff_records (totals computed there)."""

    KIND: ClassVar[Kind] = CREDIT


def staff_new_credit_page() -> rx.Component:
    return doc_form(StaffCreditFormState, CREDIT_WORDS)


def staff_edit_credit_page() -> rx.Component:
    return doc_form(StaffCreditFormState, CREDIT_WORDS)
