"""The Documents tab in Chromium: the visible documents only, a download byte for byte, a
preview through a fresh signed URL, a ZIP of the selected ones, no serious axe violations."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal_app.core.settings import Settings
from portal_app.models import Credit
from portal_app.services.documents import documents
from tests.e2e.conftest import DbScope, Factory, Server
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_portal import sign_in

pytestmark = pytest.mark.e2e
ROW = '[data-testid="document-row"]'
PDF_BYTES = b"%PDF-1.4\n" + bytes(range(256)) * 3 + b"\n%%EOF\n"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _server_settings(server: Server) -> Settings:
    # The server keeps its documents beside its database (tests/e2e/conftest.py).
    root = Path(server.database_url.split("///", 1)[1]).parent / "documents"
    return Settings(DOCUMENTS_ROOT=str(root))


def test_documents_tab_lists_downloads_previews_and_zips(
    page: Page, make: Factory, db: DbScope, portal_server: Server, tmp_path: Path
):
    account = make.account()
    invoice = make.invoice(account.client)
    png = _png()
    settings = _server_settings(portal_server)
    with db() as session:

        def store(data: bytes, name: str, **kw):
            return documents.store_document(
                session,
                company_id=account.company.id,
                client_id=account.client.id,
                data=data,
                name=name,
                settings=settings,
                **kw,
            )

        store(PDF_BYTES, "contract.pdf")
        store(png, "scan.png", invoice_id=invoice.id)
        store(PDF_BYTES, "staff only.pdf", visible_to_client=False)
        credit = Credit(
            company_id=account.company.id,
            client_id=account.client.id,
            number=f"CR-{invoice.number}",
            status="sent",
            currency="USD",
            issue_date=date.today(),
            amount_minor=10_00,
            balance_minor=10_00,
        )
        session.add(credit)
        session.flush()
        store(PDF_BYTES, "credit note terms.pdf", credit_id=credit.id)

    sign_in(page, account)
    page.get_by_role("link", name="Documents").first.click()
    page.wait_for_url(re.compile(r"/client/documents/?$"))
    rows = page.locator(ROW)
    expect(rows).to_have_count(3)
    expect(page.locator("#main")).not_to_contain_text("staff only")
    expect(rows.filter(has_text="scan.png")).to_contain_text(f"Invoice {invoice.number}")
    assert _violations(page) == []

    with page.expect_download() as info:
        page.get_by_role("button", name="Download contract.pdf").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == "contract.pdf"
    saved = tmp_path / "contract.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF_BYTES

    page.get_by_role("button", name="Preview scan.png").click()
    image = page.locator("#document-preview-image")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src", re.compile(r"/api/files/[^/]+\?inline=1$"))
    page.wait_for_function(
        "() => document.querySelector('#document-preview-image')?.naturalWidth === 40"
    )
    page.get_by_role("button", name="Close").click()
    expect(image).to_have_count(0)

    # The credit's own page lists its document too.
    page.goto(f"/client/credits/{credit.id}")
    expect(page.locator('[data-testid="attached-document"]')).to_have_count(1)
    expect(page.locator("#record-documents")).to_contain_text("credit note terms.pdf")
    page.goto("/client/documents")
    expect(rows).to_have_count(3)

    for name in ("contract.pdf", "scan.png"):
        page.get_by_role("checkbox", name=f"Select {name}").click()
    with page.expect_download() as info:
        page.locator("#download-zip").click()
    zipped = tmp_path / "documents.zip"
    info.value.save_as(zipped)
    with zipfile.ZipFile(zipped) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == {
            "contract.pdf": PDF_BYTES,
            "scan.png": png,
        }

    # Filtering by what they belong to.
    page.get_by_role("combobox", name="Show documents that belong to").click()
    page.get_by_role("option", name="Invoices").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("scan.png")

    # The invoice's own page lists the document attached to it, and downloads it.
    page.goto(f"/client/invoices/{invoice.id}")
    attached = page.locator('[data-testid="attached-document"]')
    expect(attached).to_have_count(1)
    expect(attached.first).to_contain_text("scan.png")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download scan.png").click()
    photo = tmp_path / "scan.png"
    info.value.save_as(photo)
    assert photo.read_bytes() == png


def test_client_uploads_a_file_and_downloads_it_back(page: Page, make: Factory, tmp_path: Path):
    account = make.account(allow_client_uploads=True)
    sheet = b"date,hours\n2026-01-05,3\n2026-01-06,4.5\n"

    sign_in(page, account, "/client/documents")
    upload_input = page.locator('input[type="file"]')
    upload_input.set_input_files(
        files=[{"name": "setup.exe", "mimeType": "text/csv", "buffer": b"MZ\x90\x00\x03rest"}]
    )
    page.locator("#upload-button").click()
    expect(page.locator("#upload-error")).to_contain_text("not accepted")
    expect(page.locator(ROW)).to_have_count(0)

    upload_input.set_input_files(
        files=[{"name": "hours.csv", "mimeType": "text/csv", "buffer": sheet}]
    )
    page.locator("#upload-button").click()
    expect(page.locator("#upload-message")).to_contain_text("hours.csv")
    expect(page.locator(ROW)).to_have_count(1)
    expect(page.locator(ROW).first).to_contain_text("CSV")
    assert _violations(page) == []
    with page.expect_download() as info:
        page.get_by_role("button", name="Download hours.csv").click()
    saved = tmp_path / "hours.csv"
    info.value.save_as(saved)
    assert saved.read_bytes() == sheet


def test_no_upload_box_where_the_company_does_not_allow_it(page: Page, make: Factory):
    account = make.account()
    sign_in(page, account, "/client/documents")
    expect(page.get_by_text("No documents")).to_be_visible()
    expect(page.locator("#upload-button")).to_have_count(0)
