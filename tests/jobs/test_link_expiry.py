"""The link-expiry job: long-ended sessions deleted, stale hand-off codes and locks cleared."""

import uuid
from datetime import date, timedelta

from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.jobs.link_expiry import SESSION_RETENTION_DAYS, expire_links
from portal_app.models import AuthSession


def _session_row(session, contact, **kw) -> AuthSession:
    row = AuthSession(
        company_id=contact.company_id,
        contact_id=contact.id,
        token_hash=uuid.uuid4().hex,
        kind="password",
        **kw,
    )
    session.add(row)
    session.flush()
    return row


def test_old_sessions_go_current_ones_stay(make, session, job_ctx):
    contact = make.contact(make.client(make.company()))
    now = utcnow()
    long_gone = _session_row(
        session, contact, expires_at=now - timedelta(days=SESSION_RETENTION_DAYS + 1)
    )
    recently_ended = _session_row(session, contact, expires_at=now - timedelta(days=1))
    revoked_long_ago = _session_row(
        session,
        contact,
        expires_at=now + timedelta(hours=1),
        revoked_at=now - timedelta(days=SESSION_RETENTION_DAYS + 2),
    )
    live = _session_row(
        session,
        contact,
        expires_at=now + timedelta(hours=1),
        handoff_hash=uuid.uuid4().hex,
        handoff_expires_at=now - timedelta(minutes=5),
    )
    fresh_handoff = _session_row(
        session,
        contact,
        expires_at=now + timedelta(hours=1),
        handoff_hash=uuid.uuid4().hex,
        handoff_expires_at=now + timedelta(minutes=1),
    )
    ids = [r.id for r in (long_gone, recently_ended, revoked_long_ago, live, fresh_handoff)]
    counts = expire_links(job_ctx(date.today()))
    assert counts["sessions_deleted"] >= 2 and counts["handoffs_cleared"] >= 1
    left = {
        r.id: r
        for r in session.exec(
            select(AuthSession)
            .where(AuthSession.id.in_(ids))  # type: ignore[union-attr]
            .execution_options(populate_existing=True)
        )
    }
    assert set(left) == {recently_ended.id, live.id, fresh_handoff.id}
    assert left[live.id].handoff_hash is None
    assert left[fresh_handoff.id].handoff_hash is not None
    # A second run takes nothing more of these.
    expire_links(job_ctx(date.today()))
    still = session.exec(select(AuthSession.id).where(AuthSession.id.in_(ids))).all()  # type: ignore[union-attr]
    assert set(still) == set(left)
