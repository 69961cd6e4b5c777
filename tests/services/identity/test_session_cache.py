"""The session check kept per token (services/identity/session_cache.py): reused between the
events of a tab while the change channel is up, and refused on the very next check once the
session ends, in this worker or (through the channel) in another one.

Each "event" is its own database session on the test's connection, as a page event's is; the
test's outer transaction is rolled back afterwards. The channel is a real Redis (skipped when
none answers).
"""

from __future__ import annotations

import os
import time
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
from portal_app.models import AuthSession, ClientContact
from portal_app.services.identity import auth, session_cache
from tests.conftest import TEST_PASSWORD

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def channel(monkeypatch) -> Redis:
    """A worker configured with Redis, as with several workers; the client publishes as
    another process would."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    monkeypatch.setattr(get_settings(), "redis_url", REDIS_URL)
    # Until the subscription is confirmed nothing is kept: wait for it.
    deadline = time.monotonic() + 5
    while session_cache.current_generation() is None:
        assert time.monotonic() < deadline, "subscription never confirmed"
        time.sleep(0.01)
    return client


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
def queries(session) -> Iterator[list[str]]:
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


def _message_reached_the_worker() -> None:
    """Wait (at most a second) until a message is readable on this worker's subscription."""
    subscription = session_cache._subscription
    assert subscription is not None and subscription._pubsub is not None
    assert subscription._pubsub.connection.can_read(timeout=1.0), "no message arrived"


def _session_checks(queries: list[str]) -> int:
    # The check's own query (it also reads the company's modules), not sign-out's look-up.
    return sum(
        1 for sql in queries if "auth_session.token_hash" in sql and "enabled_modules" in sql
    )


def test_a_tabs_next_events_reuse_the_check(make, session, channel, events, queries):
    _, opened = _signed_in(make, session)
    with events() as db:
        first = auth.resolve_actor(db, token=opened.token, ip="198.51.100.1")
    with events() as db:
        again = auth.resolve_actor(db, token=opened.token, ip="198.51.100.2")

    assert _session_checks(queries) == 1
    assert again.session_id == first.session_id and again.contact_id == first.contact_id
    assert again.ip == "198.51.100.2"  # the event's own address, never the kept one


def test_without_redis_nothing_is_kept(make, session, events, queries, monkeypatch):
    # A job run from cron could revoke with no channel to say so: the query decides.
    monkeypatch.setattr(get_settings(), "redis_url", None)
    _, opened = _signed_in(make, session)
    for _ in range(3):
        with events() as db:
            assert auth.resolve_actor(db, token=opened.token) is not None
    assert _session_checks(queries) == 3


def test_with_the_channel_down_nothing_is_kept(make, session, events, queries, monkeypatch):
    # Nothing listens on port 1: the subscription fails, every event runs the query.
    monkeypatch.setattr(get_settings(), "redis_url", "redis://127.0.0.1:1/0")
    _, opened = _signed_in(make, session)
    for _ in range(3):
        with events() as db:
            assert auth.resolve_actor(db, token=opened.token) is not None
    assert _session_checks(queries) == 3


def test_sign_out_in_another_tab_refuses_the_very_next_event(
    make, session, channel, events, queries
):
    _, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None

    with events() as db:  # the other tab signs out (the logout route)
        assert auth.sign_out(db, token=opened.token) is True
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is None
    assert _session_checks(queries) == 2


def test_a_bulk_revocation_refuses_the_next_event(make, session, channel, events):
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


def test_a_disabled_contact_is_refused_on_the_next_event(make, session, channel, events):
    contact, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    with events() as db:
        row = db.get(ClientContact, contact.id)
        row.portal_enabled = False
        db.add(row)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is None


def test_an_uncommitted_revocation_is_seen_in_its_own_session(make, session, channel, events):
    _, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    with events() as db:
        row = db.get(AuthSession, opened.session_id)
        row.revoked_at = utcnow()
        db.add(row)
        assert auth.resolve_actor(db, token=opened.token) is None
        db.rollback()


def test_expiry_ends_a_kept_check_without_any_write(make, session, channel, events):
    _, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    generation = session_cache.current_generation()
    kept = session_cache.lookup(session, token_hash(opened.token), generation, utcnow())
    assert kept is not None

    later = kept.expires_at + timedelta(seconds=1)
    assert session_cache.lookup(session, token_hash(opened.token), generation, later) is None


def test_a_sign_in_elsewhere_keeps_the_other_checks(make, session, channel, events, queries):
    # The contact's last sign-in time changes; nothing that decides a session does.
    contact, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    with events() as db:
        auth.sign_in(db, email=contact.email, password=TEST_PASSWORD, ip="192.0.2.77")
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    assert _session_checks(queries) == 1


def test_another_workers_announcement_ends_the_kept_checks(make, session, channel, events, queries):
    _, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    assert _session_checks(queries) == 1

    # What another process's commit of a revocation publishes. Redis writes the message in
    # the same pass as the PUBLISH reply, but may write the reply first: a page's next event
    # comes a network round trip later, this test's next line a few microseconds later.
    assert channel.publish(session_cache.channel(), b"1") >= 1
    _message_reached_the_worker()
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    assert _session_checks(queries) == 2


def test_another_databases_announcement_keeps_the_checks(
    make, session, channel, events, queries, monkeypatch
):
    # Another deployment or test run on the same Redis server (pub/sub ignores the db
    # number): its revocations cannot concern this database's sessions.
    _, opened = _signed_in(make, session)
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    ours = session_cache.channel()
    with monkeypatch.context() as other:
        other.setattr(get_settings(), "database_url", "postgresql+psycopg://elsewhere/other")
        theirs = session_cache.channel()
    assert theirs != ours
    assert channel.publish(theirs, b"1") == 0  # nobody of this database listens there
    with events() as db:
        assert auth.resolve_actor(db, token=opened.token) is not None
    assert _session_checks(queries) == 1


def test_a_commit_of_a_revocation_is_published(make, session, channel, events):
    _, opened = _signed_in(make, session)
    listener = channel.pubsub()
    listener.subscribe(session_cache.channel())
    assert listener.get_message(timeout=2)["type"] == "subscribe"

    with events() as db:
        assert auth.sign_out(db, token=opened.token) is True
    message = listener.get_message(timeout=2)
    listener.close()
    assert message is not None and message["type"] == "message"


def test_a_revocation_is_published_even_after_a_savepoint_rolled_back(
    make, session, channel, events
):
    """A watched change flushed, then an unrelated savepoint rolled back in the same
    transaction (a conditional step that lost), then the commit: still announced."""
    _, opened = _signed_in(make, session)
    listener = channel.pubsub()
    listener.subscribe(session_cache.channel())
    assert listener.get_message(timeout=2)["type"] == "subscribe"

    with events() as db:
        assert auth.sign_out(db, token=opened.token) is True
        db.flush()
        savepoint = db.begin_nested()
        savepoint.rollback()
    message = listener.get_message(timeout=2)
    listener.close()
    assert message is not None and message["type"] == "message"
