"""The throttle itself, on the memory store and on Redis (when one answers at 127.0.0.1:6379)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest

from portal_app.core.settings import get_settings
from portal_app.services.identity import throttle
from tests.helpers.throttle import in_parallel

REDIS = "redis://127.0.0.1:6379"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["memory://", REDIS])
def store(request, monkeypatch) -> Iterator[str]:
    """The throttle on each kind of store; yields a scope of its own for the test."""
    if request.param == REDIS and not _redis_up():
        pytest.skip("no Redis at 127.0.0.1:6379")
    monkeypatch.setenv("PORTAL_RATE_LIMIT_STORAGE", request.param)
    get_settings.cache_clear()
    throttle._limiter_for.cache_clear()
    yield f"test-{uuid.uuid4().hex}"
    monkeypatch.delenv("PORTAL_RATE_LIMIT_STORAGE")
    get_settings.cache_clear()
    throttle._limiter_for.cache_clear()


def _email() -> str:
    return f"t-{uuid.uuid4().hex[:12]}@example.test"


def _ip() -> str:
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


LIMIT = 5  # settings.login_max_failures by default


def test_the_default_limit():
    assert get_settings().login_max_failures == LIMIT


def test_parallel_attempts_from_one_address_let_the_limit_through(store):
    ip = _ip()
    results = in_parallel(40, lambda _i: str(throttle.allow_attempt(store, _email(), ip)))
    assert results.count("True") == LIMIT


def test_parallel_attempts_at_one_account_let_the_limit_through(store):
    email = _email()
    results = in_parallel(40, lambda _i: str(throttle.allow_attempt(store, email, _ip())))
    assert results.count("True") == LIMIT


def test_the_account_key_ignores_case_and_spaces(store):
    for i in range(LIMIT):
        assert throttle.allow_attempt(store, f"  Someone@Example.TEST{' ' * i}", _ip())
    assert not throttle.allow_attempt(store, "someone@example.test", _ip())


def test_an_attempt_refused_at_the_address_counts_nothing_against_the_account(store):
    ip, victim = _ip(), _email()
    for _ in range(LIMIT):
        assert throttle.allow_attempt(store, _email(), ip)
    for _ in range(3 * LIMIT):
        assert not throttle.allow_attempt(store, victim, ip)
    for _ in range(LIMIT):
        assert throttle.allow_attempt(store, victim, _ip())


def test_success_clears_the_account_and_gives_back_only_its_own_address_attempt(store):
    ip, own = _ip(), _email()
    for _ in range(LIMIT - 2):
        assert throttle.allow_attempt(store, _email(), ip)
    # Several correct sign-ins in a row: each is given back, the failures stay.
    for _ in range(3):
        for _ in range(LIMIT - 1):
            assert throttle.allow_attempt(store, own, _ip())
        assert throttle.allow_attempt(store, own, ip)
        throttle.attempt_succeeded(store, own, ip)
    assert throttle.allow_attempt(store, _email(), ip)
    assert throttle.allow_attempt(store, _email(), ip)
    assert not throttle.allow_attempt(store, _email(), ip)
    # The account's own count was cleared by the success.
    for _ in range(LIMIT - 1):
        assert throttle.allow_attempt(store, own, _ip())
