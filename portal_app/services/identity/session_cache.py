"""The client session check, kept a few seconds per session token, revocation honoured.

Every event of a signed-in page resolves its actor (`auth.resolve_actor`): a five-table query
that was the largest single cost of a page turn. A live result is kept here, in the worker's
memory, for `TTL_SECONDS`, under the token's hash and the *session epoch* read before the
query. The epoch is a counter in Redis (one GET per event, far cheaper than the query) bumped
after any commit that could end or narrow a session: a session revoked or its expiry changed
(sign-out, password reset, preview end, link expiry), a contact, staff user, client, company
or e-mailed link changed or deleted. A kept entry is used only while the epoch is the one it
was read under, so sign-out in one tab refuses the other tab's very next event, whichever
worker serves it; expiry is checked against the kept `expires_at` on every use.

Without Redis (development, tests) the epoch lives in this process. When Redis cannot be read
the cache is not used: the query decides, as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session

from portal_app.core.settings import get_settings
from portal_app.models import AuthSession, Client, ClientContact, Company, Invitation, StaffUser
from portal_app.services.identity.actor import Actor

log = logging.getLogger(__name__)

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000
EPOCH_KEY = "portal:session_epoch"
# Rows whose change can end a session or change what its actor is (see resolve_actor), and
# the columns that matter: other changes (a contact's last sign-in, a handoff redeemed) keep
# the entries. Deleting any of these rows, or a bulk UPDATE of their table, ends them all.
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
_FLAG = "session_epoch_bump"


@dataclass(frozen=True, slots=True)
class Kept:
    """A live session check: the actor (without the event's address) and what the session
    memo gets from the same row."""

    actor: Actor
    modules: Any
    locale: str
    expires_at: datetime
    epoch: str
    stored_at: float


_entries: OrderedDict[str, Kept] = OrderedDict()
_lock = threading.Lock()
_local_epoch = 0


@lru_cache(maxsize=4)
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def current_epoch() -> str | None:
    """The session epoch now; None when it cannot be read (then nothing kept is used)."""
    url = get_settings().redis_url
    if not url:
        return f"local:{_local_epoch}"
    try:
        value = _redis(url).get(EPOCH_KEY)
    except RedisError:
        return None
    return f"redis:{int(value or 0)}"


def bump_epoch() -> None:
    """End every kept session check, in this worker and (through Redis) in all the others."""
    global _local_epoch
    with _lock:
        _local_epoch += 1
        _entries.clear()
    url = get_settings().redis_url
    if url:
        try:
            _redis(url).incr(EPOCH_KEY)
        except RedisError:
            # Other workers keep their entries at most TTL_SECONDS longer.
            log.warning("session epoch not bumped in Redis", exc_info=True)


def lookup(session: Session, hashed: str, epoch: str | None, now: datetime) -> Kept | None:
    """The kept check for a token hash, if still valid for `epoch` and not expired at `now`;
    None also while `session` holds an uncommitted change that could end a session (the
    query sees it, so it must decide)."""
    if epoch is None or _pending_change(session):
        return None
    with _lock:
        kept = _entries.get(hashed)
    if kept is None or kept.epoch != epoch or not kept.expires_at >= now:
        return None
    if not 0 <= time.monotonic() - kept.stored_at < TTL_SECONDS:
        return None
    return kept


def keep(hashed: str, kept: Kept) -> None:
    """Remember a live check read under `kept.epoch` (oldest entries go first when full)."""
    with _lock:
        _entries[hashed] = kept
        _entries.move_to_end(hashed)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


# --------------------------------------------------------------------------- invalidation


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
    # Bulk UPDATE/DELETE statements (e.g. jobs/link_expiry.py) bypass the flush.
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _WATCHED_TABLES:
            state.session.info[_FLAG] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    # After the commit, never before: a check that reads the old row must not be kept
    # under the new epoch.
    if session.info.pop(_FLAG, False):
        bump_epoch()
    # A flag left by a rolled back change only costs one needless bump at the next commit.
