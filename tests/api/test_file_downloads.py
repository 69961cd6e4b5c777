"""GET /api/files/{token}: the right bytes for the token's client signed in; one 404 otherwise."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import timedelta

import pytest

from portal_app.core import routes
from portal_app.core.settings import get_settings
from portal_app.services.documents import documents
from portal_app.services.identity import auth
from tests.helpers.legacy_tokens import old_download_token, old_zip_token
from tests.helpers.signin import BINDING, bind

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF_BYTES = b"%PDF-1.4\n" + bytes(range(256)) + b"\n%%EOF\n"


@pytest.fixture
def files(committed, tmp_path, monkeypatch):
    """Two clients of one company, each with a signed-in contact; documents for the first."""
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    get_settings.cache_clear()
    with committed() as (session, make):
        company = make.company()
        mine, theirs = make.client(company), make.client(company)
        codes = {}
        for key, client in (("mine", mine), ("theirs", theirs)):
            opened = auth.open_session(
                session,
                contact=make.contact(client),
                kind="password",
                lifetime=timedelta(hours=1),
                binding=BINDING,
            )
            codes[key] = opened.handoff_code

        def store(data, name, **kw):
            return documents.store_document(
                session,
                company_id=company.id,
                client_id=mine.id,
                data=data,
                name=name,
                **kw,
            ).id

        ids = {
            "png": store(PNG_BYTES, 'scan "Zoë".png'),
            "pdf": store(PDF_BYTES, "contract.pdf"),
            "hidden": store(PDF_BYTES, "internal.pdf", visible_to_client=False),
        }
    return {"mine": mine.id, "theirs": theirs.id, "codes": codes, **ids}


def _sign_in(client, code):
    bind(client)
    response = client.get(
        routes.API_AUTH_HANDOFF, params={"code": code, "next": "/client/dashboard"}
    )
    assert response.status_code == 303 and client.cookies.get("portal_session")


def test_download_returns_the_stored_bytes_with_safe_headers(client, files):
    _sign_in(client, files["codes"]["mine"])
    token = documents.make_download_token(files["png"], files["mine"])

    response = client.get(routes.file_url(token))

    assert response.status_code == 200
    assert response.content == PNG_BYTES
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in response.headers["cache-control"]
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="scan_Zoe.png"')
    assert "filename*=UTF-8''scan%20%22Zo%C3%AB%22.png" in disposition


def test_inline_preview_only_for_images_and_pdfs(client, files, committed):
    _sign_in(client, files["codes"]["mine"])
    pdf = client.get(
        routes.file_url(documents.make_download_token(files["pdf"], files["mine"]), inline=True)
    )
    assert pdf.status_code == 200 and pdf.content == PDF_BYTES
    assert pdf.headers["content-disposition"].startswith("inline;")
    with committed() as (session, _make):
        csv_id = documents.store_document(
            session,
            company_id=session.get(documents.Document, files["pdf"]).company_id,
            client_id=files["mine"],
            data=b"a,b\n1,2\n",
            name="rows.csv",
        ).id
    sheet = client.get(
        routes.file_url(documents.make_download_token(csv_id, files["mine"]), inline=True)
    )
    assert sheet.status_code == 200
    assert sheet.headers["content-disposition"].startswith("attachment;")


def test_a_pdf_a_client_uploaded_is_never_shown_inline(client, files, committed):
    _sign_in(client, files["codes"]["mine"])
    with committed() as (session, _make):
        uploaded = documents.store_document(
            session,
            company_id=session.get(documents.Document, files["pdf"]).company_id,
            client_id=files["mine"],
            data=PDF_BYTES + b"%client",
            name="from-me.pdf",
            uploaded_by="contact",
        ).id
    response = client.get(
        routes.file_url(documents.make_download_token(uploaded, files["mine"]), inline=True)
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")


def test_zip_token_gives_the_selected_documents(client, files):
    _sign_in(client, files["codes"]["mine"])
    token = documents.make_zip_token([files["png"], files["pdf"]], files["mine"])
    response = client.get(routes.file_url(token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.read("scan_Zoe.png") == PNG_BYTES
        assert archive.read("contract.pdf") == PDF_BYTES


def test_links_made_before_the_signing_upgrade_still_download(client, files):
    # A page opened just before the deploy holds tokens of the old format: they keep working
    # until they expire (core.signing's legacy reader).
    _sign_in(client, files["codes"]["mine"])
    one = client.get(routes.file_url(old_download_token(files["png"], files["mine"])))
    assert one.status_code == 200 and one.content == PNG_BYTES
    both = client.get(routes.file_url(old_zip_token([files["png"], files["pdf"]], files["mine"])))
    assert both.status_code == 200 and both.headers["content-type"] == "application/zip"


def test_everything_else_is_the_same_404(client, files):
    mine, theirs = files["mine"], files["theirs"]
    good = documents.make_download_token(files["pdf"], mine)
    cases = {
        "expired": documents.make_download_token(
            files["pdf"], mine, now=time.time() - get_settings().download_token_seconds - 1
        ),
        "expired before the upgrade": old_download_token(
            files["pdf"], mine, now=time.time() - get_settings().download_token_seconds - 1
        ),
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "hidden": documents.make_download_token(files["hidden"], mine),
        "missing": documents.make_download_token(987_654, mine),
        "made for the other client": documents.make_download_token(files["pdf"], theirs),
        "garbage": "not-a-token",
    }
    assert client.get(routes.file_url(good)).status_code == 404  # signed out
    _sign_in(client, files["codes"]["mine"])
    for label, token in cases.items():
        response = client.get(routes.file_url(token))
        assert (label, response.status_code, response.text) == (label, 404, "Not found.")

    # The other client's session cannot use a token made for this client.
    client.cookies.clear()
    _sign_in(client, files["codes"]["theirs"])
    assert client.get(routes.file_url(good)).status_code == 404
