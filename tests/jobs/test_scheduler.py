"""The in-app schedule: off at 0, runs the jobs every interval, survives a failed run."""

import asyncio

import pytest

from portal_app.core.settings import Settings
from portal_app.jobs import runner, scheduler


def test_interval_comes_from_settings(monkeypatch):
    monkeypatch.setenv("PORTAL_JOBS_INTERVAL_MINUTES", "0")
    assert Settings().jobs_interval_minutes == 0
    monkeypatch.setenv("PORTAL_JOBS_INTERVAL_MINUTES", "5")
    assert Settings().jobs_interval_minutes == 5
    monkeypatch.setenv("PORTAL_JOBS_INTERVAL_MINUTES", "-1")
    with pytest.raises(ValueError):
        Settings()


def test_off_returns_at_once(monkeypatch):
    monkeypatch.setattr(scheduler, "interval_seconds", lambda: 0)
    asyncio.run(asyncio.wait_for(scheduler.run_jobs_periodically(), timeout=2))


def test_runs_every_interval_and_survives_a_failed_run(monkeypatch):
    calls = []

    def fake_run_jobs():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database away")
        return runner.RunSummary(today=None, ran=True)

    monkeypatch.setattr(scheduler, "interval_seconds", lambda: 0.01)
    monkeypatch.setattr(scheduler, "FIRST_RUN_DELAY_SECONDS", 0)
    monkeypatch.setattr(scheduler.random, "uniform", lambda a, b: 0)
    monkeypatch.setattr(runner, "run_jobs", fake_run_jobs)

    async def main():
        task = asyncio.create_task(scheduler.run_jobs_periodically())
        while len(calls) < 3:
            await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(asyncio.wait_for(main(), timeout=10))
    assert len(calls) >= 3
