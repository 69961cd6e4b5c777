"""Housekeeping jobs: lapsed quotes marked expired once; dead statement files swept."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta

import pytest

from portal_app.core.settings import get_settings
from portal_app.jobs import runner
from portal_app.jobs.housekeeping import expire_lapsed_quotes, sweep_generated_files
from portal_app.services.billing import generated_files
from portal_app.services.identity.actor import Actor
from tests.helpers.quotes import add_quote


def test_lapsed_sent_quotes_expire_once_and_others_stay(make, session, job_ctx):
    client = make.client(make.company())
    today = date(2031, 6, 15)
    lapsed = add_quote(session, client, number="HK-1", valid_until=today - timedelta(days=1))
    last_day = add_quote(session, client, number="HK-2", valid_until=today)
    approved = add_quote(
        session, client, number="HK-3", status="approved", valid_until=today - timedelta(days=9)
    )
    draft = add_quote(
        session, client, number="HK-4", status="draft", valid_until=today - timedelta(days=9)
    )

    assert expire_lapsed_quotes(job_ctx(today))["quotes_expired"] >= 1
    for quote in (lapsed, last_day, approved, draft):
        session.refresh(quote)
    assert lapsed.status == "expired"
    assert (last_day.status, approved.status, draft.status) == ("sent", "approved", "draft")
    # A second run the same day changes nothing of ours.
    expire_lapsed_quotes(job_ctx(today))
    session.refresh(last_day)
    assert last_day.status == "sent"


@pytest.fixture
def documents_root(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    monkeypatch.setenv("PORTAL_DOWNLOAD_TOKEN_SECONDS", "300")
    get_settings.cache_clear()
    yield tmp_path / "docs"
    get_settings.cache_clear()


def test_statement_files_whose_token_died_are_swept(documents_root, job_ctx):
    actor = Actor(company_id=1, client_id=2, contact_id=3, session_id=4, kind="password")
    old = generated_files.save_generated(actor=actor, data=b"%PDF-1.4\n", filename="old.pdf")
    fresh = generated_files.save_generated(actor=actor, data=b"%PDF-1.4\n", filename="new.pdf")
    old_path = generated_files.resolve_generated(actor=actor, token=old.token)[2]
    gone = time.time() - get_settings().download_token_seconds - generated_files.GRACE_SECONDS - 5
    os.utime(old_path, (gone, gone))

    assert sweep_generated_files(job_ctx(date.today())) == {"files_removed": 1}
    assert not old_path.exists()
    assert generated_files.resolve_generated(actor=actor, token=fresh.token)[0] == "new.pdf"


def test_housekeeping_runs_after_the_other_builtin_jobs():
    names = runner.load_builtin_jobs()
    assert names.index("link_expiry") < names.index("quote_expiry")
    assert "generated_files" in names
