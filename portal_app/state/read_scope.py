"""A database session for a page event that only reads, without BEGIN and COMMIT on PostgreSQL.

psycopg opens a transaction with a BEGIN of its own before a session's first statement and
ends it with a COMMIT, each a blocking round trip on the worker's event loop (Reflex runs our
synchronous handlers there). The invoice list's events (a load, a page turn, a refresh) only
read: a session check, the ledger stamp, the page and "Pay all due". In PostgreSQL's default
READ COMMITTED every statement takes its own snapshot, inside a transaction or not, so running
those statements in autocommit reads exactly what the transaction read, two round trips
fewer (issue 25: BEGIN and COMMIT were ~14% of a loaded worker's event loop).

The portal's events take their connections from `core.db.get_read_engine()`: an engine of its
own whose connections are put in autocommit once, when opened, so the pool of `session_scope`
never holds an autocommit connection and nothing is switched per event (SQLAlchemy's switch on
checkout and back on return was ~2% of a loaded worker's CPU, issue 25). An engine passed in
explicitly (tests, benches on a schema of their own) is switched that way instead, on its own
pool: `autocommit_engine`; either way a connection handed out to `session_scope` afterwards
opens transactions as before (tests/state/test_read_scope.py).
SQLite keeps `session_scope`: sqlite3 begins nothing before a SELECT anyway, and its write lock
rules live in core/db.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlmodel import Session

from portal_app.core.db import get_read_engine, session_scope

_AUTOCOMMIT: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def autocommit_engine(engine: Engine) -> Engine | None:
    """`engine` with its connections switched to autocommit on checkout (same pool), or None
    when it is not PostgreSQL: for an engine a caller passes in."""
    if engine.dialect.name != "postgresql":
        return None
    found = _AUTOCOMMIT.get(engine)
    if found is None:
        found = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found


@contextmanager
def read_scope(engine: Engine | None = None) -> Iterator[Session]:
    """`session_scope` for an event that only reads: its statements in autocommit on
    PostgreSQL (no BEGIN, no COMMIT). A write made in it is committed statement by statement,
    so only a write that is one statement belongs here (the invoice page's view record)."""
    if engine is None:
        scope = session_scope(get_read_engine())
    else:
        scope = session_scope(autocommit_engine(engine) or engine)
    with scope as session:
        yield session
