"""The client session check, kept per session token in the worker, revocation honoured.

Every event of a signed-in page resolves its actor (`auth.resolve_actor`): a five-table query,
about a sixth of a worker's busy time under bench/load.py. A live result is kept here, in
the worker's memory, under the token's hash. What ends the kept results is a message on a
Redis pub/sub channel (`channel()`), published after the commit of anything that could end or
narrow a session: a session revoked or re-timed (sign-out, password change, preview end, link
expiry), a contact's portal access, a staff user's, a client's, a company's or an e-mailed
link's deciding columns changed, any of those rows deleted (`WATCHED_COLUMNS`). Each worker
holds one subscription and reads it *without waiting* (a poll of its socket, no round trip)
before every look-up; any message empties the whole cache. Expiry is checked against the kept
`expires_at` on every use.

The window between a revocation's commit and the message. The revoking process publishes
right after its commit returns, before its own request answers (a sign-out's redirect, a
staff form's update). Redis writes a message to every subscriber's socket in the same pass as
the PUBLISH reply (the reply may go out microseconds first), so by the time the revoker's answer
has reached a browser and a new event has come back, the message sits in each worker's socket
buffer, and each worker reads that buffer before its next look-up. So any event that follows
the revocation (the user clicked after sign-out answered, a staff member's change was saved)
is checked against the database. An event that is *concurrent*
with the revocation (arrives in the ~1 ms between commit and publish) may still pass, exactly
as it would have if it had arrived 1 ms earlier, before the commit: no causal order is broken.
Should the message be lost (the revoker dies between commit and publish, or its PUBLISH
fails), entries are kept at most `TTL_SECONDS`.

Conservative fallbacks, each meaning "no cache: the query decides, as before": no Redis
configured (a job run from cron in another process could revoke without a channel to tell
us), the subscription not confirmed yet or broken (until re-subscribed, then the cache starts
empty), no answer to our PING for `SILENCE_SECONDS` (a silently dead connection), an
uncommitted change of a watched row in the event's own database session, and a database
session that had already read before the check (its snapshot may predate a revocation whose
message we have already read; a fresh statement under PostgreSQL's READ COMMITTED cannot).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session

from portal_app.core.settings import get_settings
from portal_app.models import AuthSession, Client, ClientContact, Company, Invitation, StaffUser
from portal_app.services.identity.actor import Actor

log = logging.getLogger(__name__)

CHANNEL = "portal:session_changes"
# A kept check is used at most this long: bounds a lost message (see the module docstring).
TTL_SECONDS = 30.0
MAX_ENTRIES = 20_000
# The subscription proves itself alive with a PING answered on it (sent at most every
# PING_SECONDS, at a look-up); a PING unanswered for SILENCE_SECONDS means it is down.
PING_SECONDS = 5.0
SILENCE_SECONDS = 12.0
# After a failed (re)subscription, try again this much later (meanwhile: no cache).
RETRY_SECONDS = 1.0
# Rows whose change can end a session or change what its actor is (see resolve_actor), and
# the columns that matter: other changes (a contact's last sign-in) keep the entries.
# Deleting any of these rows, or a bulk UPDATE or DELETE of their table, ends them all.
WATCHED_COLUMNS: dict[type, tuple[str, ...]] = {
    AuthSession: (
        "revoked_at",
        "expires_at",
        "token_hash",
        "kind",
        "company_id",
        "contact_id",
        "staff_user_id",
        "invitation_id",
    ),
    ClientContact: ("portal_enabled", "client_id", "company_id"),
    StaffUser: ("is_active", "company_id"),
    Client: ("locale", "company_id"),
    Company: ("locale", "enabled_modules"),
    Invitation: ("entity_type", "entity_id"),
}
WATCHED = tuple(WATCHED_COLUMNS)
_WATCHED_TABLES = frozenset(str(model.__tablename__) for model in WATCHED)
_FLAG = "session_change_pending"


@dataclass(frozen=True, slots=True)
class Kept:
    """A live session check: the actor (without the event's address) and what the session
    memo gets from the same row."""

    actor: Actor
    modules: Any
    locale: str
    expires_at: datetime
    stored_at: float


class _Subscription:
    """This process's subscription to `channel`, read without blocking before each look-up."""

    def __init__(self, url: str, channel: str) -> None:
        self._channel = channel
        # No silent reconnect: a reconnection loses the messages of the gap, so a broken
        # connection must surface here (and empty the cache) instead.
        self._client = Redis.from_url(
            url, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
        )
        self._pubsub: Any = None
        self._confirmed = False
        self._retry_at = 0.0
        self._pinged_at = 0.0
        # When the oldest PING (or the SUBSCRIBE) still unanswered was sent.
        self._awaiting_since: float | None = None

    def sync(self, on_message) -> bool:
        """Read every message waiting on the socket (`on_message()` for each change); True
        when the subscription is confirmed and alive, so kept checks may be used."""
        now = time.monotonic()
        if self._pubsub is None:
            if now < self._retry_at:
                return False
            try:
                self._pubsub = self._client.pubsub()
                self._pubsub.subscribe(self._channel)
            except RedisError:
                self._down(now)
                return False
            self._confirmed = False
            self._pinged_at = now
            # The confirmation answers like a PING: it must come within SILENCE_SECONDS.
            self._awaiting_since = now
        try:
            while (message := self._pubsub.get_message(timeout=0.0)) is not None:
                kind = message.get("type")
                if kind == "subscribe":
                    # From here on every change reaches us; what was kept before may be stale.
                    self._confirmed = True
                    self._awaiting_since = None
                    on_message()
                elif kind == "message":
                    on_message()
                elif kind == "pong":
                    self._awaiting_since = None
            if self._awaiting_since is None and now - self._pinged_at >= PING_SECONDS:
                self._pubsub.ping()
                self._pinged_at = self._awaiting_since = now
        except (RedisError, OSError):
            self._down(now)
            return False
        if self._awaiting_since is not None and now - self._awaiting_since > SILENCE_SECONDS:
            log.warning("session change channel silent; session checks not kept")
            self._down(now)
            return False
        return self._confirmed

    def _down(self, now: float) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                self._pubsub.close()
        self._pubsub = None
        self._confirmed = False
        self._retry_at = now + RETRY_SECONDS


_entries: OrderedDict[str, Kept] = OrderedDict()
_lock = threading.Lock()
_generation = 0
_subscription: _Subscription | None = None
_subscription_key: tuple[int, str, str] | None = None
_publisher: Redis | None = None
_publisher_key: tuple[int, str] | None = None


def _clear() -> None:
    # Called with _lock held.
    global _generation
    _generation += 1
    _entries.clear()


def channel() -> str:
    """The change channel of this deployment: CHANNEL and a digest of the database URL.

    Sessions live in the database, so only processes of the same database can change them;
    another deployment or test run on the same Redis server (pub/sub ignores Redis's db
    number) then never empties this one's cache."""
    digest = hashlib.sha256(get_settings().database_url.encode()).hexdigest()[:16]
    return f"{CHANNEL}:{digest}"


def current_generation() -> int | None:
    """Read the change channel; the generation kept checks are valid for, or None when
    nothing may be kept now (no Redis, subscription down). Call before the query."""
    global _subscription, _subscription_key
    url = get_settings().redis_url
    if not url:
        return None
    key = (os.getpid(), url, channel())
    with _lock:
        if _subscription is None or _subscription_key != key:
            # Per process (a forked worker gets its own socket), Redis URL and database.
            _subscription, _subscription_key = _Subscription(url, key[2]), key
            _clear()
        if not _subscription.sync(_clear):
            _entries.clear()
            return None
        return _generation


def lookup(session: Session, hashed: str, generation: int | None, now: datetime) -> Kept | None:
    """The kept check for a token hash, if still valid for `generation` and not expired at
    `now`; None also while `session` holds an uncommitted change that could end a session
    (the query sees it, so it must decide)."""
    if generation is None or _pending_change(session):
        return None
    with _lock:
        if generation != _generation:
            return None
        kept = _entries.get(hashed)
    if kept is None or not kept.expires_at >= now:
        return None
    if not 0 <= time.monotonic() - kept.stored_at < TTL_SECONDS:
        return None
    return kept


def keep(hashed: str, kept: Kept, generation: int) -> None:
    """Remember a live check read after `current_generation()` returned `generation`; not
    kept when a change was read since (it may have come after the query's snapshot)."""
    with _lock:
        if generation != _generation:
            return
        _entries[hashed] = kept
        _entries.move_to_end(hashed)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def may_keep(session: Session) -> bool:
    """Whether a check about to run in `session` may be kept: a fresh transaction (its
    snapshot starts with the check) or PostgreSQL, whose READ COMMITTED gives each statement
    a fresh snapshot."""
    if not session.in_transaction():
        return True
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


def announce_change() -> None:
    """End every kept session check, in this process and (through the channel) in all the
    others. Called after the commit of a watched change."""
    global _publisher, _publisher_key
    with _lock:
        _clear()
    url = get_settings().redis_url
    if not url:
        return
    key = (os.getpid(), url)
    for attempt in range(2):
        try:
            if _publisher is None or _publisher_key != key:
                _publisher = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
                _publisher_key = key
            _publisher.publish(channel(), b"1")
            return
        except RedisError:
            _publisher = None
            if attempt:
                # Other workers keep their entries at most TTL_SECONDS longer.
                log.warning("session change not announced", exc_info=True)


# --------------------------------------------------------------------------- what is a change


def _changes_a_session(session: Session) -> bool:
    """Whether the session holds an unflushed change of a watched row's watched columns."""
    if any(isinstance(obj, WATCHED) for obj in session.deleted):
        return True
    for obj in session.dirty:
        columns = WATCHED_COLUMNS.get(type(obj))
        if columns:
            attrs = sa_inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in columns):
                return True
    return False


def _pending_change(session: Session) -> bool:
    return bool(session.info.get(_FLAG)) or _changes_a_session(session)


@event.listens_for(Session, "before_flush")
def _watch_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _changes_a_session(session):
        session.info[_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _watch_statement(state: Any) -> None:
    # Bulk UPDATE/DELETE statements (ORM-enabled or on the table, e.g. jobs/link_expiry.py,
    # staff_users' revocations) bypass the flush.
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _WATCHED_TABLES:
            state.session.info[_FLAG] = True


@event.listens_for(Session, "after_commit")
def _announce_after_commit(session: Session) -> None:
    # After the commit, never before: a check that reads the old row must not be kept
    # after the message that ends it.
    if session.info.pop(_FLAG, False):
        announce_change()


# The flag is not forgotten on rollback: after_rollback also fires for a savepoint, and a
# watched change flushed before a savepoint that lost must still be announced at the commit.
# Left over after a real rollback, it only makes the session's next commit announce a change
# that was not made (every worker re-checks once), never miss one.
