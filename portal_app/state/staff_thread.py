"""StaffThreadState: the client's questions or dispute on a staff invoice or quote page.

The panel mounts with `show(document_type, document_id)`; services/documents/threads.py checks
the company (and the role, for answering and resolving) again on every event.
"""

from __future__ import annotations

import reflex as rx

from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext as _
from portal_app.schemas.document_thread import ThreadView
from portal_app.services.documents import threads
from portal_app.state.staff import StaffState

ANSWER_ID = "staff-thread-answer"
MAX_BODY_CHARS = threads.MAX_BODY_CHARS


class StaffThreadState(StaffState):
    """One document's conversation with the client: read, answer, resolve."""

    thread: ThreadView | None = None
    answer: str = ""
    answer_error: str = ""
    failure: str = ""
    notice: str = ""
    _document_type: str = ""
    _document_id: int = 0

    def _reload(self, actor) -> None:
        with session_scope() as db:
            self.thread = threads.staff_thread(
                db, actor=actor, document_type=self._document_type, document_id=self._document_id
            )

    @rx.event
    def show(self, document_type: str, document_id: int):
        """Point the panel at one of the company's invoices or quotes and read its thread."""
        self.answer_error = self.failure = self.notice = ""
        self.answer, self.thread = "", None
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        self._document_type = str(document_type)
        try:
            self._document_id = int(document_id)
            self._reload(actor)
        except (TypeError, ValueError, NotFoundError):
            self._document_id = 0
        return None

    @rx.event
    def set_answer(self, value: str):
        self.answer = str(value)[: MAX_BODY_CHARS + 1]

    def _act(self, resolve_only: bool, resolve: bool):
        self.answer_error = self.failure = self.notice = ""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        if not self._document_id:
            self.failure = _("This document is not available.")
            return None
        try:
            with session_scope() as db:
                if resolve_only:
                    threads.resolve_thread(
                        db,
                        actor=actor,
                        document_type=self._document_type,
                        document_id=self._document_id,
                    )
                else:
                    threads.post_staff_answer(
                        db,
                        actor=actor,
                        document_type=self._document_type,
                        document_id=self._document_id,
                        body=self.answer,
                        resolve=resolve,
                    )
        except ValidationError as exc:
            self.answer_error = exc.message
            return None
        except (ReadOnlyError, NotFoundError) as exc:
            self.failure = getattr(exc, "message", "") or str(exc)
            return None
        if resolve_only:
            self.notice = _("Resolved. The client was told by e-mail.")
        elif resolve:
            self.notice = _("Answer sent and resolved. The client was told by e-mail.")
        else:
            self.notice = _("Answer sent. The client was told by e-mail.")
        self.answer = ""
        self._reload(actor)
        return rx.set_value(ANSWER_ID, "")

    @rx.event
    def send_answer(self):
        """Send the answer and keep the thread open."""
        return self._act(False, False)

    @rx.event
    def send_and_resolve(self):
        """Send the answer and resolve the thread (a dispute's reminders and auto-bill go on)."""
        return self._act(False, True)

    @rx.event
    def resolve(self):
        """Resolve without an answer."""
        return self._act(True, False)
