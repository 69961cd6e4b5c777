"""The app's backend exception handler: outages get "briefly unavailable", anything else a
plain "something went wrong"; neither shows exception details to the browser."""

from __future__ import annotations

import logging

import pytest
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

from portal_app.backend_errors import (
    FAILED_MESSAGE,
    UNAVAILABLE_MESSAGE,
    backend_exception_handler,
    is_outage,
)
from portal_app.core.errors import NotFoundError, ReadOnlyError, ThrottledError, ValidationError


def _script(spec) -> str:
    return str(spec.args)


def _wrapped(inner: Exception) -> Exception:
    try:
        try:
            raise inner
        except Exception as exc:
            raise RuntimeError("while loading the page") from exc
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(
    "exception",
    [
        sa_errors.OperationalError("SELECT 1", {}, OSError("connection refused")),
        sa_errors.InterfaceError("SELECT 1", {}, OSError("connection closed")),
        sa_errors.TimeoutError("QueuePool limit reached"),
        redis_errors.ConnectionError("Error 111 connecting to 127.0.0.1:6379"),
        redis_errors.TimeoutError("Timeout reading from socket"),
        ConnectionResetError("reset by peer"),
        _wrapped(redis_errors.ConnectionError("Error 111")),
    ],
)
def test_outages_say_briefly_unavailable(exception, caplog):
    assert is_outage(exception)
    with caplog.at_level(logging.WARNING, logger="portal_app.errors"):
        spec = backend_exception_handler(exception)
    assert UNAVAILABLE_MESSAGE in _script(spec)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert caplog.records[0].exc_info is None  # one line per failed event, no traceback


@pytest.mark.parametrize(
    "exception",
    [
        ValueError("invoice 7 has no lines"),
        sa_errors.IntegrityError("INSERT", {}, Exception("duplicate key")),
        KeyError("secret_column"),
    ],
)
def test_other_failures_are_logged_with_traceback_and_shown_plainly(exception, caplog):
    assert not is_outage(exception)
    with caplog.at_level(logging.ERROR, logger="portal_app.errors"):
        spec = backend_exception_handler(exception)
    script = _script(spec)
    assert FAILED_MESSAGE in script
    assert str(exception) not in script and type(exception).__name__ not in script
    assert caplog.records[0].exc_info is not None


def test_a_cycle_of_causes_does_not_hang():
    first, second = ValueError("a"), ValueError("b")
    first.__context__, second.__context__ = second, first
    assert not is_outage(first)


@pytest.mark.parametrize(
    ("exception", "shown"),
    [
        (NotFoundError("invoice"), "We could not find that invoice."),
        (ReadOnlyError("Sign in as staff to do this."), "Sign in as staff to do this."),
        (ValidationError("amount", "Enter an amount above zero."), "Enter an amount above zero."),
        (ThrottledError(), "Too many attempts. Please wait a few minutes and try again."),
    ],
)
def test_a_refusal_that_escapes_a_handler_shows_its_own_words(exception, shown, caplog):
    with caplog.at_level(logging.WARNING, logger="portal_app.errors"):
        spec = backend_exception_handler(exception)
    assert shown in _script(spec)
    assert FAILED_MESSAGE not in _script(spec)
    assert "Traceback" not in caplog.text
