"""Job fixtures: a transaction factory over the test's rolled-back session."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest

from portal_app.jobs.runner import JobContext


@pytest.fixture
def job_ctx(session):
    """Builds a JobContext whose transactions are savepoints of the test's session."""

    @contextmanager
    def tx():
        with session.begin_nested():
            yield session

    def build(today: date, gateway=None) -> JobContext:
        return JobContext(tx=tx, today=today, gateway=gateway)

    build.tx = tx
    return build
