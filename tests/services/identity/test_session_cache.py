"""The session check kept per token (services/identity/session_cache.py): reused between the
events of a tab, and refused on the very next check once the session ends.

Each "event" is its own database session on the test's connection, as a page event's is; the
test's outer transaction is rolled back afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event, update
from sqlmodel import Session

from portal_app.core.db import utcnow
from portal_app.core.settings import get_settings
from portal_app.core.tokens import token_hash
from portal_app.models import AuthSession
from portal_app.services.identity import auth, session_cache
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def events(session) -> Iterator:
    """`events()`: a fresh database session (one page event) that commits at the end."""
    connection = session.connection()

    @contextmanager
    def one_event():
        db = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield db
            db.commit()
        finally:
            db.close()

    return one_event


@pytest.fixture
def queries(session) -> list[str]:
    """The SQL statements run on the test's connection from now on."""
    seen: list[str] = []
    engine = session.get_bind().engine

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _signed_in(make, session):
    contact = make.contact(make.client(make.company()))
    ip = f"203.0.113.{uuid.uuid4().int % 256}-{uuid.uuid4().hex[:8]}"
    opened = auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=ip)
    session.commit()
    return contact, opened


def _session_checks(queries: list[str]) -> int:
    # The check's own query (it also reads the company's modules), not sign-out's look-up.
    return sum(
        1 for sql in queries if "auth_session.token_hash" in sql and "enabled_modules" in sql
    )


def test_a_tabs_next_events_reuse_the_check(make, session, events, queries):
    _, opened = _signed_in(make, session)
    with events() as db:
        first = auth.resolve_actor(db, token=opened.token, ip="198.51.100.1")
    with events() as db:
        again = auth.resolve_actor(db, token=opened.token, ip="198.51.100.2")

    assert _session_checks(queries) == 1
    assert again.session_id == first.session_id and again.contact_id == first.contact_id
    assert again.ip == "198.51.100.2"  # the event's own address, never the kept one


def test_sign_out_in_another_tab_refuses_the_very_next_event(make, session, events, queries):
    _, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None

    with events() as db:  # the other tab signs out (the logout route)
        assert auth.sign_out(db, token=opened.token) is True
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is None
    assert _session_checks(queries) == 2


def test_a_bulk_revocation_refuses_the_next_event(make, session, events):
    # As jobs/link_expiry.py ends sessions: one UPDATE statement, no ORM objects.
    _, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    with events() as db:
        db.exec(  # type: ignore[call-overload]
            update(AuthSession)
            .where(AuthSession.token_hash == token_hash(opened.token))
            .values(revoked_at=utcnow())
        )
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is None


def test_a_disabled_contact_is_refused_on_the_next_event(make, session, events):
    contact, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    with events() as db:
        row = db.get(type(contact), contact.id)
        row.portal_enabled = False
        db.add(row)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is None


def test_an_uncommitted_revocation_is_seen_in_its_own_session(make, session, events):
    _, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    with events() as db:
        row = db.get(AuthSession, opened.session_id)
        row.revoked_at = utcnow()
        db.add(row)
        assert auth.resolve_actor(db, token=opened.token) is None
        db.rollback()


def test_expiry_ends_a_kept_check_without_any_write(make, session, events):
    _, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    kept = session_cache.lookup(
        session, token_hash(opened.token), session_cache.current_epoch(), utcnow()
    )
    assert kept is not None

    later = kept.expires_at + timedelta(seconds=1)
    assert (
        session_cache.lookup(
            session, token_hash(opened.token), session_cache.current_epoch(), later
        )
        is None
    )


def test_a_sign_in_elsewhere_keeps_the_other_checks(make, session, events, queries):
    # The contact's last sign-in time changes; nothing that decides a session does.
    contact, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    with events() as db:
        auth.sign_in(db, email=contact.email, password=TEST_PASSWORD, ip="192.0.2.77")
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    assert _session_checks(queries) == 1


REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def shared_epoch(monkeypatch) -> Redis:
    """The epoch in Redis, as with several workers (skipped when no Redis answers)."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    monkeypatch.setattr(get_settings(), "redis_url", REDIS_URL)
    return client


def test_a_revocation_in_another_worker_refuses_the_next_event(
    make, session, events, queries, shared_epoch
):
    _, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    assert _session_checks(queries) == 1

    before = int(shared_epoch.get(session_cache.EPOCH_KEY) or 0)
    with events() as db:
        assert auth.sign_out(db, token=opened.token) is True
    assert int(shared_epoch.get(session_cache.EPOCH_KEY) or 0) > before  # what others read

    # Another worker's bump (its sign-out) alone ends this worker's kept checks.
    _, other = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=other.token) is not None
    shared_epoch.incr(session_cache.EPOCH_KEY)
    checks = _session_checks(queries)
    with events() as db:
        assert auth.resolve_actor(db, token=other.token) is not None
    assert _session_checks(queries) == checks + 1
