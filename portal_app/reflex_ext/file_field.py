"""`file_field(upload_id, label=...)`: a native `<input type="file">` whose chosen file goes
through Reflex's upload like `rx.upload`'s, without react-dropzone (issue 23).

`rx.upload` calls react-dropzone's `useDropzone` hook in the compiled component itself, so any
page with one loads react-dropzone (13.6 KiB, its own chunk) on every visit, and Reflex's lazy
components (`NoSSRComponent`, which lazy-loads a component, not a hook) cannot defer it. The
question form of the invoice and quote pages only needs one optional file; this field is a
native input in a small component of our own (file_field.js beside this module) that keeps the
chosen files in `filesById[upload_id]` of Reflex's UploadFilesContext, exactly where the
dropzone puts them. So `rx.selected_files(upload_id)`, `rx.upload_files(upload_id=...)` (the
same upload endpoint, behind the same upload guard) and `rx.clear_selected_files(upload_id)`
work unchanged. Dropping a file on the input is the browser's own behaviour.

Reflex internals relied on (re-check on an upgrade; tests/reflex_ext/test_file_field.py):
`UploadFilesContext` exported by `$/utils/context-registry`, the `filesById` map read by
`rx.upload_files` and `rx.selected_files`, `get_upload_files_context_var_data` (the provider
as an app wrap), `Upload.is_used` (the upload endpoint is mounted only when set), and
`rx.asset(..., shared=True).importable_path` (the .js file copied into `.web/public` and
bundled by Vite from there).
"""

from __future__ import annotations

import functools

import reflex as rx
from reflex_base.vars import Var
from reflex_components_core.core.upload import Upload, get_upload_files_context_var_data

JS_FILE = "file_field.js"
TAG = "FileField"


@functools.cache
def library() -> str:
    """The JS module's import path in the front end (links the file into assets/external)."""
    return rx.asset(JS_FILE, shared=True).importable_path


class FileField(rx.Component):
    """The native file input of file_field.js (see the module)."""

    tag = TAG

    # The key of the chosen files in Reflex's filesById (rx.upload's `id`).
    upload_id: Var[str]


def file_field(upload_id: str, *, label: str | Var[str], **props) -> rx.Component:
    """A file input (one file) whose choice `rx.upload_files(upload_id=upload_id)` uploads;
    `label` is its accessible name."""
    Upload.is_used = True  # Reflex mounts its upload endpoint only for an app that uploads
    key = Var.create(upload_id)._replace(merge_var_data=get_upload_files_context_var_data())
    field = FileField.create(upload_id=key, aria_label=label, **props)
    field.library = library()
    return field
