"""A statement PDF built in the background, fetched from GET /api/files/{token}: only by the
session that built it, only while the token lives."""

from __future__ import annotations

import io
import re
import time
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.settings import get_settings
from portal_app.models import StaffUser
from portal_app.services.billing import generated_files, statement_files
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.identity import auth
from tests.helpers.legacy_tokens import old_generated_token
from tests.helpers.signin import BINDING, bind

CHOICES = {"start": "2024-01-01", "end": "2024-12-31"}


@pytest.fixture
def people(committed, tmp_path, monkeypatch):
    """A client with two contacts, another client, and a staff user who can preview."""
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    get_settings.cache_clear()
    with committed() as (session, make):
        company = make.company()
        mine, theirs = make.client(company), make.client(company)
        make.invoice(mine, lines=[LineInput("Work", 1000, 123_45)], issue_date=date(2024, 3, 1))
        make.invoice(theirs, lines=[LineInput("Work", 1000, 999_00)], issue_date=date(2024, 3, 1))
        staff = StaffUser(company_id=company.id, email="s@example.test", password_hash="x")
        session.add(staff)
        session.flush()
        contacts = {
            "me": make.contact(mine),
            "colleague": make.contact(mine),
            "theirs": make.contact(theirs),
        }
        contacts["me again"] = contacts["me"]  # a second sign-in of the same contact
        codes = {}
        for key, contact in contacts.items():
            codes[key] = auth.open_session(
                session,
                contact=contact,
                kind="password",
                lifetime=timedelta(hours=1),
                binding=BINDING,
            ).handoff_code
        codes["preview"] = auth.open_session(
            session,
            contact=contacts["me"],
            kind="staff_preview",
            lifetime=timedelta(hours=1),
            staff_user_id=staff.id,
            binding=BINDING,
        ).handoff_code
    return codes


def _sign_in(client, code):
    client.cookies.clear()
    bind(client)
    response = client.get(routes.API_AUTH_HANDOFF, params={"code": code, "next": "/client"})
    assert response.status_code == 303 and client.cookies.get("portal_session")
    with session_scope() as db:
        return auth.resolve_actor(db, token=client.cookies.get("portal_session"))


def _build(actor, progress=None):
    with session_scope() as db:
        filename, doc = statement_files.prepare_statement(db, actor=actor, **CHOICES)
    return statement_files.write_statement_file(
        actor=actor, filename=filename, doc=doc, progress=progress
    )


def _closing(data: bytes) -> str:
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return re.search(r"Closing balance USD\s*(\S+)", text.replace("\u00a0", " ")).group(1)


def test_the_builder_downloads_the_pdf_with_its_closing_balance(client, people):
    actor = _sign_in(client, people["me"])
    calls = []
    built = _build(actor, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 1) and calls[-1] == (1, 1)

    response = client.get(routes.file_url(built.token))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="statement-2024-01-01-2024-12-31.pdf"'
    )
    assert "no-store" in response.headers["cache-control"]
    assert _closing(response.content) == "$123.45"


def test_other_sessions_expired_and_tampered_tokens_get_the_same_404(client, people):
    actor = _sign_in(client, people["me"])
    built = _build(actor)
    url = routes.file_url(built.token)
    long_ago = time.time() - get_settings().download_token_seconds - 1
    expired = generated_files.make_generated_token(built.file_id, actor, now=long_ago)
    # A token of the old format, made before the signing upgrade, still works until it expires.
    old = old_generated_token(built.file_id, actor)
    assert client.get(routes.file_url(old)).status_code == 200
    expired_old = old_generated_token(built.file_id, actor, now=long_ago)
    tampered = built.token[:-2] + ("AA" if not built.token.endswith("AA") else "BB")
    foreign = generated_files.make_generated_token(
        built.file_id, replace(actor, client_id=actor.client_id + 1)
    )
    for bad in (expired, expired_old, tampered, foreign, "garbage"):
        response = client.get(routes.file_url(bad))
        assert response.status_code == 404 and b"%PDF" not in response.content

    client.cookies.clear()
    assert client.get(url).status_code == 404  # signed out
    for other in ("theirs", "colleague", "preview", "me again"):
        _sign_in(client, people[other])
        response = client.get(url)
        assert response.status_code == 404, other
        assert b"%PDF" not in response.content


def test_staff_preview_builds_its_own_pdf_that_the_contact_cannot_fetch(client, people):
    preview = _sign_in(client, people["preview"])
    assert preview.is_preview
    built = _build(preview)
    response = client.get(routes.file_url(built.token))
    assert response.status_code == 200 and _closing(response.content) == "$123.45"
    _sign_in(client, people["me"])
    assert client.get(routes.file_url(built.token)).status_code == 404


def test_a_swept_file_is_gone_even_with_a_live_token(client, people):
    actor = _sign_in(client, people["me"])
    built = _build(actor)
    path = generated_files.resolve_generated(actor=actor, token=built.token)[2]
    later = path.stat().st_mtime + get_settings().download_token_seconds + 61
    assert generated_files.cleanup_generated(now=later) == 1
    assert client.get(routes.file_url(built.token)).status_code == 404
