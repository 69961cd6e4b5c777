"""The statement PDF as a built file: progress reports, cancel keeps nothing, errors by field."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.settings import get_settings
from portal_app.models import Company
from portal_app.services.billing import generated_files, statement_files
from portal_app.services.billing.invoice_math import LineInput

YEAR = {"start": "2024-01-01", "end": "2024-12-31"}


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    get_settings.cache_clear()
    yield tmp_path / "docs"
    get_settings.cache_clear()


@pytest.fixture
def actor(make):
    client = make.client(make.company())
    for i in range(30):
        make.invoice(
            client,
            lines=[LineInput("Work", 1000, 10_00 + i)],
            issue_date=date(2024, 1, 1) + timedelta(days=i * 7),
        )
    return replace(make.actor(make.contact(client)), session_id=7)


def test_the_built_file_reports_progress_and_reads_back(root, session, actor):
    filename, doc = statement_files.prepare_statement(session, actor=actor, **YEAR)
    assert filename == "statement-2024-01-01-2024-12-31.pdf"
    calls = []
    built = statement_files.write_statement_file(
        actor=actor,
        filename=filename,
        doc=doc,
        progress=lambda done, total: calls.append((done, total)),
        every=10,
    )
    assert [done for done, _ in calls] == [0, 10, 20, 30, 30]
    assert {total for _, total in calls} == {30}
    name, media_type, path = generated_files.resolve_generated(actor=actor, token=built.token)
    assert (name, media_type) == (filename, "application/pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    closing = re.search(r"Closing balance USD\s*(\S+)", text.replace("\u00a0", " ")).group(1)
    assert closing == doc.views[0].closing.replace("\u00a0", " ") == "$304.35"


def test_a_cancelled_build_keeps_no_file(root, session, actor):
    class Cancelled(Exception):
        pass

    def cancel(done, total):
        if done >= 10:
            raise Cancelled

    filename, doc = statement_files.prepare_statement(session, actor=actor, **YEAR)
    with pytest.raises(Cancelled):
        statement_files.write_statement_file(
            actor=actor, filename=filename, doc=doc, progress=cancel, every=10
        )
    generated = generated_files.generated_root()
    assert not generated.exists() or not any(p.is_file() for p in generated.rglob("*"))


def test_bad_choices_name_the_field_and_a_switched_off_module_is_not_found(root, session, actor):
    with pytest.raises(ValidationError) as bad:
        statement_files.prepare_statement(session, actor=actor, start="2024-12-31", end="2024")
    assert bad.value.field == "end"
    with pytest.raises(ValidationError):
        statement_files.prepare_statement(session, actor=actor, **YEAR, status="everything")
    company = session.get(Company, actor.company_id)
    company.enabled_modules = "invoices"
    session.add(company)
    session.flush()
    with pytest.raises(NotFoundError):
        statement_files.prepare_statement(session, actor=actor, **YEAR)
