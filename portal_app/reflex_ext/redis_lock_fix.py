"""Work around a Redis state-lock leak in Reflex 0.10.1 when an event is cancelled.

With the Redis state manager every event takes a per-tab lock: `SET <token>_lock <id> NX PX
10000`. Reflex cancels events that a navigation makes pointless (the rest of the previous
page's on_load chain). If that cancel lands while the `SET` is in flight, Redis has granted the
lock but the task never learns it, so nothing releases it: the tab's next event waits for the
lock to expire, 10 seconds. bench/load.py hit this on every few page changes (p99 of 10 s
with clients that go back to the list as soon as an invoice's detail is shown).

A second path to the same 10-second wait: the events of one tab waiting for its lock queue up
in the worker, and a release wakes only the first of them. If that one is cancelled after the
wake-up and before it takes the lock, the wake-up is lost and the others sleep until their
10-second re-check (seen in bench/load.py's debug log as "wait timeout" with no holder).

`install()` wraps `StateManagerRedis._try_get_lock` so the `SET` finishes even when the event
is cancelled, and a lock it took for a cancelled event is released at once (only if it still
holds our lock id); and `_lock_waiter` so a waiter that leaves without the lock passes the
wake-up on to the next one. Called once from portal_app/portal_app.py; harmless without Redis.
Remove when Reflex makes lock acquisition cancellation-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)

# Delete the lock only if it is still the one this attempt took (never another event's).
RELEASE_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def shielded_try_get_lock(original):
    """`original` (StateManagerRedis._try_get_lock) made safe to cancel."""

    async def _try_get_lock(self, lock_key: bytes, lock_id: bytes):
        attempt = asyncio.ensure_future(original(self, lock_key, lock_id))
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            # Let the SET finish; if it granted the lock, give the lock back, then stop.
            with contextlib.suppress(Exception):
                if await attempt:
                    await self.redis.eval(RELEASE_IF_OURS, 1, lock_key, lock_id)
                    log.info("released a state lock taken by a cancelled event")
            raise

    _try_get_lock.portal_shielded = True
    _try_get_lock.portal_original = original
    return _try_get_lock


def baton_passing_lock_waiter(original):
    """`original` (StateManagerRedis._lock_waiter) that hands a lost wake-up to the next waiter."""

    @contextlib.asynccontextmanager
    async def _lock_waiter(self, lock_key: bytes):
        left_without_lock = False
        try:
            async with original(self, lock_key) as lock_released_event:
                try:
                    yield lock_released_event
                except BaseException:
                    left_without_lock = True
                    raise
        finally:
            if left_without_lock:
                # A spare wake-up only costs the next waiter one more SET NX.
                self._notify_next_waiter(lock_key)

    _lock_waiter.portal_shielded = True
    _lock_waiter.portal_original = original
    return _lock_waiter


def install() -> None:
    """Patch Reflex's Redis state manager once per process."""
    from reflex.istate.manager.redis import StateManagerRedis

    if not getattr(StateManagerRedis._try_get_lock, "portal_shielded", False):
        StateManagerRedis._try_get_lock = shielded_try_get_lock(StateManagerRedis._try_get_lock)
    if not getattr(StateManagerRedis._lock_waiter, "portal_shielded", False):
        StateManagerRedis._lock_waiter = baton_passing_lock_waiter(StateManagerRedis._lock_waiter)
