"""/staff/quotes/[id]: one quote and its actions."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.staff_documents import doc_detail
from portal_app.components.staff_kinds import QUOTE_WORDS
from portal_app.components.staff_uploads import record_uploads
from portal_app.services.billing.staff_records import QUOTE, Kind
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocDetailMixin


class StaffQuoteDetailState(StaffDocDetailMixin, StaffState):
    """The quote page; every action re-checks the staff session and goes through a service."""

    KIND: ClassVar[Kind] = QUOTE


def staff_quote_detail_page() -> rx.Component:
    return doc_detail(
        StaffQuoteDetailState,
        QUOTE_WORDS,
        record_uploads("quote", StaffQuoteDetailState.doc),
    )
