"""seed-demo's documents: a PDF, a PNG and a CSV for Acme (one on an invoice), one hidden."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from portal_app.core import files
from portal_app.core.settings import get_settings
from portal_app.demo import seed as demo
from portal_app.models import ClientContact, Document
from portal_app.services.documents import documents
from portal_app.services.identity.actor import Actor

TODAY = date(2026, 6, 15)


@pytest.fixture
def docs_root(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    get_settings.cache_clear()
    yield tmp_path / "docs"
    get_settings.cache_clear()


def _actor(session, email: str) -> Actor:
    contact = session.exec(select(ClientContact).where(ClientContact.email == email)).one()
    return Actor(contact.company_id, contact.client_id, contact.id, 0, "password")


def test_demo_documents_are_repeatable_and_scoped(session, docs_root):
    first = demo.seed_demo(session, today=TODAY)
    hashes = sorted(
        session.exec(select(Document.sha256).where(Document.company_id == first.company_id)).all()
    )
    second = demo.seed_demo(session, today=TODAY)
    rows = session.exec(select(Document).where(Document.company_id == second.company_id)).all()
    assert sorted(row.sha256 for row in rows) == hashes  # same bytes, same files
    assert len({row.sha256 for row in rows}) == 4
    assert len([p for p in docs_root.rglob("*") if p.is_file()]) == 4

    acme = _actor(session, demo.CLIENT_EMAIL)
    listed = documents.list_client_documents(session, actor=acme).rows
    assert sorted(row.type_label for row in listed) == ["CSV", "PDF", "PNG image"]
    assert "Internal margin notes.pdf" not in {row.name for row in listed}
    on_invoice = [row for row in listed if row.belongs_to.startswith("Invoice ")]
    assert [row.name for row in on_invoice] == ["Site photo.png"]
    for row in listed:
        stored = documents.get_client_document(session, actor=acme, document_id=row.id)
        data = documents.read_bytes(stored)
        assert files.detect_media_type(data) == stored.media_type

    globex = _actor(session, demo.OTHER_EMAIL)
    assert documents.list_client_documents(session, actor=globex).rows == []
