"""The job runner: runs every registered job once, under the job lock, and reports what each did.

Adding a job is one call, usually at the bottom of the job's own module:

    from portal_app.jobs.runner import JobContext, register_job

    def renew_subscriptions(ctx: JobContext) -> dict[str, int]:
        with ctx.tx() as session:        # one transaction per record, committed on exit
            ...
        return {"renewed": 3}

    register_job("subscription_renewals", renew_subscriptions)

and the module's dotted name in BUILTIN_JOB_MODULES so the runner imports it. A job must be
idempotent: claim each record with a conditional UPDATE in its own transaction, never call the
gateway inside a transaction, and never raise for one bad record (log it, count it, carry on).

Jobs of the modules in BUILTIN_JOB_MODULES run in that list's order; jobs registered from
elsewhere run after them, in the order they were registered.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal_app.gateways.base import PaymentGateway
from portal_app.jobs.lock import job_lock

# Registers the commit hooks that announce session changes to the workers' kept session
# checks: a job run from cron (link expiry's bulk revocation) is a process of its own.
from portal_app.services.identity import session_cache  # noqa: F401

log = logging.getLogger(__name__)

Tx = Callable[[], AbstractContextManager[Session]]

# Modules whose import registers their jobs, in run order: invoices are issued (and auto-billed)
# before renewals, and expiry clean-up runs last.
BUILTIN_JOB_MODULES: list[str] = [
    "portal_app.jobs.recurring",
    "portal_app.jobs.subscriptions",
    "portal_app.jobs.link_expiry",
    "portal_app.jobs.housekeeping",
    "portal_app.jobs.reminders",
    "portal_app.jobs.notices",
    # Last, so the e-mails the jobs above queued go out in the same run.
    "portal_app.jobs.outbox",
]


@dataclass
class JobContext:
    """What a job gets: the day it runs for, transactions, and the payment gateway."""

    tx: Tx  # `with ctx.tx() as session:` is one transaction, committed when the block ends
    today: date
    gateway: PaymentGateway | None = None

    def get_gateway(self) -> PaymentGateway:
        """The gateway given to the run, else the configured one (created on first use)."""
        if self.gateway is None:
            from portal_app.gateways.factory import get_gateway

            self.gateway = get_gateway()
        return self.gateway


JobFunc = Callable[[JobContext], dict[str, int]]


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    func: JobFunc


# The registry: (name, callable) in run order.
JOBS: list[Job] = []


def register_job(name: str, func: JobFunc) -> JobFunc:
    """Add a job to the runner under `name` (registering the same name again replaces it)."""
    for index, existing in enumerate(JOBS):
        if existing.name == name:
            JOBS[index] = Job(name, func)
            return func
    JOBS.append(Job(name, func))
    return func


def load_builtin_jobs() -> list[str]:
    """Import the job modules (which register themselves); returns the names in run order."""
    for module in BUILTIN_JOB_MODULES:
        importlib.import_module(module)
    return [job.name for job in ordered_jobs()]


def ordered_jobs() -> list[Job]:
    """The registered jobs in run order: BUILTIN_JOB_MODULES order (whatever order the modules
    happened to be imported in), then any others in the order they were registered."""
    rank = {module: index for index, module in enumerate(BUILTIN_JOB_MODULES)}
    positions = {id(job): index for index, job in enumerate(JOBS)}
    return sorted(
        JOBS,
        key=lambda job: (
            rank.get(getattr(job.func, "__module__", ""), len(rank)),
            positions[id(job)],
        ),
    )


@dataclass
class RunSummary:
    """What one run did: per job, its counters, or the error that stopped it."""

    today: date
    ran: bool  # False when another runner held the lock, so this one did nothing
    results: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The summary as lines for a terminal or a log."""
        if not self.ran:
            return [f"{self.today}: another job runner is busy; nothing done."]
        out = [f"{self.today}: jobs run"]
        for name, counts in self.results.items():
            shown = ", ".join(f"{key}={value}" for key, value in counts.items()) or "nothing to do"
            out.append(f"  {name}: {shown}")
        for name, error in self.errors.items():
            out.append(f"  {name}: FAILED ({error})")
        return out


def engine_tx(engine: Engine) -> Tx:
    """A transaction factory on `engine`: each `with tx() as session:` commits on success."""

    @contextmanager
    def tx() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except Exception:
                session.rollback()
                raise

    return tx


def run_jobs(
    engine: Engine | None = None,
    today: date | None = None,
    gateway: PaymentGateway | None = None,
    *,
    only: list[str] | None = None,
) -> RunSummary:
    """Run every registered job (or those named in `only`) once, if no other runner is busy.

    Safe to call from any number of processes and machines at once: only the holder of the job
    lock runs; the others return at once with `ran=False`.
    """
    if engine is None:
        from portal_app.core.db import get_engine

        engine = get_engine()
    day = today or date.today()
    load_builtin_jobs()
    with job_lock(engine) as held:
        summary = RunSummary(today=day, ran=held)
        if not held:
            log.info("jobs skipped: another runner holds the lock")
            return summary
        ctx = JobContext(tx=engine_tx(engine), today=day, gateway=gateway)
        for job in ordered_jobs():
            if only is not None and job.name not in only:
                continue
            try:
                summary.results[job.name] = dict(job.func(ctx))
            except Exception as exc:  # noqa: BLE001 - one broken job must not stop the others
                log.exception("job %s failed", job.name)
                summary.errors[job.name] = exc.__class__.__name__
        log.info("jobs run", extra={"jobs": summary.results, "errors": summary.errors})
        return summary
