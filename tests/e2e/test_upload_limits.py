"""Reflex's upload endpoint (`/_upload`) on the real server: who may post and how much.

Raw sockets, because the point is what the server does before a body is complete: a request
declaring a huge body must be answered before it is sent, and one that streams past the limit
must be cut off, with nothing spooled to the temporary folder. Starlette spools a multipart
file part to `tempfile.gettempdir()` once it passes 1 MiB, as an unnamed file (O_TMPFILE) that
never shows up in a directory listing, so the test counts the bytes of the temporary files the
server's processes hold open instead.
"""

from __future__ import annotations

import os
import re
import select
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from portal_app.core.settings import get_settings
from portal_app.models import ClientContact
from portal_app.services.identity.auth import open_session
from tests.e2e.conftest import Factory

pytestmark = pytest.mark.e2e

LIMIT = 25 * 1024 * 1024  # PORTAL_UPLOAD_MAX_BYTES's default; the e2e server keeps it
CHUNK = 64 * 1024
BOUNDARY = "----portal-upload-test"
STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})")


def _handler_name() -> str:
    from portal_app.pages.client.documents import DocumentsState

    return f"{DocumentsState.get_full_name()}.upload"


def _part_head(filename: str = "big.bin") -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


PART_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def _request_head(base_url: str, *, length: int | None, cookie: str | None) -> bytes:
    host = urlsplit(base_url).netloc
    lines = [
        "POST /_upload HTTP/1.1",
        f"Host: {host}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        # A made-up tab token: Reflex takes any string here.
        f"Reflex-Client-Token: {uuid.uuid4()}",
        f"Reflex-Event-Handler: {_handler_name()}",
        "Connection: close",
    ]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@contextmanager
def _connect(base_url: str) -> Iterator[socket.socket]:
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    try:
        yield sock
    finally:
        sock.close()


def _answered(sock: socket.socket, wait: float = 0.0) -> bool:
    return bool(select.select([sock], [], [], wait)[0])


def _status(sock: socket.socket) -> int:
    """The status code of the response on `sock` (reads until the status line is in)."""
    data = b""
    deadline = time.monotonic() + 30
    while b"\r\n" not in data and time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    match = STATUS_LINE.match(data)
    assert match, f"no HTTP response: {data[:200]!r}"
    return int(match.group(1))


def _send_body(sock: socket.socket, total: int, *, chunked: bool) -> int:
    """Send up to `total` body bytes, stopping once the server answers; returns bytes sent."""
    sent = 0
    piece = b"x" * CHUNK
    while sent < total and not _answered(sock):
        data = piece[: min(CHUNK, total - sent)]
        frame = b"%x\r\n%s\r\n" % (len(data), data) if chunked else data
        try:
            sock.sendall(frame)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(data)
    return sent


def _server_pids(base_url: str) -> list[int]:
    """The processes of the portal server under test (supervisor and workers)."""
    marker = f"PORTAL_BASE_URL={base_url}\0".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    assert pids, "the portal server's processes were not found"
    return pids


def _spooled_bytes(pids: list[int]) -> int:
    """Bytes of the files in the temporary folder (named or not) the server holds open."""
    tmp = os.path.realpath(tempfile.gettempdir())
    total = 0
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd).removesuffix(" (deleted)")
                if os.path.dirname(target) == tmp:
                    total += os.stat(fd).st_size
            except OSError:
                continue
    return total


def _session_cookie(db, make: Factory) -> str:
    account = make.account()
    with db() as session:
        contact = session.get(ClientContact, account.contact.id)
        opened = open_session(
            session, contact=contact, kind="password", lifetime=timedelta(hours=1)
        )
    return f"{get_settings().session_cookie_name}={opened.token}"


def _small_body() -> bytes:
    return _part_head("note.txt") + b"hello" + PART_TAIL


def test_upload_without_a_session_cookie_is_refused(base_url: str):
    body = _small_body()
    with _connect(base_url) as sock:
        sock.sendall(_request_head(base_url, length=len(body), cookie=None) + body)
        assert _status(sock) in (401, 403)
    # A cookie that names no session is no better than none.
    with _connect(base_url) as sock:
        cookie = f"{get_settings().session_cookie_name}={'a' * 43}"
        sock.sendall(_request_head(base_url, length=len(body), cookie=cookie) + body)
        assert _status(sock) in (401, 403)


def test_a_declared_huge_body_is_answered_413_before_it_is_sent(base_url: str):
    pids = _server_pids(base_url)
    before = _spooled_bytes(pids)
    with _connect(base_url) as sock:
        sock.sendall(_request_head(base_url, length=800 * 1024 * 1024, cookie=None))
        sock.sendall(_part_head())
        sent = 0
        if not _answered(sock, wait=5):
            # Today's Reflex reads (and spools) whatever comes; give it 8 MiB to do so.
            sent = _send_body(sock, 8 * 1024 * 1024, chunked=False)
            time.sleep(0.5)
        spooled = _spooled_bytes(pids) - before
        assert _answered(sock, wait=5), f"no answer after {sent} bytes ({spooled} spooled)"
        assert _status(sock) == 413
    assert sent == 0, f"the server waited for {sent} bytes of body before answering"
    assert spooled <= 0, f"{spooled} bytes were spooled to {tempfile.gettempdir()}"


def test_a_streamed_body_past_the_limit_is_cut_off_at_the_limit(base_url: str, db, make: Factory):
    cookie = _session_cookie(db, make)
    pids = _server_pids(base_url)
    before = _spooled_bytes(pids)
    total = LIMIT + 16 * 1024 * 1024  # more than socket buffers hold in flight
    with _connect(base_url) as sock:
        # No Content-Length: only counting the bytes as they arrive can stop this one.
        sock.sendall(_request_head(base_url, length=None, cookie=cookie))
        head = _part_head()
        sock.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        sent = _send_body(sock, total, chunked=True)
        if not _answered(sock):
            # Not cut off: finish the request so that today's server answers at all.
            sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(PART_TAIL), PART_TAIL))
        assert _answered(sock, wait=30)
        status = _status(sock)
    assert status == 413, f"{status} after {sent} bytes"
    assert sent < total, "the server read the whole body before answering"
    time.sleep(0.5)
    assert _spooled_bytes(pids) - before <= 0, "temporary files were left behind"


def test_a_signed_in_upload_within_the_limit_gets_through(base_url: str, db, make: Factory):
    cookie = _session_cookie(db, make)
    body = _part_head("note.txt") + b"x" * (2 * 1024 * 1024) + PART_TAIL
    with _connect(base_url) as sock:
        sock.sendall(_request_head(base_url, length=len(body), cookie=cookie) + body)
        # Reflex answers the upload itself (the handler then decides what to keep).
        assert _status(sock) == 200
