"""The "outbox" job: send the e-mails that are due (services/mail/outbox.py does the work).

It runs with the other jobs under the job lock, and more often on its own through
jobs/scheduler.run_outbox_periodically (PORTAL_OUTBOX_INTERVAL_SECONDS), under a lock of its
own, so a password-reset link does not wait for the next full job run.
"""

from __future__ import annotations

from portal_app.jobs.runner import JobContext, register_job
from portal_app.services.mail import outbox


def send_outbox(ctx: JobContext) -> dict[str, int]:
    """The job: deliver every due outbox message (one transaction per claim and outcome)."""
    return outbox.deliver_due(ctx.tx)


register_job("outbox", send_outbox)
