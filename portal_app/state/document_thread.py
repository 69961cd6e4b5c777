"""DocumentThreadState: the "Questions about this invoice/quote" section of a detail page.

The section mounts with `show(document_type, document_id)`, or its page's load event fills it
with `_open` or `_show` in the same event (the invoice page: the thread comes with the page's
data, one render instead of a round trip and a render of its own after the section mounts,
issue 23);
the ids go to backend-only vars
and services/documents/threads.py checks them again (the client scope) on every event, so a
forged call reaches nothing of another client. A message is sent with `send` (no file) or
`send_with_file` (the chosen file comes through Reflex's upload endpoint, which the upload
guard limits; the bytes are stored as a document, never in Reflex's upload folder).
"""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from portal_app.core.db import session_or_scope, session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import _
from portal_app.core.settings import get_settings
from portal_app.schemas.document_thread import ThreadView
from portal_app.services.documents import threads
from portal_app.state.portal import PortalState

UPLOAD_ID = "thread-upload"
BODY_ID = "thread-body"
MAX_BODY_CHARS = threads.MAX_BODY_CHARS


class DocumentThreadState(PortalState):
    """One document's conversation and the form to write in it."""

    thread: ThreadView | None = None
    body: str = ""
    dispute: bool = False
    body_error: str = ""
    file_error: str = ""
    failure: str = ""
    notice: str = ""
    _document_type: str = ""
    _document_id: int = 0

    def _reload(self, actor, db: Session | None = None) -> None:
        with session_or_scope(db) as session:
            self.thread = threads.client_thread(
                session,
                actor=actor,
                document_type=self._document_type,
                document_id=self._document_id,
            )

    def _clear(self) -> None:
        """Nothing shown and no document pointed at (the next `_open` points it again)."""
        self.body_error = self.file_error = self.failure = self.notice = ""
        self.body, self.dispute, self.thread = "", False, None
        self._document_id = 0

    def _open(
        self, actor, document_type: str, document_id: int | str, db: Session | None = None
    ) -> None:
        """Point the section at one of the actor's invoices or quotes and read its thread
        (in the caller's database session `db` when given): a page load calls this for its
        signed-in actor, `show` for the section's own mount."""
        self._clear()
        self._document_type = str(document_type)
        try:
            self._document_id = int(document_id)
            self._reload(actor, db)
        except (TypeError, ValueError, NotFoundError):
            self._document_id = 0
            self.thread = None

    def _show(self, document_type: str, document_id: int, thread: ThreadView) -> None:
        """Point the section at one of the actor's invoices or quotes whose thread the caller
        has just read in the actor's scope (threads.client_thread_of): the invoice page's
        load, which reads the document and its thread in one statement."""
        self._clear()
        self._document_type, self._document_id, self.thread = document_type, document_id, thread

    @rx.event
    def show(self, document_type: str, document_id: int):
        """Point the section at one of the contact's invoices or quotes and read its thread."""
        self._clear()
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        self._open(actor, document_type, document_id)
        return None

    @rx.event
    def set_body(self, value: str):
        self.body = str(value)[: MAX_BODY_CHARS + 1]

    @rx.event
    def set_dispute(self, value: bool):
        self.dispute = bool(value)

    def _post(self, attachment: threads.Attachment | None):
        self.body_error = self.file_error = self.failure = self.notice = ""
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        if not self._document_id:
            self.failure = _("This document is not available.")
            return None
        try:
            with session_scope() as db:
                threads.post_client_message(
                    db,
                    actor=actor,
                    document_type=self._document_type,
                    document_id=self._document_id,
                    body=self.body,
                    dispute=self.dispute,
                    attachment=attachment,
                )
        except ValidationError as exc:
            if exc.field == "file":
                self.file_error = exc.message
            elif exc.field == "body":
                self.body_error = exc.message
            else:
                self.failure = exc.message
            return None
        except ReadOnlyError as exc:
            self.failure = str(exc)
            return None
        except NotFoundError:
            self.failure = _("This document is not available.")
            return None
        self.notice = (
            _("Your dispute is sent. We answer here and by e-mail.")
            if self.dispute
            else _("Your message is sent. We answer here and by e-mail.")
        )
        self.body, self.dispute = "", False
        self._reload(actor)
        return [rx.set_value(BODY_ID, ""), rx.clear_selected_files(UPLOAD_ID)]

    @rx.event
    def send(self):
        """Send the message without a file."""
        return self._post(None)

    @rx.event
    async def send_with_file(self, files: list[rx.UploadFile]):
        """Send the message with the one chosen file (one byte past the limit is enough to
        refuse it; a huge file is never read whole)."""
        if not files:
            return self._post(None)
        limit = get_settings().documents_max_bytes
        file = files[0]
        data = await file.read(limit + 1)
        return self._post(threads.Attachment(data, file.name or ""))
