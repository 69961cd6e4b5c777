"""Documents: type from content, names, size limit, dedupe, visibility, scoping, download tokens."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from itsdangerous.encoding import bytes_to_int

from portal_app.core import files, signing
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.settings import get_settings
from portal_app.services.documents import documents
from tests.helpers.legacy_tokens import b64, old_download_token, old_zip_token, unb64

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF_BYTES = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CSV_BYTES = b"date,amount\n2026-01-01,10.00\n2026-02-01,12.50\n"


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.fixture
def docs_root(tmp_path, monkeypatch):
    """Documents go to a fresh folder with a 1 kB limit for these tests."""
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    monkeypatch.setenv("DOCUMENTS_MAX_BYTES", "1024")
    get_settings.cache_clear()
    yield tmp_path / "docs"
    get_settings.cache_clear()


def _store(client, data=PDF_BYTES, name="report.pdf", **kw):
    session = kw.pop("session")
    return documents.store_document(
        session, company_id=client.company_id, client_id=client.id, data=data, name=name, **kw
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF_BYTES, files.PDF),
        (PNG_BYTES, files.PNG),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 10, files.JPEG),
        (b"GIF89a" + b"\x00" * 10, files.GIF),
        (CSV_BYTES, files.CSV),
        ("Notes for Zoë\nsecond line\n".encode(), files.TEXT),
        (_xlsx(), files.XLSX),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # a Windows executable
        (b"PK\x03\x04not really a zip", None),
        (b"", None),
    ],
)
def test_type_is_detected_from_the_bytes(data, expected):
    assert files.detect_media_type(data) == expected


def test_stored_once_by_content_with_the_detected_type(session, make, docs_root):
    company = make.company()
    client = make.client(company)
    first = _store(client, session=session)
    second = _store(client, name="copy.pdf", session=session)
    assert first.sha256 == second.sha256 and first.id != second.id
    files = [p for p in docs_root.rglob("*") if p.is_file()]
    assert len(files) == 1
    assert files[0].read_bytes() == PDF_BYTES
    assert files[0] == docs_root / first.sha256[:2] / first.sha256
    assert (first.media_type, first.size_bytes, first.name) == ("application/pdf", 51, "report.pdf")


def test_a_pdf_name_with_png_bytes_is_stored_as_png(session, make, docs_root):
    client = make.client(make.company())
    document = _store(client, data=PNG_BYTES, name="invoice.pdf", session=session)
    assert document.media_type == "image/png"
    assert document.name == "invoice.png"


@pytest.mark.parametrize("data", [b"MZ\x90\x00rest of an exe", b"PK\x03\x04junk", b""])
def test_unknown_or_forbidden_types_are_refused_and_nothing_written(session, make, docs_root, data):
    client = make.client(make.company())
    with pytest.raises(ValidationError) as err:
        _store(client, data=data, name="setup.exe", session=session)
    assert err.value.field == "file"
    assert not docs_root.exists() or not any(docs_root.rglob("*"))


def test_a_type_not_in_the_allowed_list_is_refused(session, make, docs_root, monkeypatch):
    monkeypatch.setenv("DOCUMENTS_ALLOWED_TYPES", "application/pdf")
    get_settings.cache_clear()
    client = make.client(make.company())
    with pytest.raises(ValidationError):
        _store(client, data=PNG_BYTES, name="a.png", session=session)
    assert _store(client, session=session).media_type == "application/pdf"


def test_size_limit(session, make, docs_root):
    client = make.client(make.company())
    with pytest.raises(ValidationError, match="larger than"):
        _store(client, data=b"%PDF-" + b"x" * 1024, session=session)
    assert _store(client, data=b"%PDF-" + b"x" * 1019, session=session).size_bytes == 1024


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\boot.ini",
        "/abs/file.pdf",
        "a/b.pdf",
        "..",
        ".",
        "",
        "  ",
        "bad\x00.pdf",
        "c:evil.pdf",
        "x..pdf",
    ],
)
def test_names_with_path_characters_are_refused(session, make, docs_root, name):
    client = make.client(make.company())
    with pytest.raises(ValidationError, match="folders"):
        _store(client, name=name, session=session)
    assert not docs_root.exists() or not any(docs_root.rglob("*"))


def test_bidi_and_other_format_characters_are_dropped_from_names():
    # "invoice<RLO>fdp.exe" would read as "invoiceexe.pdf" in a file list.
    assert files.clean_name("invoice\u202efdp.pdf", "application/pdf") == "invoicefdp.pdf"
    assert files.clean_name("\u2066a\u200fb\u2069.png", "image/png") == "ab.png"
    with pytest.raises(ValidationError):
        files.clean_name("\u202e\u200b", "image/png")


def test_download_filename_is_header_safe():
    assert files.download_filename('Zoë "quote"; x.pdf') == "Zoe_quote_x.pdf"
    assert files.download_filename("日本.png") == "document.png"


def test_attachment_must_be_the_same_clients(session, make, docs_root):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    foreign = make.invoice(theirs)
    with pytest.raises(NotFoundError):
        _store(mine, invoice_id=foreign.id, session=session)


def test_list_shows_visible_documents_of_the_actors_client_only(session, make, docs_root):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    actor = make.actor(make.contact(mine))
    invoice = make.invoice(mine)
    draft = make.invoice(mine, status="draft")
    on_account = _store(mine, session=session)
    on_invoice = _store(
        mine, data=PNG_BYTES, name="scan.png", invoice_id=invoice.id, session=session
    )
    hidden = _store(mine, name="internal.pdf", visible_to_client=False, session=session)
    on_draft = _store(mine, name="draft.pdf", invoice_id=draft.id, session=session)
    foreign = _store(theirs, name="theirs.pdf", session=session)

    listed = documents.list_client_documents(session, actor=actor)
    assert {row.id for row in listed.rows} == {on_account.id, on_invoice.id}
    assert listed.total == 2
    by_id = {row.id: row for row in listed.rows}
    assert by_id[on_invoice.id].belongs_to == f"Invoice {invoice.number}"
    assert by_id[on_invoice.id].belongs_to_url == f"/client/invoices/{invoice.id}"
    assert by_id[on_invoice.id].preview == "image"
    assert by_id[on_account.id].belongs_to == "Account"

    only_invoices = documents.list_client_documents(session, actor=actor, attached_to="invoice")
    assert [row.id for row in only_invoices.rows] == [on_invoice.id]
    only_account = documents.list_client_documents(session, actor=actor, attached_to="client")
    assert [row.id for row in only_account.rows] == [on_account.id]
    assert [
        r.id for r in documents.invoice_documents(session, actor=actor, invoice_id=invoice.id)
    ] == [on_invoice.id]

    for other in (hidden, on_draft, foreign):
        with pytest.raises(NotFoundError):
            documents.get_client_document(session, actor=actor, document_id=other.id)
    assert documents.get_client_document(session, actor=actor, document_id=on_account.id)


def test_list_pages_on_the_server(session, make, docs_root):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    for i in range(12):
        _store(client, name=f"doc-{i}.pdf", session=session)
    first = documents.list_client_documents(session, actor=actor, page_size=10)
    second = documents.list_client_documents(session, actor=actor, page=2, page_size=10)
    assert (len(first.rows), first.has_next, len(second.rows), second.has_next) == (
        10,
        True,
        2,
        False,
    )
    assert first.total == 12


def test_documents_module_switched_off(session, make, docs_root):
    company = make.company(enabled_modules="invoices")
    actor = make.actor(make.contact(make.client(company)))
    with pytest.raises(NotFoundError):
        documents.list_client_documents(session, actor=actor)


# -- tokens -----------------------------------------------------------------------------------


def test_token_round_trip_and_expiry():
    ttl = get_settings().download_token_seconds
    token = documents.make_download_token(7, 3, now=1_000_000)
    assert documents.read_download_token(token, now=1_000_000 + ttl - 1) == (7, 3)
    assert documents.token_kind(token, now=1_000_000) == "d"
    with pytest.raises(NotFoundError):
        documents.read_download_token(token, now=1_000_000 + ttl + 1)


@pytest.mark.parametrize(
    "change", ["payload", "issued", "mac", "truncate", "garbage", "zip-as-one", "reset-token"]
)
def test_tampered_tokens_are_not_found(change):
    token = documents.make_download_token(7, 3)
    body, issued, mac = token.split(".")
    if change == "payload":
        forged = documents.make_download_token(8, 3).split(".")[0]
        token = f"{forged}.{issued}.{mac}"
    elif change == "issued":
        token = f"{body}.{b64((bytes_to_int(unb64(issued)) + 3600).to_bytes(4, 'big'))}.{mac}"
    elif change == "mac":
        token = f"{body}.{issued}.{'A' * 43}"
    elif change == "truncate":
        token = token[:-1]
    elif change == "garbage":
        token = "../../etc/passwd"
    elif change == "zip-as-one":
        token = documents.make_zip_token([7], 3)
    else:  # the same payload signed for another purpose
        token = signing.sign(signing.Purpose.PASSWORD_RESET, ["d", [7], 3])
    with pytest.raises(NotFoundError):
        documents.read_download_token(token)


def test_a_token_issued_before_the_upgrade_works_until_it_expires():
    ttl = get_settings().download_token_seconds
    issued = 1_000_000
    old = old_download_token(7, 3, now=issued)
    assert documents.read_download_token(old, now=issued + ttl - 1) == (7, 3)
    old_zip = old_zip_token([7, 8, 9], 3, now=issued)
    assert documents.read_zip_token(old_zip, now=issued + 1) == ([7, 8, 9], 3)
    for late in (issued + ttl, issued + ttl + 1, issued + 86_400):
        with pytest.raises(NotFoundError):
            documents.read_download_token(old, now=late)
        with pytest.raises(NotFoundError):
            documents.read_zip_token(old_zip, now=late)
    body, mac = old.split(".")
    for bad in (
        f"{b64(unb64(body).replace(b'd:7:', b'd:8:'))}.{mac}",
        f"{body}.{'A' * 43}",
        old_zip,  # a ZIP token is no one-document token, then as now
    ):
        with pytest.raises(NotFoundError):
            documents.read_download_token(bad, now=issued)


def test_token_made_with_another_secret_is_refused(monkeypatch):
    token = documents.make_download_token(7, 3)
    monkeypatch.setenv("PORTAL_SECRET_KEY", "another-secret-of-at-least-thirty-two-chars")
    get_settings.cache_clear()
    try:
        with pytest.raises(NotFoundError):
            documents.read_download_token(token)
    finally:
        get_settings.cache_clear()


def test_resolve_download_is_scoped_to_the_actor(session, make, docs_root):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    actor = make.actor(make.contact(mine))
    other_actor = make.actor(make.contact(theirs))
    document = _store(mine, session=session)
    hidden = _store(mine, name="h.pdf", visible_to_client=False, session=session)

    token = documents.make_download_token(document.id, mine.id)
    name, media, path, _inline = documents.resolve_download(session, actor=actor, token=token)
    assert (name, media, path.read_bytes()) == ("report.pdf", "application/pdf", PDF_BYTES)

    with pytest.raises(NotFoundError):  # another client's session with this client's token
        documents.resolve_download(session, actor=other_actor, token=token)
    forged = documents.make_download_token(document.id, theirs.id)
    with pytest.raises(NotFoundError):  # a token for the other client naming my document
        documents.resolve_download(session, actor=other_actor, token=forged)
    with pytest.raises(NotFoundError):
        documents.resolve_download(
            session, actor=actor, token=documents.make_download_token(hidden.id, mine.id)
        )
    ttl = get_settings().download_token_seconds
    expired = documents.make_download_token(document.id, mine.id, now=time.time() - ttl - 1)
    with pytest.raises(NotFoundError):
        documents.resolve_download(session, actor=actor, token=expired)


def test_zip_of_selected_documents(session, make, docs_root):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    actor = make.actor(make.contact(mine))
    a = _store(mine, session=session)
    b = _store(mine, data=CSV_BYTES, name="report.csv", session=session)
    c = _store(mine, name="report.pdf", session=session)  # same name as a
    foreign = _store(theirs, session=session)

    name, media, data, _inline = documents.resolve_download(
        session, actor=actor, token=documents.make_zip_token([a.id, b.id, c.id], mine.id)
    )
    assert (name, media) == ("documents.zip", "application/zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        contents = {n: archive.read(n) for n in archive.namelist()}
    assert contents == {
        "report.pdf": PDF_BYTES,
        "report.csv": CSV_BYTES,
        f"report-{c.id}.pdf": PDF_BYTES,
    }
    with pytest.raises(NotFoundError):  # one foreign id fails the whole ZIP
        documents.documents_zip(session, actor=actor, document_ids=[a.id, foreign.id])


# -- client uploads ---------------------------------------------------------------------------


def test_client_upload_where_allowed(session, make, docs_root):
    from sqlmodel import select

    from portal_app.models import AuditEvent

    company = make.company(allow_client_uploads=True)
    client = make.client(company)
    actor = make.actor(make.contact(client))
    assert documents.uploads_allowed(session, actor=actor)
    document = documents.upload_client_document(
        session, actor=actor, data=PNG_BYTES, name="receipt.pdf"
    )
    assert (document.uploaded_by, document.media_type, document.name) == (
        "contact",
        "image/png",
        "receipt.png",
    )
    assert documents.read_bytes(document) == PNG_BYTES
    listed = documents.list_client_documents(session, actor=actor).rows
    assert [row.id for row in listed] == [document.id]
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_type == "document", AuditEvent.entity_id == document.id
        )
    ).one()
    assert event.action == "document.uploaded"


def test_client_upload_refused_when_not_allowed_or_limited(session, make, docs_root):
    from portal_app.core.errors import ReadOnlyError

    closed = make.actor(make.contact(make.client(make.company())))
    assert not documents.uploads_allowed(session, actor=closed)
    with pytest.raises(NotFoundError):
        documents.upload_client_document(session, actor=closed, data=PDF_BYTES, name="a.pdf")

    contact = make.contact(make.client(make.company(allow_client_uploads=True)))
    for kind in ("link", "staff_preview"):
        limited = make.actor(contact, kind=kind)
        assert not documents.uploads_allowed(session, actor=limited)
        with pytest.raises(ReadOnlyError):
            documents.upload_client_document(session, actor=limited, data=PDF_BYTES, name="a.pdf")
    full = make.actor(contact)
    for data, name in (
        (b"MZ\x90\x00exe", "tool.exe"),
        (PDF_BYTES, "../x.pdf"),
        (b"%PDF-" + b"x" * 2000, "big.pdf"),
    ):
        with pytest.raises(ValidationError):
            documents.upload_client_document(session, actor=full, data=data, name=name)
    assert not docs_root.exists() or not any(p.is_file() for p in docs_root.rglob("*"))


def test_documents_of_a_credit_or_payment_for_their_detail_pages(session, make, docs_root):
    from portal_app.models import Payment

    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    credit = make.credit(client, amount_minor=10_00)
    draft_credit = make.credit(client, amount_minor=5_00, status="draft")
    payment = Payment(
        company_id=company.id, client_id=client.id, number="PAY-DOC-1", currency="USD"
    )
    session.add(payment)
    session.flush()
    on_credit = _store(client, credit_id=credit.id, session=session)
    _store(client, name="draft.pdf", credit_id=draft_credit.id, session=session)
    on_payment = _store(
        client, data=CSV_BYTES, name="remittance.csv", payment_id=payment.id, session=session
    )

    def ids(kind, record_id):
        rows = documents.record_documents(
            session, actor=actor, attached_to=kind, record_id=record_id
        )
        return [(row.id, row.belongs_to) for row in rows]

    assert ids("credit", credit.id) == [(on_credit.id, f"Credit {credit.number}")]
    assert ids("credit", draft_credit.id) == []  # drafts never reach the portal
    assert ids("payment", payment.id) == [(on_payment.id, "Payment PAY-DOC-1")]
    other = make.actor(make.contact(make.client(company)))
    assert (
        documents.record_documents(
            session, actor=other, attached_to="payment", record_id=payment.id
        )
        == []
    )


def test_a_zip_token_holds_the_largest_selection():
    # Scattered ten-digit ids: the longest payload (sequential ids compress well).
    ids = [
        2_000_000_000 + (i * 7_919_993) % 147_483_647 for i in range(documents.MAX_ZIP_DOCUMENTS)
    ]
    token = documents.make_zip_token(ids, 2_000_000_001)
    assert len(token) <= signing.MAX_TOKEN_CHARS
    assert documents.read_zip_token(token) == (ids, 2_000_000_001)
    with pytest.raises(NotFoundError):
        documents.make_zip_token([*ids, 1], 1)
