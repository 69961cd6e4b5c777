"""The upload guard (portal_app/upload_guard.py) in front of an endpoint that parses the body
the way Reflex's upload endpoint does (Starlette's `request.form()`, which spools file parts
past 1 MiB to the temporary folder); and who counts as signed in for it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import starlette.formparsers
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal_app.core.settings import Settings, get_settings
from portal_app.services.identity import auth, staff_auth
from portal_app.upload_guard import UploadGuard, upload_allowed
from tests.helpers.staff import add_staff

MiB = 1024 * 1024
LIMIT = 3 * MiB
BOUNDARY = "guard-test"
HEAD = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="files"; filename="a.bin"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n"
).encode()
TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


class Spool:
    """What the form parser wrote to its temporary files."""

    def __init__(self):
        self.files = []

    @property
    def written(self) -> int:
        return sum(f.written for f in self.files)


@pytest.fixture
def spool(monkeypatch) -> Spool:
    record = Spool()
    base = starlette.formparsers.SpooledTemporaryFile

    class CountingSpool(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.written = 0
            record.files.append(self)

        def write(self, data):
            self.written += len(data)
            return super().write(data)

    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", CountingSpool)
    return record


class Endpoint:
    """Reflex's upload endpoint, as far as the body goes: parse the form, answer."""

    def __init__(self):
        self.calls = 0

    async def handle(self, request: Request):
        self.calls += 1
        try:
            form = await request.form()
        except ClientDisconnect:
            return Response()  # what Reflex answers
        sizes = [f.size for f in form.getlist("files")]
        await form.close()
        return JSONResponse({"sizes": sizes})


def _guarded(endpoint: Endpoint, *, signed_in: bool = True):
    async def authorize(cookies, ip):
        return signed_in

    app = Starlette(
        routes=[
            Route("/_upload", endpoint.handle, methods=["POST"]),
            Route("/_upload/{name}", lambda r: Response("public file"), methods=["GET"]),
            Route("/other", endpoint.handle, methods=["POST"]),
        ]
    )
    return UploadGuard(app, path="/_upload", max_bytes=LIMIT, authorize=authorize)


def _run(app, *, path="/_upload", method="POST", chunks=(), length: int | None = None):
    """Drive `app` with the body in `chunks`; returns (status, body, bytes the app read)."""
    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    pending = list(chunks)
    read = 0
    sent = []

    async def receive():
        nonlocal read
        if not pending:
            return {"type": "http.disconnect"}
        chunk = pending.pop(0)
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, read


def _body(size: int, piece: int = 64 * 1024) -> list[bytes]:
    data = HEAD + b"x" * size + TAIL
    return [data[i : i + piece] for i in range(0, len(data), piece)]


def test_a_declared_body_over_the_limit_is_refused_unread(spool: Spool):
    endpoint = Endpoint()
    status, body, read = _run(_guarded(endpoint), chunks=_body(8 * MiB), length=8 * MiB + 200)
    assert (status, read, endpoint.calls, spool.files) == (413, 0, 0, [])
    assert b"larger than this portal accepts" in body


def test_no_session_is_refused_unread(spool: Spool):
    endpoint = Endpoint()
    chunks = _body(1000)
    status, _, read = _run(
        _guarded(endpoint, signed_in=False), chunks=chunks, length=sum(map(len, chunks))
    )
    assert (status, read, endpoint.calls, spool.files) == (401, 0, 0, [])


@pytest.mark.parametrize("declared", [None, 1000], ids=["chunked", "lying-length"])
def test_a_streamed_body_is_cut_at_the_limit(spool: Spool, declared: int | None):
    endpoint = Endpoint()
    status, body, read = _run(_guarded(endpoint), chunks=_body(8 * MiB), length=declared)
    assert status == 413 and b"larger" in body
    assert endpoint.calls == 1  # it started, saw the client "leave", and its answer was dropped
    # The chunk that would pass the limit was read from the client but never handed on.
    assert read <= LIMIT + 64 * 1024
    assert spool.written <= LIMIT
    assert spool.files and all(f.closed for f in spool.files)


def test_an_upload_within_the_limit_gets_through(spool: Spool):
    endpoint = Endpoint()
    chunks = _body(2 * MiB)
    status, body, _ = _run(_guarded(endpoint), chunks=chunks, length=sum(map(len, chunks)))
    assert status == 200
    assert body == b'{"sizes":[2097152]}'
    # Chunked as well: nothing but the count stops it.
    status, _, _ = _run(_guarded(endpoint), chunks=_body(2 * MiB))
    assert status == 200


def test_other_requests_pass_unguarded():
    endpoint = Endpoint()
    guarded = _guarded(endpoint, signed_in=False)
    assert _run(guarded, method="GET", path="/_upload/logo.png")[0] == 200
    chunks = _body(4 * MiB)
    assert _run(guarded, path="/other", chunks=chunks)[0] == 200


def test_a_malformed_content_length_is_refused():
    assert _run(_guarded(Endpoint()), chunks=_body(10), length=-1)[0] == 400


def test_the_limit_setting(monkeypatch):
    monkeypatch.delenv("PORTAL_UPLOAD_MAX_BYTES", raising=False)
    assert Settings().upload_max_bytes == 25 * MiB
    monkeypatch.setenv("PORTAL_UPLOAD_MAX_BYTES", "1048576")
    assert Settings().upload_max_bytes == MiB
    monkeypatch.setenv("PORTAL_UPLOAD_MAX_BYTES", "0")
    with pytest.raises(ValueError, match="PORTAL_UPLOAD_MAX_BYTES"):
        Settings()


# --------------------------------------------------------------------------- who may upload


def _cookies(**values: str) -> dict[str, str]:
    settings = get_settings()
    names = {"client": settings.session_cookie_name, "staff": settings.staff_session_cookie_name}
    return {names[kind]: value for kind, value in values.items()}


def test_client_and_staff_sessions_may_upload(session, make):
    contact = make.contact(make.client(make.company()))
    client_token = auth.open_session(
        session, contact=contact, kind="password", lifetime=timedelta(hours=1)
    ).token
    user = add_staff(session, make.company(), password_hash="x")
    staff_token = staff_auth.open_staff_session(session, user=user).token

    assert upload_allowed(session, cookies=_cookies(client=client_token))
    assert upload_allowed(session, cookies=_cookies(staff=staff_token))
    assert not upload_allowed(session, cookies={})
    assert not upload_allowed(session, cookies=_cookies(client="a" * 43, staff="b" * 43))
    # Each cookie is only good under its own name.
    assert not upload_allowed(session, cookies=_cookies(client=staff_token))
    assert not upload_allowed(session, cookies=_cookies(staff=client_token))

    auth.sign_out(session, token=client_token)
    assert not upload_allowed(session, cookies=_cookies(client=client_token))
