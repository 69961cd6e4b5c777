"""A gate in front of an upload endpoint: a signed-in session first, then a body limit enforced
while the body streams, before the endpoint reads (and spools to disk) a single byte.

No Reflex in here: portal_app/reflex_ext/asgi.py puts it in front of Reflex's `/_upload`.

- A request whose Content-Length is over the limit is answered 413 at once.
- A request without a valid client or staff session cookie is answered 401 (resolved against
  the session table, as the HTTP routes in portal_app/api do).
- Otherwise the body is counted as it arrives. At the first chunk that would pass the limit the
  endpoint is told the client went away (`http.disconnect`): Starlette's form parser stops and
  closes the temporary files it had, the endpoint's own answer is dropped and the client gets
  413. At most `max_bytes` ever reach the endpoint, whatever the headers said.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from portal_app.core.db import session_scope
from portal_app.core.settings import get_settings
from portal_app.services.identity import auth, staff_auth

log = logging.getLogger(__name__)

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]
Authorize = Callable[[Mapping[str, str], str], Awaitable[bool]]

TOO_LARGE = "The upload is larger than this portal accepts."
SIGN_IN = "Sign in to upload files."
# Reading a body is what these do; the others pass (CORS preflights among them).
GUARDED_METHODS = frozenset({"POST", "PUT", "PATCH"})


def upload_allowed(db: Session, *, cookies: Mapping[str, str], ip: str = "") -> bool:
    """Whether the cookies carry a live client (incl. staff preview) or staff session."""
    settings = get_settings()
    client_token = cookies.get(settings.session_cookie_name)
    if client_token and auth.resolve_actor(db, token=client_token, ip=ip) is not None:
        return True
    staff_token = cookies.get(settings.staff_session_cookie_name)
    return bool(
        staff_token and staff_auth.resolve_staff_actor(db, token=staff_token, ip=ip) is not None
    )


async def session_allows_upload(cookies: Mapping[str, str], ip: str) -> bool:
    """upload_allowed on a database session of its own, off the event loop."""
    settings = get_settings()
    if not (
        cookies.get(settings.session_cookie_name) or cookies.get(settings.staff_session_cookie_name)
    ):
        return False  # no cookie: no need to ask the database

    def check() -> bool:
        with session_scope() as db:
            return upload_allowed(db, cookies=cookies, ip=ip)

    return await run_in_threadpool(check)


class UploadGuard:
    """ASGI middleware guarding the upload endpoint at `path` (and below it)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        max_bytes: int,
        authorize: Authorize = session_allows_upload,
    ) -> None:
        self.app = app
        self.path = path.rstrip("/")
        self.max_bytes = max_bytes
        self.authorize = authorize

    def _guards(self, scope: MutableMapping[str, Any]) -> bool:
        if scope["type"] != "http" or scope.get("method") not in GUARDED_METHODS:
            return False
        path = scope.get("path", "")
        return path == self.path or path.startswith(self.path + "/")

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send):
        if not self._guards(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        ip = request.client.host if request.client else ""
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _refuse(scope, receive, send, 400, "Bad Content-Length.")
                return
            if int(declared) > self.max_bytes:
                await _refuse(scope, receive, send, 413, TOO_LARGE)
                return
        if not await self.authorize(request.cookies, ip):
            await _refuse(scope, receive, send, 401, SIGN_IN)
            return
        await self._limited(scope, receive, send)

    async def _limited(self, scope, receive: Receive, send: Send) -> None:
        received = 0
        over = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # This chunk never reaches the endpoint: it sees a client that went away.
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the endpoint's answer to the "disconnect"; ours is the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _refuse(scope, receive, send, 413, TOO_LARGE)


async def _refuse(scope, receive: Receive, send: Send, status: int, text: str) -> None:
    log.warning("upload refused: %s %s", status, text, extra={"http_status": status})
    # The body is not read: close the connection rather than drain it.
    response = JSONResponse({"detail": text}, status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)
