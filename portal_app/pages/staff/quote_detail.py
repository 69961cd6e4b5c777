"""/staff/quotes/[id]: one quote and its actions."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app import routes
from portal_app.components.staff_documents import doc_detail
from portal_app.components.staff_kinds import QUOTE_WORDS
from portal_app.components.staff_uploads import record_uploads
from portal_app.layout.staff_shell import staff_page
from portal_app.services.staff_records import QUOTE
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocDetailMixin, send_document_email


class StaffQuoteDetailState(StaffDocDetailMixin, StaffState):
    """The quote page; every action re-checks the staff session and goes through a service."""

    @rx.event
    def load(self):
        self.doc_loading = True
        return self._load_doc(QUOTE)

    @rx.event
    def set_email_contact(self, value: str):
        self.email_contact = str(value)[:20]

    @rx.event
    def mark_sent(self):
        return self._act(QUOTE, "mark_sent")

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
        outcome = await asyncio.to_thread(send_document_email, actor, QUOTE, doc_id, contact)
        async with self:
            self._email_done(QUOTE, actor, outcome)


@staff_page(routes.STAFF_QUOTE_DETAIL, "Quote", on_load=StaffQuoteDetailState.load)
def staff_quote_detail_page() -> rx.Component:
    return doc_detail(
        StaffQuoteDetailState,
        QUOTE_WORDS,
        record_uploads("quote", StaffQuoteDetailState.doc),
    )
