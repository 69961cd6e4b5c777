"""The file stores, each test run against both: the local folder and S3 (moto's server mode)."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest

from portal_app import cli, storage
from portal_app.core.errors import NotFoundError
from portal_app.core.settings import get_settings
from portal_app.jobs.housekeeping import sweep_generated_files
from portal_app.jobs.runner import JobContext
from portal_app.services.billing import generated_files
from portal_app.services.company import branding
from portal_app.services.documents import documents
from portal_app.services.identity.actor import Actor
from portal_app.storage.local import LocalStore
from tests.helpers.staff import add_staff, staff_actor

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
ME = Actor(company_id=1, client_id=10, contact_id=100, session_id=1000, kind="password")


def _png_image() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_put_get_exists_delete(file_store):
    assert not file_store.exists("a/b.txt")
    file_store.put("a/b.txt", b"hello")
    assert file_store.exists("a/b.txt") and file_store.get("a/b.txt") == b"hello"
    opened = file_store.open("a/b.txt")
    assert opened.size == 5 and b"".join(opened.chunks) == b"hello"
    file_store.put("a/b.txt", b"replaced")
    assert file_store.get("a/b.txt") == b"replaced"
    assert [(i.key, i.size) for i in file_store.list("a/")] == [("a/b.txt", 8)]
    file_store.delete("a/b.txt")
    file_store.delete("a/b.txt")  # already gone: nothing to do
    assert not file_store.exists("a/b.txt") and list(file_store.list("a/")) == []


def test_content_addressing_keeps_one_copy_under_its_hash(file_store):
    sha = storage.put_content(file_store, PDF)
    assert sha == hashlib.sha256(PDF).hexdigest()
    assert storage.put_content(file_store, PDF) == sha
    assert [i.key for i in file_store.list()] == [f"{sha[:2]}/{sha}"]
    assert file_store.get(storage.content_key(sha)) == PDF


def test_a_missing_object_is_not_found(file_store):
    for read in (file_store.get, file_store.open):
        with pytest.raises(storage.ObjectNotFound) as missing:
            read("no/such-file")
        assert isinstance(missing.value, NotFoundError)
    for bad in ("../etc/passwd", "/abs", "a/../b", ".hidden", "", "a//b"):
        assert not file_store.exists(bad)
        with pytest.raises(NotFoundError):
            file_store.put(bad, b"x")
    with pytest.raises(NotFoundError):
        storage.content_key("not-a-hash")


def test_presigned_urls_where_the_store_allows(file_store):
    file_store.put("x/report.pdf", PDF)
    url = file_store.presigned_url(
        "x/report.pdf", filename="Report é.pdf", media_type="application/pdf", expires_seconds=60
    )
    if file_store.name == "local":
        assert url is None
        return
    answer = httpx.get(url)
    assert answer.status_code == 200 and answer.content == PDF
    assert answer.headers["content-type"] == "application/pdf"
    assert "Report%20%C3%A9.pdf" in answer.headers["content-disposition"]


def test_documents_are_stored_read_zipped_and_resolved_through_the_store(file_store, session, make):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    stored = documents.store_document(
        session, company_id=client.company_id, client_id=client.id, data=PDF, name="r.pdf"
    )
    again = documents.store_document(
        session, company_id=client.company_id, client_id=client.id, data=PDF, name="copy.pdf"
    )
    assert stored.sha256 == again.sha256
    assert [i.key for i in file_store.list()] == [storage.content_key(stored.sha256)]
    assert documents.read_bytes(stored) == PDF
    body = documents.open_stored(storage.content_key(stored.sha256))
    assert body.read_bytes() == PDF
    archive = documents.documents_zip(session, actor=actor, document_ids=[stored.id])
    assert zipfile.ZipFile(io.BytesIO(archive)).read("r.pdf") == PDF
    token = documents.make_download_token(stored.id, client.id)
    name, media_type, body, _inline = documents.resolve_download(session, actor=actor, token=token)
    assert (name, media_type, body.read_bytes()) == ("r.pdf", "application/pdf", PDF)
    # The object vanished from the store (a restore gone wrong): a clear not-found, no 500.
    file_store.delete(storage.content_key(stored.sha256))
    with pytest.raises(NotFoundError):
        documents.read_bytes(stored)
    with pytest.raises(NotFoundError):
        documents.open_stored(storage.content_key(stored.sha256))


def test_a_logo_goes_through_the_store_and_reaches_the_pdf_renderer(file_store, session, make):
    company = make.company()
    actor = staff_actor(add_staff(session, company, password_hash="x", role="admin"))
    image = _png_image()
    url = branding.store_logo(session, actor=actor, data=image)
    name = url.rsplit("/", 1)[1]
    assert file_store.get(f"branding/{name}") == image
    body, media_type = branding.logo_file(name)
    assert body.read_bytes() == image and media_type == "image/png"
    local = Path(branding.logo_file_for(url))
    assert local.read_bytes() == image
    file_store.delete(f"branding/{name}")
    with pytest.raises(NotFoundError):
        branding.logo_file(name)


def test_generated_files_are_kept_resolved_trimmed_and_swept(file_store):
    built = generated_files.save_generated(actor=ME, data=PDF, filename="statement.pdf")
    name, media_type, body = generated_files.resolve_generated(actor=ME, token=built.token)
    assert (name, media_type, body.read_bytes()) == ("statement.pdf", "application/pdf", PDF)
    more = [
        generated_files.save_generated(actor=ME, data=PDF, filename=f"s{i}.pdf")
        for i in range(generated_files.MAX_FILES_PER_CLIENT + 1)
    ]
    assert len(list(file_store.list("generated/1/10/"))) == generated_files.MAX_FILES_PER_CLIENT
    assert generated_files.resolve_generated(actor=ME, token=more[-1].token)[0] == "s5.pdf"
    with pytest.raises(NotFoundError):  # the oldest went to make room
        generated_files.resolve_generated(actor=ME, token=built.token)
    assert generated_files.cleanup_generated() == 0
    later = time.time() + get_settings().download_token_seconds + generated_files.GRACE_SECONDS
    assert generated_files.cleanup_generated(now=later + 5) == generated_files.MAX_FILES_PER_CLIENT
    assert list(file_store.list("generated/")) == []
    with pytest.raises(NotFoundError):
        generated_files.resolve_generated(actor=ME, token=more[-1].token)


def test_the_sweeping_job_removes_only_files_no_token_can_fetch(file_store, session, monkeypatch):
    @contextmanager
    def tx():
        with session.begin_nested():
            yield session

    def job_ctx(today):
        return JobContext(tx=tx, today=today)

    built = generated_files.save_generated(actor=ME, data=PDF, filename="s.pdf")
    assert sweep_generated_files(job_ctx(date.today())) == {"files_removed": 0}
    assert generated_files.resolve_generated(actor=ME, token=built.token)[0] == "s.pdf"
    # Tokens that die before the grace runs out: every file is past its life at once.
    monkeypatch.setenv("PORTAL_DOWNLOAD_TOKEN_SECONDS", str(-generated_files.GRACE_SECONDS - 5))
    get_settings.cache_clear()
    assert sweep_generated_files(job_ctx(date.today())) == {"files_removed": 1}
    assert list(file_store.list("generated/")) == []


def test_copy_command_copies_a_folder_and_detects_a_corrupted_file(file_store, tmp_path, capsys):
    source = LocalStore(tmp_path / "old-host")
    good = storage.put_content(source, PDF)
    logo = hashlib.sha256(PNG).hexdigest()
    source.put(f"branding/{logo}.png", PNG)
    bad = storage.put_content(source, b"the original bytes")
    (tmp_path / "old-host" / storage.content_key(bad)).write_bytes(b"flipped bits")
    source.put(f"generated/1/2/{'a' * 32}/s.pdf", PDF)

    code = cli.main(["copy-files-to-storage", "--source", str(tmp_path / "old-host")])

    out = capsys.readouterr()
    assert code == 1
    assert "3 copied, 0 already there, 1 bad." in out.out
    assert f"sha256 mismatch: {storage.content_key(bad)}" in out.err
    assert file_store.get(storage.content_key(good)) == PDF
    assert file_store.get(f"branding/{logo}.png") == PNG
    assert not file_store.exists(storage.content_key(bad))
    # Run again after the bad file is restored: the rest is already there, all is well.
    (tmp_path / "old-host" / storage.content_key(bad)).write_bytes(b"the original bytes")
    assert cli.main(["copy-files-to-storage", "--source", str(tmp_path / "old-host")]) == 0
    assert "1 copied, 3 already there, 0 bad." in capsys.readouterr().out
