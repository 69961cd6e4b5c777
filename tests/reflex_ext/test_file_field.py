"""The question form's file field (reflex_ext/file_field.py): a native file input that keeps
the chosen file where Reflex's upload reads it, so the invoice and quote pages do not load
react-dropzone (issue 23).

The Reflex tests fail when an upgrade moves what the field relies on: the context the files
live in, the key `rx.upload_files` reads, the asset path Vite bundles the module from. The
upload itself (a dispute with a file, through the same endpoint and guard) is
tests/e2e/test_disputes.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import reflex as rx
from reflex_base.components.app_wraps import collect_var_app_wraps_in_subtree
from reflex_components_core.core.upload import Upload

import portal_app.reflex_ext.file_field as file_field_module
from portal_app.components.document_thread import document_thread
from portal_app.pages.client.documents import DocumentsState
from portal_app.reflex_ext.file_field import file_field
from portal_app.state.document_thread import UPLOAD_ID, DocumentThreadState

JS = Path(file_field_module.__file__).with_name(file_field_module.JS_FILE)
REFLEX_WEB = Path(rx.__file__).parent.parent / "reflex_base" / ".templates" / "web"


def _imports(component: rx.Component) -> dict:
    return dict(component._get_all_imports())


def test_the_field_is_our_module_s_component_with_its_key_and_name():
    field = file_field("a-key", label="Attach a file")
    rendered = field.render()
    assert rendered["name"] == "FileField"
    assert 'uploadId:"a-key"' in rendered["props"]
    assert '"aria-label":"Attach a file"' in rendered["props"]
    imports = _imports(field)
    assert [v.tag for v in imports[file_field_module.library()]] == ["FileField"]
    # Bundled by Vite from the public folder Reflex copies assets/ into.
    assert file_field_module.library() == (
        "$/public/external/portal_app/reflex_ext/file_field/file_field.js"
    )
    assert Upload.is_used  # Reflex's upload endpoint stays mounted


def test_the_field_brings_reflex_s_upload_provider():
    wraps: dict = {}
    collect_var_app_wraps_in_subtree(wraps, rx.box(file_field("a-key", label="x")))
    assert any("UploadFilesProvider" in str(name) for name in wraps)


def test_the_module_keeps_files_where_reflex_s_upload_reads_them():
    source = JS.read_text()
    assert re.search(r"^export function FileField\(", source, re.M)
    assert 'import { UploadFilesContext } from "$/utils/context-registry";' in source
    assert "[uploadId]: files" in source
    # Reflex still exports that context from that module...
    registry = (REFLEX_WEB / "utils" / "context-registry.js").read_text()
    assert "export const UploadFilesContext = createContext(" in registry
    # ...and rx.upload_files / rx.selected_files still read `filesById[<upload id>]` in it.
    send = str(
        rx.Var.create(DocumentThreadState.send_with_file(rx.upload_files(upload_id="a-key")))
    )
    assert '["files"] : filesById?.["a-key"]' in send
    assert 'filesById["a-key"]' in str(rx.selected_files("a-key"))


def test_the_question_form_loads_no_react_dropzone():
    for kind in ("invoice", "quote"):
        section = document_thread(kind, rx.Var.create(1), DocumentsState.download)
        imports = _imports(section)
        assert not [lib for lib in imports if "dropzone" in lib], kind
        assert file_field_module.library() in imports
        rendered = str(section.render())
        # The field sits inside the box the e2e test and the styles find by the upload id.
        assert f'id:"{UPLOAD_ID}"' in rendered
        assert rendered.index(f'id:"{UPLOAD_ID}"') < rendered.index("FileField")


def test_the_invoice_page_fills_the_thread_itself_and_the_quote_page_on_mount():
    on_mount = document_thread("quote", rx.Var.create(1), DocumentsState.download)
    by_page = document_thread(
        "invoice", rx.Var.create(1), DocumentsState.download, load_on_mount=False
    )
    assert any(".show" in hook for hook in on_mount._get_all_hooks())
    assert not any(".show" in hook for hook in by_page._get_all_hooks())
