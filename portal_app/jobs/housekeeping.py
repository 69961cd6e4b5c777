"""Keep stored state in step with time: lapsed quotes marked expired, built files swept.

The portal already treats a sent quote past its validity as expired when it reads it, and a
download token past its life as invalid; this job makes the stored status match for staff and
reports, and frees the disk of statement files nobody can fetch any more.
"""

from __future__ import annotations

from portal_app.jobs.runner import JobContext, register_job
from portal_app.services.billing import generated_files, quotes


def expire_lapsed_quotes(ctx: JobContext) -> dict[str, int]:
    """The job: mark sent quotes whose validity ended before today as expired."""
    with ctx.tx() as session:
        changed = quotes.expire_quotes(session, today=ctx.today)
    return {"quotes_expired": changed}


def sweep_generated_files(ctx: JobContext) -> dict[str, int]:
    """The job: remove built files (statement PDFs) whose download tokens have all lapsed."""
    return {"files_removed": generated_files.cleanup_generated()}


register_job("quote_expiry", expire_lapsed_quotes)
register_job("generated_files", sweep_generated_files)
