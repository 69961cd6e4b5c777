"""A Reflex event cancelled while taking its tab's Redis lock must not leave the lock behind
(the tab's next event would wait 10 s for it to expire)."""

from __future__ import annotations

import asyncio

from reflex.istate.manager.redis import StateManagerRedis

from portal_app.reflex_ext import redis_lock_fix


class FakeRedis:
    """SET NX with a reply that takes a while, and the release script, in a dict."""

    def __init__(self, reply_delay: float = 0.05):
        self.data: dict[bytes, bytes] = {}
        self.reply_delay = reply_delay

    async def set(self, key, value, px=None, nx=False):
        granted = not (nx and key in self.data)
        if granted:
            self.data[key] = value
        await asyncio.sleep(self.reply_delay)  # the reply is still on its way
        return True if granted else None

    async def eval(self, script, numkeys, key, value):
        assert "redis.call('get', KEYS[1]) == ARGV[1]" in script
        if self.data.get(key) == value:
            del self.data[key]
            return 1
        return 0


class Manager:
    lock_expiration = 10_000

    def __init__(self, redis: FakeRedis):
        self.redis = redis


async def _cancel_mid_set(try_get_lock, manager: Manager) -> None:
    task = asyncio.create_task(try_get_lock(manager, b"tab_lock", b"event-1"))
    await asyncio.sleep(0.01)  # the SET has been granted, its reply not yet read
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the cancel was swallowed")


def test_unpatched_reflex_leaks_the_lock():
    manager = Manager(FakeRedis())
    asyncio.run(_cancel_mid_set(_original(), manager))
    assert manager.redis.data == {b"tab_lock": b"event-1"}


def test_a_cancelled_attempt_gives_the_lock_back():
    manager = Manager(FakeRedis())
    patched = redis_lock_fix.shielded_try_get_lock(_original())
    asyncio.run(_cancel_mid_set(patched, manager))
    assert manager.redis.data == {}


def test_another_events_lock_is_never_released():
    redis = FakeRedis()
    redis.data[b"tab_lock"] = b"someone-else"
    manager = Manager(redis)
    patched = redis_lock_fix.shielded_try_get_lock(_original())
    asyncio.run(_cancel_mid_set(patched, manager))
    assert redis.data == {b"tab_lock": b"someone-else"}


def test_uncancelled_attempts_answer_as_before():
    manager = Manager(FakeRedis(reply_delay=0))
    patched = redis_lock_fix.shielded_try_get_lock(_original())

    async def twice():
        return await patched(manager, b"k", b"a"), await patched(manager, b"k", b"b")

    assert asyncio.run(twice()) == (True, None)
    assert manager.redis.data == {b"k": b"a"}


def test_install_is_idempotent():
    redis_lock_fix.install()
    patched = StateManagerRedis._try_get_lock
    redis_lock_fix.install()
    assert StateManagerRedis._try_get_lock is patched
    assert patched.portal_shielded
    assert StateManagerRedis._lock_waiter.portal_shielded


def _original():
    """Reflex's own _try_get_lock, whether or not the patch is installed in this process."""
    method = StateManagerRedis._try_get_lock
    return getattr(method, "portal_original", method)


class Waiters:
    """The parts of StateManagerRedis that its lock waiter queue uses."""

    _debug_enabled = False

    def __init__(self):
        self._lock_waiters: dict[bytes, list[asyncio.Event]] = {}
        self._state_manager_lock = asyncio.Lock()

    _notify_next_waiter = StateManagerRedis._notify_next_waiter


async def _woken_then_cancelled(lock_waiter) -> bool:
    """Two events wait for a tab's lock; the release wakes the first, which is then cancelled
    before taking the lock. Whether the second one hears about the release."""
    manager = Waiters()
    entered = asyncio.Event()
    second_woken = asyncio.Event()

    async def first():
        async with lock_waiter(manager, b"tab_lock") as event:
            entered.set()
            await event.wait()
            await asyncio.sleep(10)  # woken, then cancelled before it takes the lock

    async def second():
        await entered.wait()
        async with lock_waiter(manager, b"tab_lock") as event:
            await event.wait()
            second_woken.set()

    one, two = asyncio.create_task(first()), asyncio.create_task(second())
    await asyncio.sleep(0.01)
    manager._notify_next_waiter(b"tab_lock")  # the lock was released: wake the first waiter
    await asyncio.sleep(0.01)
    one.cancel()
    try:
        await asyncio.wait_for(second_woken.wait(), 0.5)
    except TimeoutError:
        return False
    finally:
        two.cancel()
        await asyncio.gather(one, two, return_exceptions=True)
    return True


def _original_waiter():
    method = StateManagerRedis._lock_waiter
    return getattr(method, "portal_original", method)


def test_unpatched_reflex_loses_the_wake_up():
    assert asyncio.run(_woken_then_cancelled(_original_waiter())) is False


def test_a_cancelled_waiter_passes_the_wake_up_on():
    patched = redis_lock_fix.baton_passing_lock_waiter(_original_waiter())
    assert asyncio.run(_woken_then_cancelled(patched)) is True
