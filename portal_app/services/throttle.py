"""Sign-in throttling with the `limits` library (memory by default, Redis when configured)."""

from __future__ import annotations

from functools import lru_cache

from limits import RateLimitItemPerMinute, storage, strategies

from portal_app.settings import get_settings


@lru_cache(maxsize=1)
def _limiter() -> strategies.MovingWindowRateLimiter:
    return strategies.MovingWindowRateLimiter(
        storage.storage_from_string(get_settings().rate_limit_storage)
    )


def _item() -> RateLimitItemPerMinute:
    s = get_settings()
    return RateLimitItemPerMinute(s.login_max_failures, s.login_failure_window_minutes)


def _keys(scope: str, email: str, ip: str) -> list[tuple[str, ...]]:
    # Per account (stops guessing one password from many addresses) and per address.
    return [(scope, "email", email.strip().lower()), (scope, "ip", ip or "unknown")]


def is_blocked(scope: str, email: str, ip: str) -> bool:
    """True while either the account or the address has used up its failed attempts."""
    limiter, item = _limiter(), _item()
    return any(not limiter.test(item, *key) for key in _keys(scope, email, ip))


def record_failure(scope: str, email: str, ip: str) -> None:
    """Count one failed attempt against the account and the address."""
    limiter, item = _limiter(), _item()
    for key in _keys(scope, email, ip):
        limiter.hit(item, *key)


def clear(scope: str, email: str, ip: str) -> None:
    """Forget failures after a successful sign-in."""
    limiter, item = _limiter(), _item()
    for key in _keys(scope, email, ip):
        limiter.clear(item, *key)
