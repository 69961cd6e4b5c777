"""Live money pages: one ledger poll per worker, and a refresh pushed to the tabs it concerns.

Pages that show money (the invoice list and an invoice) refresh themselves when a payment
lands elsewhere (a webhook, another tab). A page load registers its tab here (`LedgerPush.
watch`: which client, which page, which refresh event, and the ledger stamp its data is at
least as new as). One task per worker process polls the stamps of every registered client
in one batched query per interval and, for each tab whose client's stamp moved, enqueues
that page's refresh event through Reflex's event processor, as if the tab had asked.

This replaced a background `watch` event per page load: Reflex cancels a page's event chain
(background tasks included) on every navigation, so each page view paid a whole extra event
(the tab's state lock, its state read from Redis) just to start polling; bench/load.py showed
that as ~30% of the server's CPU. A registration ends when the tab's page changes (every event
a tab sends passes `TabPageMiddleware`, which notes the tab's current path in this process;
a tab's websocket, and so all its events, live in one worker), or after WATCH_MINUTES.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

import reflex as rx
from reflex_base.event.context import EventContext

from portal_app.core.db import session_scope
from portal_app.services.payments import ledger_stamp
from portal_app.services.payments.ledger_stamp import ClientKey

log = logging.getLogger(__name__)

# Tabs whose page is remembered per worker; the oldest are forgotten beyond this.
MAX_TABS = 100_000


class TabPages:
    """The path each tab of this worker last sent an event from (by Reflex token)."""

    def __init__(self, limit: int = MAX_TABS):
        self._paths: dict[str, str] = {}
        self._limit = limit

    def note(self, token: str, path: str) -> None:
        if not token:
            return
        self._paths.pop(token, None)  # re-insert: the dict stays ordered oldest first
        self._paths[token] = path
        if len(self._paths) > self._limit:
            del self._paths[next(iter(self._paths))]

    def path(self, token: str) -> str | None:
        return self._paths.get(token)


TAB_PAGES = TabPages()


class TabPageMiddleware(rx.Middleware):
    """Notes the page of every event's tab in TAB_PAGES; never changes the event."""

    async def preprocess(self, app, state, event):
        try:
            token = EventContext.get().token
        except LookupError:  # pragma: no cover - Reflex sets it for every event
            return None
        TAB_PAGES.note(token, state.router.url.path or "")
        return None


def _fetch_stamps(keys: Collection[ClientKey]) -> dict[ClientKey, str]:
    with session_scope() as db:
        return ledger_stamp.ledger_stamps(db, clients=keys)


@dataclass
class Watcher:
    """A tab showing a live money page in this worker."""

    client: ClientKey
    path: str  # the page; the registration ends when the tab is elsewhere
    event_name: str  # that page's refresh event (Reflex's full handler name)
    seen: str  # the ledger stamp the page's data is at least as new as
    until: float  # time.monotonic() after which it is dropped


Notify = Callable[[str, str], Awaitable[None]]  # (tab token, event name)


class LedgerPush:
    """Every `interval` seconds: one `fetch(keys)` of the registered clients' ledger stamps,
    then `notify(token, event_name)` for each tab whose client's stamp moved.

    The polling task runs while any tab is registered. A failed poll (database unreachable)
    is logged and changes nothing; the next tick tries again.
    """

    def __init__(
        self,
        interval: float,
        fetch: Callable[[Collection[ClientKey]], dict[ClientKey, str]] = _fetch_stamps,
        notify: Notify | None = None,
    ):
        self.interval = interval
        self._fetch = fetch
        self._notify = notify
        self._app = None
        self._tabs: dict[str, Watcher] = {}
        self._task: asyncio.Task | None = None
        self.polls = 0  # how many batched polls ran (for tests and benchmarks)

    def bind(self, app) -> None:
        """Send refresh events through this Reflex app's event processor."""
        self._app = app

    @property
    def watching(self) -> int:
        """How many tabs are registered."""
        return len(self._tabs)

    def seen_stamp(self, token: str, *, client: ClientKey, path: str) -> str:
        """The newest ledger stamp this worker knows for `token`'s live page at `path`: the
        one its page load read, or the one the last poll moved it to (its refresh is then on
        the way). "" when that page is not watched here (another page or client, expired,
        or a worker that never saw its load): the caller then knows nothing newer."""
        watcher = self._tabs.get(token)
        if (
            watcher is None
            or watcher.client != client
            or watcher.path != path
            or time.monotonic() > watcher.until
        ):
            return ""
        return watcher.seen

    def watch(self, token: str, watcher: Watcher) -> None:
        """Keep `token`'s page live (replacing what the tab registered before). Called from a
        page load on the worker's event loop."""
        if not token:
            return
        self._tabs[token] = watcher
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            # A context of its own: not the page load's, whose event chain a navigation
            # cancels (the refresh events it sends must not hang off that chain).
            self._task = loop.create_task(self._run(), context=contextvars.Context())

    async def _run(self) -> None:
        while self._tabs:
            await asyncio.sleep(self.interval)
            now = time.monotonic()
            for token, watcher in list(self._tabs.items()):
                if now > watcher.until or TAB_PAGES.path(token) != watcher.path:
                    del self._tabs[token]
            if not self._tabs:
                break
            keys = {watcher.client for watcher in self._tabs.values()}
            try:
                stamps = await asyncio.to_thread(self._fetch, keys)
            except Exception:  # noqa: BLE001 - an outage must not end the live pages
                log.warning("ledger poll failed; trying again next tick", exc_info=True)
                continue
            finally:
                self.polls += 1
            for token, watcher in list(self._tabs.items()):
                stamp = stamps.get(watcher.client)
                if stamp is None or stamp == watcher.seen:
                    continue
                watcher.seen = stamp
                try:
                    await self._send(token, watcher.event_name)
                except Exception:  # noqa: BLE001 - one tab's failure must not stop the rest
                    log.warning("could not send a ledger refresh", exc_info=True)
        self._task = None

    async def _send(self, token: str, event_name: str) -> None:
        if self._notify is not None:
            await self._notify(token, event_name)
            return
        if self._app is None:
            return
        from reflex_base.event import Event

        with self._app.set_contexts():
            await self._app.event_processor.enqueue(token, Event(name=event_name))
