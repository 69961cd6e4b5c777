"""Running the jobs on a schedule inside the app: a lifespan task of every backend worker.

Every worker runs this loop; the job lock lets only one of them work at a time, and each job's
conditional claims keep even an overlap harmless, so any number of workers (on any number of
machines sharing the database) issue each invoice once. PORTAL_JOBS_INTERVAL_MINUTES sets the
period; 0 switches the in-app schedule off (then run `python -m portal_app.cli run-jobs` from
cron, or not at all, as the test servers do).
"""

from __future__ import annotations

import asyncio
import logging
import random

from portal_app.core.settings import get_settings

log = logging.getLogger(__name__)

# The first run waits this long after start, so a worker coming up is not slowed by it (and a
# restart still catches up on the day's work soon).
FIRST_RUN_DELAY_SECONDS = 30


def interval_seconds() -> int:
    """Seconds between runs, 0 when the in-app schedule is off."""
    return max(0, get_settings().jobs_interval_minutes) * 60


async def run_jobs_periodically() -> None:
    """Lifespan task: run the registered jobs every interval until the app stops."""
    from portal_app.jobs.runner import run_jobs

    period = interval_seconds()
    if period <= 0:
        log.info("scheduled jobs are off (PORTAL_JOBS_INTERVAL_MINUTES=0)")
        return
    # Spread workers started together, so they do not all knock on the lock at once.
    await asyncio.sleep(FIRST_RUN_DELAY_SECONDS + random.uniform(0, 10))  # noqa: S311
    while True:
        try:
            # The jobs use blocking database and gateway calls: keep them off the event loop.
            summary = await asyncio.to_thread(run_jobs)
            if summary.ran:
                log.info("scheduled jobs: %s", "; ".join(summary.lines()[1:]) or "nothing")
        except Exception:  # noqa: BLE001 - the schedule must survive a bad run (DB down...)
            log.exception("scheduled job run failed; trying again next interval")
        await asyncio.sleep(period)


async def run_outbox_periodically() -> None:
    """Lifespan task: send the due outbox e-mails every PORTAL_OUTBOX_INTERVAL_SECONDS."""
    period = max(0, get_settings().outbox_interval_seconds)
    if period <= 0:
        log.info("in-app outbox sending is off (PORTAL_OUTBOX_INTERVAL_SECONDS=0)")
        return
    while True:
        await asyncio.sleep(period)
        try:
            await asyncio.to_thread(send_outbox_once)
        except Exception:  # noqa: BLE001 - the schedule must survive a bad run (DB down...)
            log.exception("outbox run failed; trying again next interval")


def send_outbox_once() -> dict[str, int] | None:
    """Send the due outbox messages if no other worker is sending; None when one is."""
    from portal_app.core.db import get_engine
    from portal_app.jobs.lock import job_lock
    from portal_app.jobs.runner import engine_tx
    from portal_app.services.mail import outbox

    engine = get_engine()
    # Its own lock, not the jobs lock: a long job run must not hold mail back.
    with job_lock(engine, "outbox") as held:
        if not held:
            return None
        return outbox.deliver_due(engine_tx(engine))
