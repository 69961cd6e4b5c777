"""Staff uploads to a client or a record, visible to the client or not."""

from __future__ import annotations

import pytest

from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.settings import get_settings
from portal_app.services.billing.staff_records import INVOICE, QUOTE, create_record, mark_sent
from portal_app.services.documents import documents
from portal_app.services.documents.staff_uploads import (
    list_documents,
    record_options,
    set_visibility,
    upload,
)
from tests.helpers.staff_docs import invoice_form, staff_actor

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def docs_root(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def setup(session, make):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    return company, client, make.actor(contact), staff_actor(session, company)


def _visible_ids(session, client_actor):
    return {r.id for r in documents.list_client_documents(session, actor=client_actor).rows}


def test_upload_to_client_and_records_with_visibility(session, setup):
    _, client, client_actor, actor = setup
    shown = upload(
        session, actor=actor, client_id=client.id, data=PDF, name="a.pdf", visible_to_client=True
    )
    hidden = upload(
        session, actor=actor, client_id=client.id, data=PDF, name="b.pdf", visible_to_client=False
    )
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    on_draft = upload(
        session,
        actor=actor,
        client_id=client.id,
        data=PDF,
        name="c.pdf",
        visible_to_client=True,
        attach_kind="invoice",
        record_id=invoice.id,
    )
    assert on_draft.invoice_id == invoice.id and on_draft.uploaded_by == "staff"
    quote = create_record(session, actor=actor, kind=QUOTE, form=invoice_form(client.id))
    on_quote = upload(
        session,
        actor=actor,
        client_id=client.id,
        data=PDF,
        name="q.pdf",
        visible_to_client=True,
        attach_kind="quote",
        record_id=quote.id,
    )
    assert on_quote.quote_id == quote.id
    # Hidden files and files of drafts do not reach the portal.
    assert _visible_ids(session, client_actor) == {shown.id}
    mark_sent(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    assert _visible_ids(session, client_actor) == {shown.id, on_draft.id}
    set_visibility(session, actor=actor, document_id=hidden.id, visible=True)
    assert hidden.id in _visible_ids(session, client_actor)
    rows = list_documents(session, actor=actor, client_id=client.id)
    assert len(rows) == 4
    only = list_documents(
        session, actor=actor, client_id=client.id, attach_kind="invoice", record_id=invoice.id
    )
    assert [r.id for r in only] == [on_draft.id]
    values = [o.value for o in record_options(session, actor=actor, client_id=client.id)]
    assert f"invoice:{invoice.id}" in values and f"quote:{quote.id}" in values


def test_upload_refusals(session, make, setup):
    company, client, _, actor = setup
    other_client = make.client(company)
    theirs = make.invoice(other_client)
    with pytest.raises(NotFoundError):  # a record of another client
        upload(
            session,
            actor=actor,
            client_id=client.id,
            data=PDF,
            name="x.pdf",
            visible_to_client=True,
            attach_kind="invoice",
            record_id=theirs.id,
        )
    stranger = staff_actor(session, make.company())
    with pytest.raises(NotFoundError):
        upload(
            session,
            actor=stranger,
            client_id=client.id,
            data=PDF,
            name="x.pdf",
            visible_to_client=True,
        )
    with pytest.raises(ValidationError):
        upload(
            session,
            actor=actor,
            client_id=client.id,
            data=b"",
            name="x.pdf",
            visible_to_client=True,
        )
    with pytest.raises(ValidationError):
        upload(
            session,
            actor=actor,
            client_id=client.id,
            data=b"MZ\x90\x00binary",
            name="x.exe",
            visible_to_client=True,
        )
    with pytest.raises(ValidationError):
        upload(
            session,
            actor=actor,
            client_id=client.id,
            data=PDF,
            name="x.pdf",
            visible_to_client=True,
            attach_kind="subscription",
            record_id=1,
        )
    doc = upload(
        session, actor=actor, client_id=client.id, data=PDF, name="x.pdf", visible_to_client=True
    )
    with pytest.raises(NotFoundError):
        set_visibility(session, actor=stranger, document_id=doc.id, visible=False)
