"""run_jobs: the registry, the lock, and two runners at once on SQLite and PostgreSQL."""

import threading
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from portal_app.jobs import runner
from portal_app.jobs.lock import job_lock
from portal_app.models import Invoice, RecurringInvoice
from tests.conftest import Factory
from tests.helpers.recurring import add_recurring


def _committed_schedules(engine, count: int, start: date, **kw) -> tuple[int, list[int]]:
    with Session(engine, expire_on_commit=False) as session:
        make = Factory(session)
        client = make.client(make.company())
        ids = [
            add_recurring(session, client, number=f"R-{n}", start_date=start, **kw).id
            for n in range(count)
        ]
        session.commit()
    return client.id, ids


def _retire(engine, ids: list[int]) -> None:
    # Committed rows outlive the test: stop them being due for any later run.
    with Session(engine) as session:
        session.exec(
            update(RecurringInvoice)
            .where(col(RecurringInvoice.id).in_(ids))
            .values(status="cancelled")
        )
        session.commit()


def _issued(engine, ids: list[int]) -> list[tuple[int, date]]:
    with Session(engine) as session:
        return [
            (inv.recurring_invoice_id, inv.issue_date)
            for inv in session.exec(
                select(Invoice).where(col(Invoice.recurring_invoice_id).in_(ids))
            ).all()
        ]


def test_registry_has_the_builtin_jobs_in_order():
    names = runner.load_builtin_jobs()
    assert names.index("recurring_invoices") < names.index("link_expiry")


def test_register_job_adds_and_replaces(engine):
    calls: list[date] = []

    def probe(ctx):
        calls.append(ctx.today)
        return {"probed": 1}

    runner.register_job("test_probe", probe)
    try:
        runner.register_job("test_probe", probe)
        assert [j.name for j in runner.JOBS].count("test_probe") == 1
        summary = runner.run_jobs(engine, today=date(2026, 1, 2), only=["test_probe"])
        assert summary.ran and summary.results == {"test_probe": {"probed": 1}}
        assert calls == [date(2026, 1, 2)]
        assert "test_probe: probed=1" in "\n".join(summary.lines())
    finally:
        runner.JOBS[:] = [j for j in runner.JOBS if j.name != "test_probe"]


def test_a_failing_job_does_not_stop_the_others(engine):
    def broken(ctx):
        raise RuntimeError("boom")

    def fine(ctx):
        return {"ok": 1}

    runner.register_job("test_broken", broken)
    runner.register_job("test_fine", fine)
    try:
        summary = runner.run_jobs(engine, only=["test_broken", "test_fine"])
        assert summary.errors == {"test_broken": "RuntimeError"}
        assert summary.results == {"test_fine": {"ok": 1}}
    finally:
        runner.JOBS[:] = [j for j in runner.JOBS if j.name not in ("test_broken", "test_fine")]


def test_busy_lock_means_nothing_runs(engine):
    start = date(2031, 2, 3)
    _, ids = _committed_schedules(engine, 1, start)
    try:
        with job_lock(engine) as held:
            assert held
            summary = runner.run_jobs(engine, today=start)
        assert summary.ran is False and summary.results == {}
        assert "another job runner" in summary.lines()[0]
        assert _issued(engine, ids) == []
    finally:
        _retire(engine, ids)


def test_run_twice_issues_nothing_twice(engine):
    start = date(2031, 3, 31)
    _, ids = _committed_schedules(engine, 2, start, remaining_cycles=5)
    try:
        first = runner.run_jobs(engine, today=start, only=["recurring_invoices"])
        second = runner.run_jobs(engine, today=start, only=["recurring_invoices"])
        assert first.results["recurring_invoices"]["issued"] >= 2
        assert sorted(_issued(engine, ids)) == sorted((i, start) for i in ids)
        assert second.ran
    finally:
        _retire(engine, ids)


def test_two_runners_at_once_issue_each_period_once(engine):
    """Two threads call run_jobs together; one of them may skip on the lock, none doubles."""
    start = date(2032, 1, 31)
    today = date(2032, 4, 1)  # three monthly periods due for each schedule
    _, ids = _committed_schedules(engine, 4, start)
    barrier = threading.Barrier(2)
    summaries = []

    def run():
        barrier.wait()
        summaries.append(runner.run_jobs(engine, today=today, only=["recurring_invoices"]))

    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert len(summaries) == 2
        issued = _issued(engine, ids)
        assert sorted(i for i, _ in issued) == sorted(ids * 3)
        with Session(engine) as session:
            for schedule in session.exec(
                select(RecurringInvoice).where(col(RecurringInvoice.id).in_(ids))
            ):
                assert schedule.issued_count == 3
                assert schedule.next_send_date == date(2032, 4, 30)
    finally:
        _retire(engine, ids)


def test_two_jobs_without_the_lock_still_issue_each_period_once(engine):
    """The conditional-UPDATE claim alone holds: the job run in two threads with no lock."""
    from portal_app.jobs.recurring import issue_recurring_invoices

    start = date(2033, 5, 31)
    today = date(2033, 8, 1)
    _, ids = _committed_schedules(engine, 5, start, frequency="monthly")
    barrier = threading.Barrier(2)
    counts = []

    def run():
        ctx = runner.JobContext(tx=runner.engine_tx(engine), today=today)
        barrier.wait()
        counts.append(issue_recurring_invoices(ctx))

    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        issued = _issued(engine, ids)
        assert sorted(i for i, _ in issued) == sorted(ids * 3)
        assert sum(c["errors"] for c in counts) == 0, counts
        with Session(engine) as session:
            numbers = session.exec(
                select(Invoice.number).where(col(Invoice.recurring_invoice_id).in_(ids))
            ).all()
        assert len(set(numbers)) == len(numbers)
    finally:
        _retire(engine, ids)
