"""StaffUploadsState: the upload box staff use on a client's page or on one record's page.

The page mounts the box with `show(attach_kind, client_id, record_id)`; those ids are kept in
backend-only vars and checked again by services.staff_uploads on every action (the company's
client, and a record of that client), so a forged call reaches nothing of another company.
"""

from __future__ import annotations

import reflex as rx

from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.core.settings import get_settings
from portal_app.services.documents import staff_uploads
from portal_app.services.documents.staff_uploads import StaffDocumentRow
from portal_app.state.staff import StaffState

UPLOAD_ID = "staff-upload"
MAX_FILES_PER_UPLOAD = 10


class StaffUploadsState(StaffState):
    """Files of one client or record: list, upload with the visible flag, show/hide."""

    files: list[StaffDocumentRow] = []
    visible_to_client: bool = True
    upload_message: str = ""
    upload_error: str = ""
    _client_id: int = 0
    _attach_kind: str = ""
    _record_id: int = 0

    def _reload(self, actor) -> None:
        with session_scope() as db:
            self.files = staff_uploads.list_documents(
                db,
                actor=actor,
                client_id=self._client_id,
                attach_kind=self._attach_kind,
                record_id=self._record_id or None,
            )

    @rx.event
    def show(self, attach_kind: str, client_id: int, record_id: int = 0):
        """Point the box at a client ("client") or one of its records and list its files."""
        self.upload_message = self.upload_error = ""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        kind = str(attach_kind)
        self._attach_kind = kind if kind in staff_uploads.ATTACH_KINDS else ""
        try:
            self._client_id = int(client_id)
            self._record_id = int(record_id or 0) if self._attach_kind else 0
            self._reload(actor)
        except (TypeError, ValueError, NotFoundError):
            self.files = []
            self._client_id = 0
            self.upload_error = gettext("These files are not available.")
        return None

    @rx.event
    def set_visible_to_client(self, value: bool):
        self.visible_to_client = bool(value)

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Store the chosen files; the first bad one stops with its message."""
        self.upload_message = self.upload_error = ""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        if not self._client_id:
            self.upload_error = gettext("These files are not available.")
            return None
        limit = get_settings().documents_max_bytes
        stored: list[str] = []
        for file in files[:MAX_FILES_PER_UPLOAD]:
            data = await file.read(limit + 1)  # one byte past the limit is enough to refuse
            name = file.name or ""
            try:
                with session_scope() as db:
                    document = staff_uploads.upload(
                        db,
                        actor=actor,
                        client_id=self._client_id,
                        data=data,
                        name=name,
                        visible_to_client=self.visible_to_client,
                        attach_kind=self._attach_kind,
                        record_id=self._record_id or None,
                    )
                    stored.append(document.name)
            except ValidationError as exc:
                self.upload_error = f"{name}: {exc.message}"
                break
            except (NotFoundError, ReadOnlyError):
                self.upload_error = gettext("These files are not available.")
                break
        if stored:
            names = ", ".join(stored)
            self.upload_message = (
                gettext("Uploaded %(files)s (visible to the client).")
                if self.visible_to_client
                else gettext("Uploaded %(files)s (hidden from the client).")
            ) % {"files": names}
        try:
            self._reload(actor)
        except NotFoundError:
            self.files = []
        return rx.clear_selected_files(UPLOAD_ID)

    @rx.event
    def toggle_visibility(self, document_id: int, visible: bool):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        try:
            with session_scope() as db:
                staff_uploads.set_visibility(
                    db, actor=actor, document_id=document_id, visible=bool(visible)
                )
        except NotFoundError:
            self.upload_error = gettext("That file is not available.")
        try:
            self._reload(actor)
        except NotFoundError:
            # The box was never pointed at one of this company's clients (a crafted event):
            # "not found", not a failed event.
            self.files = []
            self.upload_error = gettext("That file is not available.")
        return None
