"""/client/documents: the client's visible documents, paged on the server, with preview,
single downloads and a ZIP of the selected ones.

Download and preview URLs are never part of the list: each click asks the server, which
re-checks the session and the document and signs a token that lives a few minutes
(services.documents), so a URL copied out of the page soon stops working and never works
for another client.
"""

from __future__ import annotations

import json
from typing import ClassVar

import reflex as rx

from portal_app.components.accessible import labelled_upload
from portal_app.components.common import empty_state, page_heading, visually_hidden
from portal_app.components.records import paged_rows, select_cell
from portal_app.core import files, routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext, ngettext, set_language, use_language
from portal_app.core.settings import get_settings
from portal_app.schemas.document import DocumentRowView
from portal_app.services.documents import documents
from portal_app.state.paged_list import PagedListMixin, RowSelectionMixin
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill, pgettext

FILTER_LABELS = {
    "all": "Everything",
    "client": "Account",
    "invoice": "Invoices",
    "credit": "Credits",
    "payment": "Payments",
}
GONE = N_("That document is no longer available.")
UPLOAD_ID = "document-upload"
MAX_FILES_PER_UPLOAD = 5


class DocumentsState(RowSelectionMixin, PagedListMixin, PortalState):
    """List state; every change reloads through the service, which re-checks the session."""

    MAX_SELECTED: ClassVar[int] = documents.MAX_ZIP_DOCUMENTS
    rows: list[DocumentRowView] = []
    attached_to: str = "all"
    message: str = ""
    preview_kind: str = ""  # "image" | "pdf" | "" (closed)
    preview_name: str = ""
    preview_url: str = ""
    can_upload: bool = False
    upload_message: str = ""
    upload_error: str = ""

    def _reload(self):
        return self._reload_with(
            lambda db, actor: documents.list_client_documents(
                db,
                actor=actor,
                attached_to=self.attached_to,
                page=self.page,
                page_size=self.page_size,
            )
        )

    @rx.event
    def load(self):
        self.loading = True
        self.selected_ids = []
        self.message = ""
        self._close_preview()
        self.upload_message = self.upload_error = ""
        self.page = 1
        redirect = self._reload()
        if redirect is None:
            self._check_uploads()
        return redirect

    def _check_uploads(self) -> None:
        actor = self._actor()
        with session_scope() as db:
            self.can_upload = actor is not None and documents.uploads_allowed(db, actor=actor)

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Store the chosen files as the client's documents; the first bad one stops with a
        clear message (the ones before it are kept, each in its own transaction)."""
        set_language(self.lang)  # no session check in this event: its texts in the page's
        self.upload_message = self.upload_error = ""
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        limit = get_settings().documents_max_bytes
        stored: list[str] = []
        for file in files[:MAX_FILES_PER_UPLOAD]:
            # One byte past the limit is enough to refuse it; never read a huge file whole.
            data = await file.read(limit + 1)
            name = file.name or ""
            try:
                with session_scope() as db:
                    stored.append(
                        documents.upload_client_document(db, actor=actor, data=data, name=name).name
                    )
            except ValidationError as exc:
                self.upload_error = f"{name}: {exc.message}"
                break
            except ReadOnlyError as exc:
                self.upload_error = str(exc)
                break
            except NotFoundError:
                self.upload_error = gettext("Uploading files is not available in your portal.")
                break
        if len(files) > MAX_FILES_PER_UPLOAD and not self.upload_error:
            self.upload_error = ngettext(
                "Only %(num)d file at a time; the rest were skipped.",
                "Only %(num)d files at a time; the rest were skipped.",
                MAX_FILES_PER_UPLOAD,
            ) % {"num": MAX_FILES_PER_UPLOAD}
        if stored:
            self.upload_message = gettext("Uploaded %(names)s.") % {"names": ", ".join(stored)}
        self.page = 1
        self._reload()
        return rx.clear_selected_files(UPLOAD_ID)

    @rx.event
    def set_attached_to(self, value: str | list[str]):
        value = value if isinstance(value, str) else ""
        self.attached_to = value if value in FILTER_LABELS else "all"
        self.page = 1
        self.selected_ids = []
        return self._reload()

    def _signed(self, make_token) -> tuple[object, str] | None:
        """(actor, URL path) for a token made by `make_token(db, actor)`; None after setting
        the message when the document is gone. The login redirect when signed out."""
        actor = self._actor()
        if actor is None:
            return None
        try:
            with session_scope() as db:
                token = make_token(db, actor)
        except NotFoundError:
            with use_language(self.lang):
                self.message = gettext(GONE)
            return None
        return actor, token

    def _send(self, path: str, filename: str):
        """Start a download of one of our URLs: same origin as a link click, else a navigation
        to the backend's origin (two-port development)."""
        if not self.api_base:
            return rx.download(url=path, filename=filename)
        return rx.call_script(f"window.location.assign({json.dumps(self.api_base + path)})")

    @rx.event
    def download(self, document_id: int):
        """Download one document through a fresh short-lived URL."""
        self.message = ""
        if self._actor() is None:
            return self._login_redirect()
        chosen: dict[str, str] = {}

        def token(db, actor):
            doc = documents.get_client_document(
                db, actor=actor, document_id=documents.parse_document_id(document_id)
            )
            chosen["name"] = files.download_filename(doc.name)
            return documents.make_download_token(doc.id, actor.client_id)

        signed = self._signed(token)
        if signed is None:
            return None
        return self._send(routes.file_url(signed[1]), chosen["name"])

    @rx.event
    def download_selected(self):
        """Download the selected documents as one ZIP."""
        self.message = ""
        if self._actor() is None:
            return self._login_redirect()
        if not self.selected_ids:
            return None
        ids = sorted(self.selected_ids)

        def token(db, actor):
            for document_id in ids:  # one that is gone fails the whole, with a clear message
                documents.get_client_document(db, actor=actor, document_id=document_id)
            return documents.make_zip_token(ids, actor.client_id)

        signed = self._signed(token)
        if signed is None:
            return None
        return self._send(routes.file_url(signed[1]), "documents.zip")

    @rx.event
    def preview(self, document_id: int):
        """Show an image or PDF in the page, from a fresh inline URL."""
        self.message = ""
        if self._actor() is None:
            return self._login_redirect()
        shown: dict[str, str] = {}

        def token(db, actor):
            doc = documents.get_client_document(
                db, actor=actor, document_id=documents.parse_document_id(document_id)
            )
            kind = files.PREVIEW.get(doc.media_type, "")
            if not kind:
                raise NotFoundError("preview")
            shown.update(kind=kind, name=doc.name)
            return documents.make_download_token(doc.id, actor.client_id)

        signed = self._signed(token)
        if signed is None:
            return None
        self.preview_kind = shown["kind"]
        self.preview_name = shown["name"]
        self.preview_url = self.api_base + routes.file_url(signed[1], inline=True)
        return None

    def _close_preview(self) -> None:
        self.preview_kind = self.preview_name = self.preview_url = ""

    @rx.event
    def set_preview_open(self, is_open: bool):
        if not is_open:
            self._close_preview()


def _download_button(row) -> rx.Component:
    """Download one document through a fresh signed URL."""
    return rx.button(
        rx.icon("download", size=16, aria_hidden="true"),
        _("Download"),
        on_click=DocumentsState.download(row.id),
        aria_label=fill(_("Download %(name)s"), name=row.name),
        variant="soft",
        size="1",
    )


def _upload_box() -> rx.Component:
    return rx.cond(
        DocumentsState.can_upload,
        rx.vstack(
            labelled_upload(
                rx.vstack(
                    rx.icon("upload", size=20, aria_hidden="true"),
                    rx.text(_("Drop files here or click to choose (PDF, images, sheets, text).")),
                    align="center",
                    spacing="1",
                ),
                label=_("Choose files to upload"),
                id=UPLOAD_ID,
                max_files=MAX_FILES_PER_UPLOAD,
                multiple=True,
                border="1px dashed var(--gray-8)",
                border_radius="8px",
                padding="1em",
                width="100%",
            ),
            rx.hstack(
                rx.foreach(
                    rx.selected_files(UPLOAD_ID), lambda name: rx.badge(name, variant="outline")
                ),
                wrap="wrap",
            ),
            rx.button(
                rx.icon("upload", size=16, aria_hidden="true"),
                _("Upload"),
                on_click=DocumentsState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                id="upload-button",
                size="2",
            ),
            rx.cond(
                DocumentsState.upload_error != "",
                rx.callout(
                    DocumentsState.upload_error,
                    icon="triangle-alert",
                    color_scheme="red",
                    high_contrast=True,
                    role="alert",
                    id="upload-error",
                ),
            ),
            rx.cond(
                DocumentsState.upload_message != "",
                rx.callout(
                    DocumentsState.upload_message,
                    icon="check",
                    color_scheme="green",
                    high_contrast=True,
                    role="status",
                    id="upload-message",
                ),
            ),
            width="100%",
            spacing="2",
        ),
    )


def _filter_labels() -> dict[str, rx.Var]:
    """FILTER_LABELS' choices in the contact's language."""
    return {
        "all": pgettext("document belongs to", "Everything"),
        "client": pgettext("document belongs to", "Account"),
        "invoice": _("Invoices"),
        "credit": _("Credits"),
        "payment": _("Payments"),
    }


def _filter_bar() -> rx.Component:
    return rx.hstack(
        rx.text(_("Belongs to"), size="2", color_scheme="gray"),
        rx.select.root(
            rx.select.trigger(aria_label=_("Show documents that belong to")),
            rx.select.content(
                *[rx.select.item(label, value=value) for value, label in _filter_labels().items()]
            ),
            value=DocumentsState.attached_to,
            on_change=DocumentsState.set_attached_to,
            size="2",
        ),
        align="center",
        spacing="2",
    )


def _selected_count() -> rx.Var:
    return DocumentsState.selected_ids.length().to_string()


def _selection_bar() -> rx.Component:
    return rx.cond(
        DocumentsState.selected_ids.length() > 0,
        rx.hstack(
            rx.text(
                fill(_("%(count)s selected"), count=_selected_count()),
                size="2",
            ),
            rx.button(
                rx.icon("download", size=16, aria_hidden="true"),
                _("Download ZIP"),
                on_click=DocumentsState.download_selected,
                id="download-zip",
                size="2",
            ),
            rx.button(
                _("Clear"), on_click=DocumentsState.clear_selection, variant="soft", size="2"
            ),
            align="center",
            spacing="3",
        ),
    )


def _belongs_to(row: DocumentRowView) -> rx.Component:
    return rx.cond(
        row.belongs_to_url != "",
        rx.link(row.belongs_to, href=row.belongs_to_url),
        rx.text(row.belongs_to),
    )


def _row(row: DocumentRowView) -> rx.Component:
    return rx.table.row(
        select_cell(DocumentsState, row.id, fill(_("Select %(name)s"), name=row.name)),
        rx.table.row_header_cell(
            rx.text(row.name, weight="medium", word_break="break-word"),
            rx.text(
                row.type_label,
                " · ",
                row.size,
                size="1",
                color_scheme="gray",
                display=["block", "none"],
            ),
        ),
        rx.table.cell(row.type_label, display=["none", "table-cell"]),
        rx.table.cell(row.size, display=["none", "table-cell"], white_space="nowrap"),
        rx.table.cell(row.date, display=["none", "none", "table-cell"], white_space="nowrap"),
        rx.table.cell(_belongs_to(row)),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    row.preview != "",
                    rx.button(
                        rx.icon("eye", size=16, aria_hidden="true"),
                        _("Preview"),
                        on_click=DocumentsState.preview(row.id),
                        aria_label=fill(_("Preview %(name)s"), name=row.name),
                        variant="soft",
                        size="1",
                    ),
                ),
                _download_button(row),
                spacing="2",
                justify="end",
            ),
        ),
        data_testid="document-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(visually_hidden(_("Select")), width="2.5em"),
                rx.table.column_header_cell(_("Name")),
                rx.table.column_header_cell(_("Type"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("Size"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("Date"), display=["none", "none", "table-cell"]),
                rx.table.column_header_cell(_("Belongs to")),
                rx.table.column_header_cell(visually_hidden(_("Actions"))),
            )
        ),
        rx.table.body(rx.foreach(DocumentsState.rows, _row)),
        width="100%",
        variant="surface",
    )


def _preview_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(DocumentsState.preview_name),
            rx.dialog.description(visually_hidden(_("Preview"))),
            rx.cond(
                DocumentsState.preview_kind == "image",
                rx.image(
                    src=DocumentsState.preview_url,
                    alt=DocumentsState.preview_name,
                    max_width="100%",
                    max_height="70vh",
                    id="document-preview-image",
                ),
                rx.el.iframe(
                    src=DocumentsState.preview_url,
                    title=DocumentsState.preview_name,
                    width="100%",
                    height="600px",
                    style={"border": "none", "maxHeight": "70vh"},
                    id="document-preview-pdf",
                ),
            ),
            rx.flex(
                rx.dialog.close(rx.button(_("Close"), variant="soft")),
                justify="end",
                margin_top="1em",
            ),
            max_width="900px",
        ),
        open=DocumentsState.preview_url != "",
        on_open_change=DocumentsState.set_preview_open,
    )


def documents_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Documents")),
        rx.cond(
            DocumentsState.unavailable,
            empty_state(
                _("Not available"), _("Your portal does not include documents."), icon="lock"
            ),
            rx.vstack(
                rx.flex(
                    _filter_bar(),
                    rx.spacer(),
                    _selection_bar(),
                    width="100%",
                    wrap="wrap",
                    gap="3",
                    align="center",
                ),
                rx.cond(
                    DocumentsState.message != "",
                    rx.callout(
                        DocumentsState.message,
                        icon="info",
                        color_scheme="amber",
                        high_contrast=True,
                        role="alert",
                    ),
                ),
                paged_rows(
                    DocumentsState,
                    _table(),
                    _("Documents"),
                    empty_state(
                        _("No documents"),
                        _(
                            "Files shared with you, such as contracts and reports, will be listed "
                            "here."
                        ),
                        icon="folder",
                    ),
                ),
                _upload_box(),
                _preview_dialog(),
                width="100%",
                spacing="4",
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )


def attached_documents(rows) -> rx.Component:
    """The documents section of a record's detail page (e.g. an invoice): name, type, size and
    a download button each; nothing when there are none. Downloads go through
    DocumentsState.download, which signs a fresh URL like the Documents tab does."""
    return rx.cond(
        rows.length() > 0,
        rx.vstack(
            rx.heading(_("Documents"), size="3", as_="h2"),
            rx.cond(
                DocumentsState.message != "",
                rx.callout(
                    DocumentsState.message,
                    icon="info",
                    color_scheme="amber",
                    high_contrast=True,
                    role="alert",
                ),
            ),
            rx.foreach(
                rows,
                lambda row: rx.hstack(
                    rx.icon("file", size=16, aria_hidden="true"),
                    rx.text(row.name, weight="medium"),
                    rx.text(row.type_label, " · ", row.size, size="2", color_scheme="gray"),
                    rx.spacer(),
                    _download_button(row),
                    width="100%",
                    align="center",
                    data_testid="attached-document",
                ),
            ),
            width="100%",
            spacing="2",
            id="record-documents",
        ),
    )
