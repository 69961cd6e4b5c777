"""The payment_reminders job: queue today's payment reminders (services/billing/reminders.py)
in the outbox, one transaction per invoice; the outbox job, which runs after it, sends them."""

from __future__ import annotations

import logging
from collections import Counter

from portal_app.jobs.runner import JobContext, register_job
from portal_app.services.billing import reminders

log = logging.getLogger(__name__)


def send_payment_reminders(ctx: JobContext) -> dict[str, int]:
    """Queue the reminder of every open invoice whose schedule step is reached on `ctx.today`;
    counts by outcome (queued, sent_before, closed, opted_out, no_contact, error)."""
    with ctx.tx() as session:
        due = reminders.due_reminders(session, ctx.today)
    counts: Counter[str] = Counter()
    for invoice_id, step in due:
        try:
            with ctx.tx() as session:
                outcome = reminders.send_reminder(
                    session, invoice_id=invoice_id, step=step, today=ctx.today
                )
        except Exception:
            # One bad invoice must not stop the others' reminders.
            log.exception("payment reminder for invoice %s (step %s) failed", invoice_id, step)
            outcome = "error"
        counts[outcome] += 1
    return {"due": len(due), **counts}


register_job("payment_reminders", send_payment_reminders)
