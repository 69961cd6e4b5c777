"""/staff/credits/[id]: one credit and its actions."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app import routes
from portal_app.components.staff_documents import doc_detail
from portal_app.components.staff_kinds import CREDIT_WORDS
from portal_app.components.staff_uploads import record_uploads
from portal_app.layout.staff_shell import staff_page
from portal_app.services.staff_records import CREDIT
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocDetailMixin, send_document_email


class StaffCreditDetailState(StaffDocDetailMixin, StaffState):
    """The credit page; every action re-checks the staff session and goes through a service."""

    @rx.event
    def load(self):
        self.doc_loading = True
        return self._load_doc(CREDIT)

    @rx.event
    def set_email_contact(self, value: str):
        self.email_contact = str(value)[:20]

    @rx.event
    def mark_sent(self):
        return self._act(CREDIT, "mark_sent")

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
        outcome = await asyncio.to_thread(send_document_email, actor, CREDIT, doc_id, contact)
        async with self:
            self._email_done(CREDIT, actor, outcome)


@staff_page(routes.STAFF_CREDIT_DETAIL, "Credit", on_load=StaffCreditDetailState.load)
def staff_credit_detail_page() -> rx.Component:
    return doc_detail(
        StaffCreditDetailState,
        CREDIT_WORDS,
        record_uploads("credit", StaffCreditDetailState.doc),
    )
