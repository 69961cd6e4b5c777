"""A small client of Reflex's event protocol, for tests and bench/load.py (no browser).

It does what the compiled front end does over Socket.IO: connect to `/_event` with the tab's
token in the query and the `hydrate_and_load` event in the CONNECT packet, send events with the
page's router data, and merge the deltas the backend pushes into `Tab.state` (state name →
var → value, with Reflex's `_rx_state_` suffix removed). Frontend-only events the backend asks
for (`_call_script`, `_redirect`, ...) are kept in `Tab.frontend_events`.

Sign-in goes through the real flow: the sign-in page's binding cookie from /api/auth/binding
(`bind`), then LoginState.submit answers with a script that sends the browser to
/api/auth/handoff, whose Set-Cookie is the HttpOnly session cookie; the tab then reconnects with
that cookie, as the browser's full-page navigation would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import socketio

ROOT = "reflex___state____state"
# The shells' states live under their language parent (state/ui_language.py).
LANGUAGE = f"{ROOT}.portal_app___state___ui_language____ui_language_state"
PORTAL = f"{LANGUAGE}.portal_app___state___portal____portal_state"
ON_LOAD_INTERNAL = f"{ROOT}.reflex___state____on_load_internal_state.on_load_internal"
HYDRATE_AND_LOAD = f"{ROOT}.hydrate_and_load"
SESSION_COOKIE = "portal_session"
BINDING_COOKIE = "portal_signin_binding"
VAR_SUFFIX = "_rx_state_"


def page_state(module: str, state: str) -> str:
    """Full Reflex name of a client page's State, e.g. page_state("invoices", "invoices_state")."""
    return f"{PORTAL}.portal_app___pages___client___{module}____{state}"


LOGIN = page_state("login", "login_state")
INVOICES = page_state("invoices", "invoices_state")
INVOICE_DETAIL = page_state("invoice_detail", "invoice_detail_state")


class ProtocolError(AssertionError):
    """The backend did not answer as a browser would expect (timeout, refused connect...)."""


class Tab:
    """One browser tab: a Reflex token, its cookies and one websocket to one backend."""

    def __init__(
        self, base_url: str, *, token: str | None = None, timeout: float = 15, http_session=None
    ):
        self.base_url = base_url.rstrip("/")
        # An aiohttp session shared by many tabs (bench/load.py); None: socketio makes its own.
        self.http_session = http_session
        self.token = token or str(uuid.uuid4())
        self.cookies: dict[str, str] = {}
        self.timeout = timeout
        self.path = "/"
        self.state: dict[str, dict] = {}
        self.frontend_events: list[dict] = []
        self.updates = 0
        self.update_bytes: list[int] = []
        # Raw updates since the last open(), e.g. to read the hydrate snapshot by itself.
        self.history: list[dict] = []
        self.keep_history = True
        self.replaced_tokens: list[str] = []
        self._changed = asyncio.Condition()
        self._sio: socketio.AsyncClient | None = None

    # ----------------------------------------------------------------- connection

    async def open(self, path: str, *, base_url: str | None = None, hydrate: bool = True) -> None:
        """Connect (again) to `base_url` (default: the current one) showing `path`.

        With `hydrate`, the CONNECT packet carries `hydrate_and_load`, as the front end sends
        on every (re)connect: the backend answers with the full state, then runs the page's
        on_load handlers. Without it the socket is only linked to the token.
        """
        await self.close()
        if base_url:
            self.base_url = base_url.rstrip("/")
        self.path = path
        self.history = []
        options = {"http_session": self.http_session} if self.http_session else {}
        sio = socketio.AsyncClient(reconnection=False, **options)
        sio.on("event", self._on_update, namespace="/_event")
        sio.on("new_token", self._on_new_token, namespace="/_event")
        auth = {"event": self._event(HYDRATE_AND_LOAD, {})} if hydrate else None
        # A browser sends its page's Origin with the websocket; the portal compares it with
        # the API URL to decide whether its HTTP routes are same-origin.
        headers = {"Origin": self.base_url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            await sio.connect(
                f"{self.base_url}?token={self.token}",
                socketio_path="/_event",
                transports=["websocket"],
                namespaces=["/_event"],
                headers=headers,
                auth=auth,
                wait_timeout=self.timeout,
            )
        except Exception as exc:  # socketio wraps every failure in its own types
            raise ProtocolError(f"connect to {self.base_url} failed: {exc!r}") from exc
        self._sio = sio

    async def close(self) -> None:
        """Drop the websocket (the state stays in the backend's state manager)."""
        if self._sio is not None:
            sio, self._sio = self._sio, None
            # The worker may be gone already.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sio.disconnect(), 5)

    @property
    def connected(self) -> bool:
        return self._sio is not None and self._sio.connected

    # ----------------------------------------------------------------- events

    def _event(self, name: str, payload: dict) -> dict:
        path = self.path.split("?", 1)[0]
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        router_data = {"pathname": path, "asPath": self.path}
        if query:
            router_data["query"] = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        return {"name": name, "payload": payload, "router_data": router_data}

    async def send(self, name: str, payload: dict | None = None) -> None:
        """Send one event for the page the tab is on."""
        if self._sio is None:
            raise ProtocolError("not connected")
        await self._sio.emit("event", self._event(name, payload or {}), namespace="/_event")

    async def navigate(self, path: str) -> None:
        """Client-side navigation: the front end sends on_load_internal for the new page."""
        self.path = path
        await self.send(ON_LOAD_INTERNAL)

    async def _on_new_token(self, new_token: str) -> None:
        # The backend saw the token still linked to another socket (a duplicated tab, or a
        # worker that died without unlinking it) and gave this tab a fresh one, as the front
        # end then keeps in sessionStorage.
        self.replaced_tokens.append(self.token)
        self.token = new_token

    async def _on_update(self, update: dict) -> None:
        self.updates += 1
        self.update_bytes.append(len(json.dumps(update, separators=(",", ":"))))
        if self.keep_history:
            self.history.append(update)
        for state_name, delta in (update.get("delta") or {}).items():
            merged = self.state.setdefault(state_name, {})
            for key, value in delta.items():
                merged[key.removesuffix(VAR_SUFFIX)] = value
        self.frontend_events.extend(update.get("events") or [])
        async with self._changed:
            self._changed.notify_all()

    # ----------------------------------------------------------------- waiting

    def var(self, state_name: str, name: str, default=None):
        """A var of a state as last sent by the backend."""
        return self.state.get(state_name, {}).get(name, default)

    async def wait_for(self, predicate: Callable[[Tab], object], what: str = "", timeout=None):
        """Wait until `predicate(tab)` is truthy after some update; returns its value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        async with self._changed:
            while not (result := predicate(self)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ProtocolError(f"timed out waiting for {what or predicate}")
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    continue
            return result

    async def wait_for_frontend_event(self, name: str, since: int = 0) -> dict:
        """The first frontend event called `name` received after index `since`."""

        def found(tab: Tab):
            return next((e for e in tab.frontend_events[since:] if e.get("name") == name), None)

        return await self.wait_for(found, f"frontend event {name}")

    async def snapshot(self) -> dict[str, dict]:
        """The first update since open(): the full state the backend hydrated the tab with."""
        await self.wait_for(lambda t: t.history, "hydrate snapshot")
        return {
            name: {key.removesuffix(VAR_SUFFIX): value for key, value in delta.items()}
            for name, delta in (self.history[0].get("delta") or {}).items()
        }

    async def wait_update(self, state_name: str, var: str, since: int, what: str = "") -> dict:
        """The first update after history index `since` that sets `var` of `state_name`."""

        def found(tab: Tab):
            for update in tab.history[since:]:
                delta = (update.get("delta") or {}).get(state_name) or {}
                if var + VAR_SUFFIX in delta:
                    return delta
            return None

        return await self.wait_for(found, what or f"{state_name}.{var}")

    async def wait_hydrated(self) -> None:
        await self.wait_for(lambda t: t.var(ROOT, "is_hydrated") is True, "is_hydrated")


def script_url(event: dict) -> str:
    """The URL a `_call_script` event's `window.location.replace("...")` goes to."""
    code = str((event.get("payload") or {}).get("javascript_code", ""))
    match = re.search(r'window\.location\.replace\(("(?:[^"\\]|\\.)*")\)', code)
    if not match:
        raise ProtocolError(f"no location.replace in {code[:200]}")
    return json.loads(match.group(1))


async def bind(tab: Tab) -> str:
    """Give `tab` its sign-in binding cookie, as the sign-in page's trip through
    /api/auth/binding does (before its websocket connects); return the value."""
    async with httpx.AsyncClient(base_url=tab.base_url, timeout=tab.timeout) as http:
        response = await http.get(
            "/api/auth/binding", params={"next": "/client/login"}, follow_redirects=False
        )
    value = response.cookies.get(BINDING_COOKIE)
    if not value:
        raise ProtocolError(f"binding route answered {response.status_code} without a cookie")
    tab.cookies[BINDING_COOKIE] = value
    return value


async def sign_in(tab: Tab, email: str, password: str, next_path: str = "/client/invoices"):
    """Sign `tab` in through the login form's event and the handoff route; end on next_path.

    Returns the handoff response's session cookie value.
    """
    if BINDING_COOKIE not in tab.cookies:
        await bind(tab)
    await tab.open(f"/client/login?next={next_path}")
    await tab.wait_hydrated()
    since = len(tab.frontend_events)
    await tab.send(f"{LOGIN}.submit", {"form_data": {"email": email, "password": password}})
    script = await tab.wait_for_frontend_event("_call_script", since)
    binding = {BINDING_COOKIE: tab.cookies[BINDING_COOKIE]}
    async with httpx.AsyncClient(
        base_url=tab.base_url, timeout=tab.timeout, cookies=binding
    ) as http:
        response = await http.get(script_url(script), follow_redirects=False)
    cookie = response.cookies.get(SESSION_COOKIE)
    if response.status_code not in (302, 303, 307) or not cookie:
        raise ProtocolError(f"handoff answered {response.status_code} without a session cookie")
    tab.cookies[SESSION_COOKIE] = cookie
    # The browser's full-page load of next_path: a new socket, same tab token, with the cookie.
    target = urlsplit(response.headers["location"])
    await tab.open(target.path + (f"?{target.query}" if target.query else ""))
    return cookie
