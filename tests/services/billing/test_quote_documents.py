"""Documents attached to quotes: listed on the quote, hidden while the quote is a draft."""

from __future__ import annotations

import pytest

from portal_app.core.errors import NotFoundError
from portal_app.core.settings import get_settings
from portal_app.services.documents import documents
from tests.helpers.quotes import add_quote

PDF_BYTES = b"%PDF-1.4\n%quote\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def docs_root(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    get_settings.cache_clear()
    yield tmp_path / "docs"
    get_settings.cache_clear()


def _store(session, client, name, **kw):
    return documents.store_document(
        session,
        company_id=client.company_id,
        client_id=client.id,
        data=PDF_BYTES,
        name=name,
        **kw,
    )


def test_quote_documents_for_the_detail_page_and_the_list(session, make, docs_root):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    quote = add_quote(session, client, number="Q-DOC-1")
    draft = add_quote(session, client, number="Q-DOC-2", status="draft")
    on_quote = _store(session, client, "scope.pdf", quote_id=quote.id)
    on_draft = _store(session, client, "draft.pdf", quote_id=draft.id)
    rows = documents.record_documents(session, actor=actor, attached_to="quote", record_id=quote.id)
    assert [(r.id, r.belongs_to, r.belongs_to_url) for r in rows] == [
        (on_quote.id, "Quote Q-DOC-1", f"/client/quotes/{quote.id}")
    ]
    assert (
        documents.record_documents(session, actor=actor, attached_to="quote", record_id=draft.id)
        == []
    )
    listed = {row.id for row in documents.list_client_documents(session, actor=actor).rows}
    assert on_quote.id in listed and on_draft.id not in listed
    client_only = documents.list_client_documents(session, actor=actor, attached_to="client")
    assert on_quote.id not in {row.id for row in client_only.rows}


def test_a_document_cannot_be_attached_to_another_clients_quote(session, make, docs_root):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    foreign = add_quote(session, theirs, number="Q-DOC-3")
    with pytest.raises(NotFoundError):
        _store(session, mine, "x.pdf", quote_id=foreign.id)
