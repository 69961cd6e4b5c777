"""Built files (long statement PDFs): private storage, session-bound signed tokens, clean-up."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace

import pytest

from portal_app.core import signing
from portal_app.core.errors import NotFoundError
from portal_app.core.settings import get_settings
from portal_app.services.billing import generated_files
from portal_app.services.documents import documents
from portal_app.services.identity.actor import Actor
from tests.helpers.legacy_tokens import b64, old_download_token, old_generated_token, unb64

PDF = b"%PDF-1.4\nbuilt\n%%EOF\n"
ME = Actor(company_id=1, client_id=10, contact_id=100, session_id=1000, kind="password")


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    monkeypatch.setenv("PORTAL_DOWNLOAD_TOKEN_SECONDS", "300")
    get_settings.cache_clear()
    yield tmp_path / "docs"
    get_settings.cache_clear()


def test_saved_file_resolves_for_the_session_that_built_it(root):
    built = generated_files.save_generated(actor=ME, data=PDF, filename="statement-2024.pdf")
    name, media_type, path = generated_files.resolve_generated(actor=ME, token=built.token)
    assert (name, media_type) == ("statement-2024.pdf", "application/pdf")
    assert path.read_bytes() == PDF and built.size_bytes == len(PDF)
    # Private: under the documents root, in the company's and client's own folder.
    assert path.is_relative_to(root / "generated" / "1" / "10")
    assert generated_files.is_generated_token(built.token)


@pytest.mark.parametrize(
    "other",
    [
        replace(ME, company_id=2),
        replace(ME, client_id=11),
        replace(ME, contact_id=101),  # another contact of the same client
        replace(ME, session_id=1001),  # the same contact signed in elsewhere
        replace(ME, session_id=1001, kind="staff_preview"),  # staff previewing this contact
    ],
)
def test_any_other_owner_is_not_found(root, other):
    built = generated_files.save_generated(actor=ME, data=PDF, filename="s.pdf")
    with pytest.raises(NotFoundError):
        generated_files.resolve_generated(actor=other, token=built.token)


def test_expired_tampered_or_foreign_tokens_are_not_found(root):
    built = generated_files.save_generated(actor=ME, data=PDF, filename="s.pdf")
    ttl = get_settings().download_token_seconds
    expired = generated_files.make_generated_token(built.file_id, ME, now=time.time() - ttl - 1)
    later = time.time() + ttl + 1
    body, issued, mac = built.token.split(".")
    payload = json.loads(unb64(body))
    forged_body = b64(json.dumps([payload[0], 1, 11, *payload[3:]]).encode())
    for bad in (
        expired,
        built.token[:-2] + ("AA" if not built.token.endswith("AA") else "BB"),
        f"{forged_body}.{issued}.{mac}",  # another client's id under the real signature
        documents.make_download_token(1, ME.client_id),  # a document token is not ours
        signing.sign(signing.Purpose.DOCUMENT_DOWNLOAD, payload),  # nor is our payload signed so
        "not-a-token",
        "",
    ):
        with pytest.raises(NotFoundError):
            generated_files.resolve_generated(actor=ME, token=bad)
        assert not generated_files.is_generated_token(bad)
    with pytest.raises(NotFoundError):
        generated_files.resolve_generated(actor=ME, token=built.token, now=later)
    # And ours is no document token either.
    with pytest.raises(NotFoundError):
        documents.read_download_token(built.token)


def test_a_token_issued_before_the_upgrade_works_until_it_expires(root):
    built = generated_files.save_generated(actor=ME, data=PDF, filename="s.pdf")
    issued = time.time() - 10
    old = old_generated_token(built.file_id, ME, now=issued)
    assert generated_files.is_generated_token(old)
    assert generated_files.resolve_generated(actor=ME, token=old)[0] == "s.pdf"
    with pytest.raises(NotFoundError):  # still bound to the session that built it
        generated_files.resolve_generated(actor=replace(ME, session_id=1001), token=old)
    with pytest.raises(NotFoundError):  # the old key served documents too: not one of them
        documents.read_download_token(old)
    ttl = get_settings().download_token_seconds
    for late in (issued + ttl, issued + ttl + 1):
        with pytest.raises(NotFoundError):
            generated_files.resolve_generated(actor=ME, token=old, now=late)
    # An old document token, valid as it is, names no built file.
    old_document = old_download_token(1, ME.client_id)
    assert documents.read_download_token(old_document) == (1, ME.client_id)
    assert not generated_files.is_generated_token(old_document)
    with pytest.raises(NotFoundError):
        generated_files.resolve_generated(actor=ME, token=old_document)


def test_a_token_for_a_file_never_saved_or_swept_is_not_found(root):
    missing = generated_files.make_generated_token("0" * 32, ME)
    with pytest.raises(NotFoundError):
        generated_files.resolve_generated(actor=ME, token=missing)
    with pytest.raises(NotFoundError):
        generated_files.make_generated_token("../../etc", ME)


def test_names_are_made_safe_and_only_pdf_or_zip_are_kept(root):
    built = generated_files.save_generated(actor=ME, data=PDF, filename="../../x/ev il.pdf")
    name, _, path = generated_files.resolve_generated(actor=ME, token=built.token)
    assert "/" not in name and ".." not in name and path.parent.parent == root / "generated/1/10"
    with pytest.raises(ValueError):
        generated_files.save_generated(actor=ME, data=b"<script>", filename="page.html")


def _age(path, seconds):
    # A built file's age is its own last change (what any store, S3 included, can tell).
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_cleanup_removes_files_whose_token_has_died(root):
    old = generated_files.save_generated(actor=ME, data=PDF, filename="old.pdf")
    fresh = generated_files.save_generated(actor=ME, data=PDF, filename="fresh.pdf")
    old_path = generated_files.resolve_generated(actor=ME, token=old.token)[2]
    ttl = get_settings().download_token_seconds
    _age(old_path, ttl + generated_files.GRACE_SECONDS + 5)

    assert generated_files.cleanup_generated() == 1
    assert not old_path.parent.exists()
    assert generated_files.resolve_generated(actor=ME, token=fresh.token)[0] == "fresh.pdf"
    assert generated_files.cleanup_generated() == 0


def test_saving_sweeps_old_files_and_keeps_few_per_client(root):
    stale = generated_files.save_generated(
        actor=replace(ME, client_id=99), data=PDF, filename="stale.pdf"
    )
    stale_path = generated_files.resolve_generated(
        actor=replace(ME, client_id=99), token=stale.token
    )[2]
    _age(stale_path, 10_000)
    built = [
        generated_files.save_generated(actor=ME, data=PDF, filename=f"s{i}.pdf")
        for i in range(generated_files.MAX_FILES_PER_CLIENT + 2)
    ]
    assert not stale_path.exists()  # another client's dead file went on our save
    kept = list((root / "generated" / "1" / "10").iterdir())
    assert len(kept) == generated_files.MAX_FILES_PER_CLIENT
    # The newest is always kept.
    assert generated_files.resolve_generated(actor=ME, token=built[-1].token)[0] == "s6.pdf"


def test_cleanup_without_a_folder_is_a_no_op(root):
    assert generated_files.cleanup_generated() == 0
