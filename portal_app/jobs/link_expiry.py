"""Clean up expired sign-in material: old sessions and one-time hand-off codes.

Expired rows already grant nothing (every check compares `expires_at`); this job keeps the
tables small and removes hashes nobody can use. Invitations are kept: they are the record of
which link was sent to whom, and an expired link must still answer "this link has expired"
rather than "not found".
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlmodel import col

from portal_app.core.db import utcnow
from portal_app.jobs.runner import JobContext, register_job
from portal_app.models import AuthSession, InvoiceLock

# Sessions are kept this long after they end, for support questions ("was I signed in?").
SESSION_RETENTION_DAYS = 30


def expire_links(ctx: JobContext) -> dict[str, int]:
    """The job: delete long-ended sessions, clear stale hand-off codes and checkout locks."""
    now = utcnow()
    cutoff = now - timedelta(days=SESSION_RETENTION_DAYS)
    with ctx.tx() as session:
        handoffs = session.exec(
            update(AuthSession)
            .where(
                col(AuthSession.handoff_hash).is_not(None),
                col(AuthSession.handoff_expires_at) < now,
            )
            .values(handoff_hash=None, handoff_expires_at=None)
        ).rowcount
    with ctx.tx() as session:
        sessions = session.exec(
            delete(AuthSession).where(
                (col(AuthSession.expires_at) < cutoff)
                | (
                    col(AuthSession.revoked_at).is_not(None)
                    & (col(AuthSession.revoked_at) < cutoff)
                )
            )
        ).rowcount
    with ctx.tx() as session:
        locks = session.exec(delete(InvoiceLock).where(col(InvoiceLock.expires_at) < now)).rowcount
    return {"sessions_deleted": sessions, "handoffs_cleared": handoffs, "locks_released": locks}


register_job("link_expiry", expire_links)
