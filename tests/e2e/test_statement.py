"""The Statement tab in Chromium: choose last year, preview, download the PDF, same closing."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from portal_app.models import Payment, PaymentAllocation
from portal_app.services.invoice_math import LineInput
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
    page.get_by_role("combobox", name="Period").click()
    page.get_by_role("option", name="Last year").click()
    expect(page.locator("#statement-start")).to_have_value(f"{year}-01-01")
    expect(page.locator("#statement-end")).to_have_value(f"{year}-12-31")
    closing = page.locator('[data-testid="statement-closing"]')
    expect(closing).to_contain_text(expected)
    expect(page.locator('[data-testid="statement-row"]')).to_have_count(3)

    with page.expect_download() as info:
        page.locator("#download-statement").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"statement-{year}-01-01-{year}-12-31.pdf"
    saved = tmp_path / "statement.pdf"
    download.save_as(saved)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    text = text.replace("\u00a0", " ")
    assert re.search(r"Closing balance USD\s*(\S+)", text).group(1) == expected


def test_end_before_start_shows_the_error_by_the_field(page: Page, make: Factory):
    account = make.account()
    sign_in(page, account, "/client/statement")
    page.locator("#statement-end").fill("2000-01-01")
    expect(page.get_by_text("The end date must not be before the start date.")).to_be_visible()
    expect(page.locator("#download-statement")).to_have_count(0)
