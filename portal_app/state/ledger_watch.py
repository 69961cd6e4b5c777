"""The worker's shared ledger poll, and which page each of its tabs is on.

Pages that show money (the invoice list and an invoice) refresh themselves when a payment
lands elsewhere (a webhook, another tab). Each open tab used to poll the database and take its
Redis state lock every few seconds; with hundreds of tabs per worker that was a steady share
of the worker's time. Now one task per worker process polls every watched client in one
batched query per interval (`LedgerPoller`), and each tab's watch only wakes on that tick and
compares stamps in memory. A tab's watch ends when the tab opens another page: every event a
tab sends passes `TabPageMiddleware`, which notes the tab's current path in this process
(the tab's websocket, and so all its events and its watch, live in one worker).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection

import reflex as rx
from reflex_base.event.context import EventContext

from portal_app.db import session_scope
from portal_app.services import ledger
from portal_app.services.ledger import ClientKey

log = logging.getLogger(__name__)

# Tabs whose page is remembered per worker; the oldest are forgotten beyond this.
MAX_TABS = 100_000


class TabPages:
    """The path each tab of this worker last sent an event from (token -> path), and the
    generation of the tab's newest ledger watch here."""

    def __init__(self, limit: int = MAX_TABS):
        self._paths: dict[str, str] = {}
        self._watches: dict[str, int] = {}
        self._limit = limit

    def note(self, token: str, path: str) -> None:
        if not token:
            return
        self._paths.pop(token, None)  # re-insert: the dict stays ordered oldest first
        self._paths[token] = path
        if len(self._paths) > self._limit:
            oldest = next(iter(self._paths))
            del self._paths[oldest]
            self._watches.pop(oldest, None)

    def path(self, token: str) -> str | None:
        return self._paths.get(token)

    def claim_watch(self, token: str, generation: int) -> None:
        """A watch of this generation started; an older one of the tab ends at its tick."""
        if token in self._paths:
            self._watches[token] = max(generation, self._watches.get(token, generation))

    def watch(self, token: str) -> int | None:
        return self._watches.get(token)


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
        return ledger.ledger_stamps(db, clients=keys)


class LedgerPoller:
    """One poll of `fetch(keys)` every `interval` seconds for all subscribed clients.

    `changes(key)` yields once per tick: True when the client's stamp differs from the one
    the subscriber saw last. The polling task runs while anyone is subscribed. A failed
    poll (database unreachable) is logged and reports no change; the next tick tries again.
    """

    def __init__(
        self,
        interval: float,
        fetch: Callable[[Collection[ClientKey]], dict[ClientKey, str]] = _fetch_stamps,
    ):
        self.interval = interval
        self._fetch = fetch
        self._subscribers: Counter[ClientKey] = Counter()
        self._stamps: dict[ClientKey, str] = {}
        self._tick: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self.polls = 0  # how many batched polls ran (for tests and benchmarks)

    @property
    def subscribed(self) -> int:
        """How many subscriptions are open."""
        return sum(self._subscribers.values())

    async def changes(self, key: ClientKey) -> AsyncIterator[bool]:
        """Per tick, whether `key`'s stamp changed since the last tick seen (or since the
        subscription started)."""
        self._subscribers[key] += 1
        try:
            seen = self._stamps.get(key)
            if seen is None:
                # A baseline now, so a change before the first tick is not missed.
                seen = (await asyncio.to_thread(self._fetch, [key])).get(key)
                if seen is not None:
                    self._stamps.setdefault(key, seen)
            self._ensure_running()
            while True:
                tick = self._tick
                assert tick is not None
                await tick.wait()
                current = self._stamps.get(key)
                changed = seen is not None and current is not None and current != seen
                if current is not None:
                    seen = current
                yield changed
        finally:
            self._subscribers[key] -= 1
            if self._subscribers[key] <= 0:
                del self._subscribers[key]
                self._stamps.pop(key, None)

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._task.get_loop() is loop:
            return
        self._tick = asyncio.Event()
        self._task = loop.create_task(self._run())

    async def _run(self) -> None:
        while self._subscribers:
            await asyncio.sleep(self.interval)
            keys = list(self._subscribers)
            if not keys:
                break
            try:
                stamps = await asyncio.to_thread(self._fetch, keys)
            except Exception:  # noqa: BLE001 - an outage must not end every tab's watch
                log.warning("ledger poll failed; trying again next tick", exc_info=True)
                stamps = {}
            self.polls += 1
            for key in keys:
                if key in stamps and key in self._subscribers:
                    self._stamps[key] = stamps[key]
            tick, self._tick = self._tick, asyncio.Event()
            assert tick is not None
            tick.set()
        self._task = None
