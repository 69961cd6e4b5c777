"""/staff/quotes/new and /staff/quotes/[id]/edit: a quote draft with its lines."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.staff_documents import doc_form
from portal_app.components.staff_kinds import QUOTE_WORDS
from portal_app.services.billing.staff_records import QUOTE, Kind
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocFormMixin


class StaffQuoteFormState(StaffDocFormMixin, StaffState):
    """The quote form; saving goes through services.staff_records (totals computed there)."""

    KIND: ClassVar[Kind] = QUOTE


def staff_new_quote_page() -> rx.Component:
    return doc_form(StaffQuoteFormState, QUOTE_WORDS)


def staff_edit_quote_page() -> rx.Component:
    return doc_form(StaffQuoteFormState, QUOTE_WORDS)
