"""Throttling of sign-ins and e-mailing requests with the `limits` library (memory by default,
Redis when configured; settings.rate_limit_storage).

Every attempt is counted before anything is checked, per address and per account (e-mail), in
one atomic step each (`limiter.hit` refuses once the moving window is full), so attempts made at
the same moment cannot all slip past a check that runs before the slow password hash. At most
settings.login_max_failures attempts per window get through, per address and per account.

A correct password clears the account's count and gives back that one attempt's count on the
address; the address's earlier failures stay until the window moves past them, so signing in
to one's own account between guesses at others buys nothing. Requests that e-mail something
(password reset, ...) call `allow_attempt` alone: every request counts.
"""

from __future__ import annotations

import logging
import threading
from contextlib import nullcontext
from functools import lru_cache

from limits import RateLimitItemPerMinute, storage, strategies

from portal_app.core.settings import get_settings

log = logging.getLogger(__name__)

# limits' MemoryStorage is not made for threads calling it at once: every call may restart its
# expiry timer with no lock around that (a stress run of 40 threads at once broke the timer
# thread), and a key's own lock is made on first use by a defaultdict. Our calls into it (all
# short) take this one lock. Redis needs none: its moving window is one Lua script.
_MEMORY_LOCK = threading.Lock()


def _atomic(limiter: strategies.MovingWindowRateLimiter):
    """The lock our calls on `limiter`'s store need, if any."""
    return _MEMORY_LOCK if isinstance(limiter.storage, storage.MemoryStorage) else nullcontext()


_LIMITER_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _limiter_for(uri: str) -> strategies.MovingWindowRateLimiter:
    return strategies.MovingWindowRateLimiter(storage.storage_from_string(uri))


def _limiter() -> strategies.MovingWindowRateLimiter:
    """The process's one limiter on settings.rate_limit_storage.

    Made under a lock: threads asking at once for the first time (a burst of sign-ins after a
    start) would otherwise each make a store of their own and each count from zero.
    """
    with _LIMITER_LOCK:
        return _limiter_for(get_settings().rate_limit_storage)


def _item() -> RateLimitItemPerMinute:
    s = get_settings()
    return RateLimitItemPerMinute(s.login_max_failures, s.login_failure_window_minutes)


def _address_key(scope: str, ip: str) -> tuple[str, ...]:
    return (scope, "ip", ip or "unknown")


def _account_key(scope: str, email: str) -> tuple[str, ...]:
    return (scope, "email", email.strip().lower())


def allow_attempt(scope: str, email: str, ip: str) -> bool:
    """Count one attempt against the address, then the account; False when either is used up.

    Call it before checking anything and refuse the attempt on False. The address is counted
    first, so attempts from an address that is already refused use up nobody's account.
    """
    limiter, item = _limiter(), _item()
    with _atomic(limiter):
        if not limiter.hit(item, *_address_key(scope, ip)):
            return False
        return limiter.hit(item, *_account_key(scope, email))


def attempt_succeeded(scope: str, email: str, ip: str) -> None:
    """After a correct password: clear the account's count and give back this attempt's count
    on the address (its earlier failures stay)."""
    limiter, item = _limiter(), _item()
    with _atomic(limiter):
        limiter.clear(item, *_account_key(scope, email))
        _give_back(limiter, item.key_for(*_address_key(scope, ip)))


def _give_back(limiter: strategies.MovingWindowRateLimiter, key: str) -> None:
    """Remove the newest entry of a moving window: one attempt, never the whole count.

    `limits` has no call for this, so it is done on the two stores we configure (checked in
    tests/services/identity/test_throttle.py); on any other store the success simply stays counted.
    """
    store = limiter.storage
    if isinstance(store, storage.MemoryStorage):
        # MemoryStorage keeps each window newest first in `events`; its expiry timer thread
        # rewrites them under `locks[key]`.
        with store.locks[key]:
            if events := store.events.get(key):
                events.pop(0)
    elif isinstance(store, storage.RedisStorage):
        # RedisStorage keeps each window as a list, newest first (LPUSH); LPOP is atomic.
        store.get_connection().lpop(store.prefixed_key(key))
    else:
        log.debug("throttle: %s cannot give back an attempt", type(store).__name__)
