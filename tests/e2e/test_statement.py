"""The Statement tab in Chromium: choose last year, preview, build the PDF in the background
(progress, cancel), download it from its signed URL and read the same closing balance."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import insert
from sqlmodel import select

from portal_app.models import Invoice, Payment, PaymentAllocation
from portal_app.services.billing.invoice_math import LineInput
from tests.e2e.conftest import DbScope, Factory
from tests.e2e.test_portal import sign_in

pytestmark = pytest.mark.e2e


def test_last_year_preview_and_pdf_show_the_same_closing_balance(
    page: Page, make: Factory, db: DbScope, tmp_path: Path
):
    account = make.account()
    year = date.today().year - 1
    first = make.invoice(
        account.client,
        lines=[LineInput("Design", 1000, 1200_00)],
        issue_date=date(year, 3, 1),
        due_date=date(year, 3, 31),
    )
    make.invoice(
        account.client,
        lines=[LineInput("Hosting", 1000, 345_67)],
        issue_date=date(year, 11, 1),
        due_date=date(year, 12, 1),
    )
    with db() as session:
        payment = Payment(
            company_id=account.company.id,
            client_id=account.client.id,
            number=f"PAY-E2E-{first.id}",
            status="completed",
            currency="USD",
            amount_minor=500_00,
            applied_minor=500_00,
        )
        session.add(payment)
        session.flush()
        session.add(
            PaymentAllocation(
                company_id=account.company.id,
                payment_id=payment.id,
                invoice_id=first.id,
                amount_minor=500_00,
                created_at=datetime(year, 4, 15, 12, tzinfo=UTC),
            )
        )
    expected = "$1,045.67"  # 1,200.00 + 345.67 - 500.00

    sign_in(page, account, "/client/statement")
    page.get_by_role("combobox", name="Period").select_option(label="Last year")
    expect(page.locator("#statement-start")).to_have_value(f"{year}-01-01")
    expect(page.locator("#statement-end")).to_have_value(f"{year}-12-31")
    closing = page.locator('[data-testid="statement-closing"]')
    expect(closing).to_contain_text(expected)
    expect(page.locator('[data-testid="statement-row"]')).to_have_count(3)

    with page.expect_download() as info:
        page.locator("#download-statement").click()
    download = info.value
    assert download.failure() is None
    assert "/api/files/" in download.url  # the short-lived signed URL, not the page state
    assert download.suggested_filename == f"statement-{year}-01-01-{year}-12-31.pdf"
    expect(page.get_by_test_id("statement-ready")).to_be_visible()
    assert _pdf_closing(download, tmp_path) == expected


def _pdf_closing(download, tmp_path: Path) -> str:
    saved = tmp_path / "statement.pdf"
    download.save_as(saved)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    return re.search(r"Closing balance USD\s*(\S+)", text.replace("\u00a0", " ")).group(1)


def _many_lines(db: DbScope, account, lines: int, year: int) -> None:
    """`lines` statement lines in `year`: lines/2 invoices, each with one part payment."""
    client, now = account.client, datetime.now(UTC)
    half = lines // 2
    start = date(year, 1, 1)
    with db() as session:
        session.execute(
            insert(Invoice),
            [
                {
                    "company_id": client.company_id,
                    "client_id": client.id,
                    "number": f"BULK-{client.id}-{i:05d}",
                    "status": "partial",
                    "currency": "USD",
                    "issue_date": start + timedelta(days=i * 360 // half),
                    "due_date": start + timedelta(days=i * 360 // half + 30),
                    "amount_minor": 100_00 + i,
                    "paid_to_date_minor": 40_00,
                    "balance_minor": 60_00 + i,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(half)
            ],
        )
        ids = session.exec(
            select(Invoice.id).where(Invoice.client_id == client.id).order_by(Invoice.id)
        ).all()
        session.execute(
            insert(Payment),
            [
                {
                    "company_id": client.company_id,
                    "client_id": client.id,
                    "number": f"BULKP-{client.id}-{i:05d}",
                    "status": "completed",
                    "currency": "USD",
                    "amount_minor": 40_00,
                    "applied_minor": 40_00,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(half)
            ],
        )
        pay_ids = session.exec(
            select(Payment.id).where(Payment.client_id == client.id).order_by(Payment.id)
        ).all()
        session.execute(
            insert(PaymentAllocation),
            [
                {
                    "company_id": client.company_id,
                    "payment_id": pid,
                    "invoice_id": iid,
                    "amount_minor": 40_00,
                    "refunded_minor": 0,
                    "created_at": datetime.combine(
                        start + timedelta(days=i * 360 // half + 3),
                        datetime.min.time(),
                        tzinfo=UTC,
                    ),
                }
                for i, (pid, iid) in enumerate(zip(pay_ids, ids, strict=True))
            ],
        )


def test_ten_thousand_lines_build_with_progress_and_download_from_a_signed_url(
    page: Page, make: Factory, db: DbScope, tmp_path: Path, new_context
):
    account = make.account()
    year = date.today().year - 1
    _many_lines(db, account, 10_000, year)
    half = 5_000
    expected_minor = sum(100_00 + i for i in range(half)) - half * 40_00
    expected = f"${expected_minor // 100:,}.{expected_minor % 100:02d}"

    sign_in(page, account, "/client/statement")
    page.get_by_role("combobox", name="Period").select_option(label="Last year")
    closing = page.locator('[data-testid="statement-closing"]')
    expect(closing).to_contain_text(expected)
    # The preview pages through the lines; the browser never holds all 10,000.
    expect(page.get_by_test_id("statement-lines")).to_have_text("Lines 1–100 of 10,000")
    expect(page.locator('[data-testid="statement-row"]')).to_have_count(100)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("statement-lines")).to_have_text("Lines 101–200 of 10,000")
    expect(page.locator('[data-testid="statement-row"]')).to_have_count(100)

    # Cancel: the build stops, nothing is downloaded.
    page.locator("#download-statement").click()
    expect(page.locator("#statement-progress")).to_be_visible()
    page.locator("#cancel-statement").click()
    expect(page.get_by_test_id("statement-build-message")).to_have_text("PDF cancelled.")
    expect(page.locator("#statement-progress")).to_have_count(0)

    # Build again and watch it progress while the page stays responsive.
    labels: list[str] = []
    with page.expect_download(timeout=120_000) as info:
        page.locator("#download-statement").click()
        label = page.get_by_test_id("statement-progress-label")
        expect(label).to_be_visible()
        while label.count():
            try:
                labels.append(label.inner_text(timeout=500))
            except Exception:  # noqa: BLE001 - the label went away between the two calls
                break
            page.wait_for_timeout(50)
    download = info.value
    assert download.failure() is None
    # Progress was shown while building, and every label said something true. Which phases a
    # 0.3 s poll happens to catch depends on the machine's speed (a quick machine can draw
    # 10,000 lines between two polls), so the line count is checked only when it was caught.
    assert labels, "no progress label while building"
    known = r"Reading the statement…|Saving the PDF…|Drawing line [\d,]+ of 10,000 \(\d+%\)"
    assert all(re.fullmatch(known, t) for t in labels), labels
    expect(page.get_by_test_id("statement-ready")).to_be_visible()
    assert re.search(r"/api/files/[A-Za-z0-9_.%-]+$", download.url)
    assert _pdf_closing(download, tmp_path) == expected

    # The signed URL is worthless to anyone else: a signed-out browser gets a 404.
    stranger = new_context()
    response = stranger.request.get(download.url)
    assert response.status == 404 and b"%PDF" not in response.body()


def test_end_before_start_shows_the_error_by_the_field(page: Page, make: Factory):
    account = make.account()
    sign_in(page, account, "/client/statement")
    page.locator("#statement-end").fill("2000-01-01")
    expect(page.get_by_text("The end date must not be before the start date.")).to_be_visible()
    expect(page.locator("#download-statement")).to_have_count(0)


def test_the_date_fields_load_no_image(page: Page, make: Factory):
    # Chromium's own stylesheet draws a date field's calendar button with an SVG data: URL,
    # one more request in the page's load (issue 23: at most 15); ours is drawn with a border.
    account = make.account()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    images: list[str] = []
    cdp.on(
        "Network.requestWillBeSent",
        lambda event: (
            images.append(event["request"]["url"][:60])
            if event["request"]["url"].startswith("data:")
            else None
        ),
    )
    sign_in(page, account, "/client/statement")
    expect(page.locator("#statement-start")).to_be_visible()
    expect(page.locator("#statement-end")).to_be_visible()
    expect(page.locator('[data-testid="statement-closing"]').first).to_be_visible()
    page.wait_for_timeout(300)  # a frame or two after the fields are laid out
    assert images == []
    # The button is still there, where Chromium puts it, with the field's size.
    box = page.locator("#statement-start").bounding_box()
    assert box is not None and box["height"] > 20
