"""The staff upload box: files of a client or of one record, with the visible-to-client flag.

Use `client_uploads(client_id_var)` on the staff client page and `record_uploads(kind, doc)`
on an invoice/quote/credit page; both mount StaffUploadsState (state/staff_uploads.py).
"""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import badge, callout, labelled_upload
from portal_app.schemas.staff_documents import StaffDocDetail
from portal_app.state.staff_uploads import MAX_FILES_PER_UPLOAD, UPLOAD_ID, StaffUploadsState
from portal_app.state.translate import _, fill


def _file_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.name),
        rx.table.cell(row.attached_to),
        rx.table.cell(row.size, white_space="nowrap"),
        rx.table.cell(row.date, white_space="nowrap"),
        rx.table.cell(row.uploaded_by),
        rx.table.cell(
            rx.switch(
                checked=row.visible_to_client,
                on_change=lambda value: StaffUploadsState.toggle_visibility(row.id, value),
                aria_label=fill(_("Visible to the client: %(name)s"), name=row.name),
            )
        ),
    )


def _box(mount_event) -> rx.Component:
    return rx.vstack(
        rx.heading(_("Files"), size="4", as_="h2"),
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
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: badge(name, variant="outline")),
            wrap="wrap",
        ),
        rx.hstack(
            rx.checkbox(
                _("Visible to the client"),
                checked=StaffUploadsState.visible_to_client,
                on_change=StaffUploadsState.set_visible_to_client,
                id="upload-visible",
            ),
            rx.button(
                rx.icon("upload", size=16, aria_hidden="true"),
                _("Upload"),
                on_click=StaffUploadsState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                id="staff-upload-button",
            ),
            align="center",
            spacing="4",
        ),
        rx.cond(
            StaffUploadsState.upload_error != "",
            callout(StaffUploadsState.upload_error, icon="triangle-alert", color_scheme="red"),
        ),
        rx.cond(
            StaffUploadsState.upload_message != "",
            callout(StaffUploadsState.upload_message, icon="check", color_scheme="green"),
        ),
        rx.cond(
            StaffUploadsState.files.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(label)
                                for label in ("Name", "On", "Size", "Date", "By", "Visible")
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(StaffUploadsState.files, _file_row)),
                    width="100%",
                    variant="surface",
                ),
                width="100%",
                overflow_x="auto",
            ),
        ),
        on_mount=mount_event,
        width="100%",
        spacing="3",
        id="staff-files",
    )


def client_uploads(client_id) -> rx.Component:
    """Files of a client (all of them, any record); `client_id` is an int Var or int."""
    return _box(StaffUploadsState.show("client", client_id, 0))


def record_uploads(kind: str, doc) -> rx.Component:
    """Files of one invoice/quote/credit/payment; `doc` is the page's StaffDocDetail Var."""
    doc = doc.to(StaffDocDetail)
    return _box(StaffUploadsState.show(kind, doc.client_id, doc.id))
