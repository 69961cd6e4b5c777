"""Canaries for the Reflex internals portal_app/reflex_ext relies on: they fail on a Reflex
upgrade that changes them (read portal_app/reflex_ext/asgi.py's docstring, then fix there)."""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest
import starlette.formparsers
from starlette.requests import Request

from portal_app import reflex_ext
from portal_app.reflex_ext import asgi


def test_the_version_guard():
    reflex_ext.check_reflex_version(reflex_ext.REFLEX_VERSION)
    reflex_ext.check_reflex_version("0.10.7")
    for other in ("0.11.0", "1.0.0", "0.9.9"):
        with pytest.raises(RuntimeError, match="SUPPORTED_SERIES"):
            reflex_ext.check_reflex_version(other)


def test_a_patch_is_refused_on_an_untested_reflex_and_the_log_says_so(caplog):
    assert reflex_ext.allow_patch("some patch", "0.10.9") is True
    with caplog.at_level(logging.ERROR, logger="portal_app.reflex_ext"):
        assert reflex_ext.allow_patch("some patch", "0.11.0") is False
    assert "not installing some patch" in caplog.text and "0.11.0" in caplog.text


def test_install_adds_every_patch_on_a_tested_reflex_and_none_on_another(caplog):
    # Reflex's own middleware part of rx.App (a second rx.App cannot be made in one process).
    from reflex.app_mixins.middleware import MiddlewareMixin

    from portal_app.reflex_ext.tab_push import LedgerPush

    tested, untested = MiddlewareMixin(), MiddlewareMixin()
    push = LedgerPush(interval=60)
    names = reflex_ext.install(tested, ledger_push=push, reflex_version="0.10.1")
    assert names == [
        "redis lock fix",
        "redis round trips",
        "event log",
        "tab push",
        "inline page load",
    ]
    assert len(tested._middlewares) == 3
    with caplog.at_level(logging.ERROR, logger="portal_app.reflex_ext"):
        assert (
            reflex_ext.install(
                untested, ledger_push=LedgerPush(interval=60), reflex_version="0.12.0"
            )
            == []
        )
    assert untested._middlewares == []
    # socket json: refused on the untested Reflex; on the tested one, this app has no socket
    # server (rx.App's has: tests/reflex_ext/test_socket_json.py).
    assert caplog.text.count("not installing") == 6


def test_the_endpoints_the_front_end_uses():
    assert asgi.upload_path() == "/_upload"
    event, upload = asgi.front_end_backend_urls()
    assert event.startswith(("ws://", "wss://")) and event.endswith("/_event")
    assert upload.startswith(("http://", "https://")) and upload.endswith("/_upload")


def test_api_transformers_wrap_in_order_and_the_front_end_is_mounted_inside():
    """A Starlette transformer mounts the app so far; a callable wraps it; the built front end
    is a route of Reflex's own app, so the outer transformers see its responses."""
    from reflex.app import App

    source = inspect.getsource(App.__call__)
    assert "asgi_app.routes.append(get_frontend_mount(" in source
    mount = source.index('api_transformer.mount("", asgi_app)')
    wrap = source.index("asgi_app = api_transformer(asgi_app)")
    frontend = source.index("get_frontend_mount(")
    assert frontend < mount < wrap


def test_reflex_upload_gives_up_quietly_when_the_client_leaves(monkeypatch):
    """The guard stops an upload by reporting a disconnect: Reflex's buffered upload then
    answers an empty response (which the guard replaces) and its spooled files are closed."""
    from reflex_components_core.core import _upload

    files = []
    base = starlette.formparsers.SpooledTemporaryFile

    class Recording(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            files.append(self)

    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", Recording)
    head = (
        b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.bin"\r\n\r\n'
        + b"x" * (2 * 1024 * 1024)
    )
    messages = [{"type": "http.request", "body": head, "more_body": True}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/_upload",
        "headers": [(b"content-type", b"multipart/form-data; boundary=b")],
    }
    response = asyncio.run(
        _upload._upload_buffered_file(
            Request(scope, receive),
            app=None,
            token="t",
            handler_name="h",
            handler_upload_param=("files", None),
        )
    )
    assert (response.status_code, response.body) == (200, b"")
    assert files and all(f.closed for f in files)
