"""Helpers for throttling tests: many attempts at once, and a limiter store with latency."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from limits import storage, strategies


def in_parallel(count: int, attempt: Callable[[int], str]) -> list[str]:
    """Run `attempt(i)` for i in range(count) in threads released together; their results."""
    barrier = threading.Barrier(count)
    results: list[str] = [""] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = attempt(index)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


class Counter:
    """A thread-safe count of calls."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


class SlowMemoryStorage(storage.MemoryStorage):
    """The memory store with the latency of a network round trip before each operation, as a
    Redis store has: a check and a later count are then far apart in time."""

    DELAY = 0.01

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        time.sleep(self.DELAY)
        return super().acquire_entry(key, limit, expiry, amount)

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        time.sleep(self.DELAY)
        return super().get_moving_window(key, limit, expiry)


def slow_limiter() -> strategies.MovingWindowRateLimiter:
    """A fresh moving-window limiter on SlowMemoryStorage."""
    return strategies.MovingWindowRateLimiter(SlowMemoryStorage())
