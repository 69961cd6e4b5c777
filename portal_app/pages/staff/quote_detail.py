"""/staff/quotes/[id]: one quote, the client's answer to it, and its actions."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.staff_documents import doc_detail, quote_answer_panel
from portal_app.components.staff_kinds import QUOTE_WORDS
from portal_app.components.staff_thread import record_thread
from portal_app.components.staff_uploads import record_uploads
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError
from portal_app.schemas.staff_documents import StaffQuoteAnswer
from portal_app.services.billing import staff_quotes
from portal_app.services.billing.staff_records import QUOTE, Kind
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocDetailMixin


class StaffQuoteDetailState(StaffDocDetailMixin, StaffState):
    """The quote page; every action re-checks the staff session and goes through a service."""

    KIND: ClassVar[Kind] = QUOTE
    answer: StaffQuoteAnswer | None = None
    signature_url: str = ""

    def _doc_loaded(self, actor) -> None:
        try:
            with session_scope() as db:
                self.answer = staff_quotes.quote_answer(db, actor=actor, quote_id=self._doc_id)
        except NotFoundError:
            self.answer = None
        has_signature = self.answer is not None and self.answer.has_signature
        self.signature_url = (
            self.staff_api_base + routes.staff_quote_signature_url(self._doc_id)
            if has_signature
            else ""
        )


def staff_quote_detail_page() -> rx.Component:
    return doc_detail(
        StaffQuoteDetailState,
        QUOTE_WORDS,
        rx.fragment(
            quote_answer_panel(StaffQuoteDetailState),
            record_thread("quote", StaffQuoteDetailState.doc),
            record_uploads("quote", StaffQuoteDetailState.doc),
        ),
    )
