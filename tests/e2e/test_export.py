"""The lists' Export control in Chromium: the invoice list filtered to paid, a date range and
XLSX chosen, the file downloaded and read back with openpyxl (only the client's paid invoice
of that range, exact amounts)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from portal_app.services.billing.invoice_math import LineInput
from tests.e2e.conftest import Factory
from tests.e2e.test_portal import ROW, sign_in

pytestmark = pytest.mark.e2e


def test_export_paid_invoices_as_xlsx(page: Page, make: Factory, tmp_path: Path):
    account = make.account()
    issued = date.today() - timedelta(days=5)
    paid = make.invoice(
        account.client,
        status="paid",
        issue_date=issued,
        lines=[LineInput("Design", 1000, 1234_56)],
        paid_minor=1234_56,
    )
    make.invoice(account.client, issue_date=issued)  # unpaid: filtered out
    make.invoice(account.client, status="paid", issue_date=issued - timedelta(days=400))
    other = make.account(account.company)
    make.invoice(other.client, status="paid", issue_date=issued, paid_minor=100_00)

    sign_in(page, account, "/client/invoices")
    page.goto("/client/invoices?status=paid")
    expect(page.locator(ROW)).to_have_count(2)
    page.locator("#export-invoices-open").click()
    start, end = (issued - timedelta(days=30)).isoformat(), date.today().isoformat()
    page.locator("#export-invoices-start").fill(start)
    page.locator("#export-invoices-end").fill(end)
    page.locator("#export-invoices-format").click()
    page.get_by_role("option", name="XLSX (Excel)").click()
    link = page.locator("#export-invoices-download")
    path = f"/api/export/invoices?start={start}&end={end}&format=xlsx&status=paid&sort=date&desc=1"
    expect(link).to_have_attribute("href", re.compile(re.escape(path) + "$"))
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"invoices-{start}-{end}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(io.BytesIO(saved.read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("Number", "Issue date", "Due date", "Status", "Currency", "Amount")
    assert [row[0] for row in rows[1:]] == [paid.number]
    assert rows[1][3] == "Paid" and rows[1][4] == "USD"
    assert Decimal(str(rows[1][5])) == Decimal("1234.56")

    # A wrong range is named next to its field and offers no download.
    page.locator("#export-invoices-end").fill((issued - timedelta(days=60)).isoformat())
    expect(page.get_by_text("The end date must not be before the start date.")).to_be_visible()
    expect(page.locator("#export-invoices-download")).to_have_count(0)


def test_activity_lists_a_view_and_a_download(page: Page, make: Factory):
    account = make.account()
    invoice = make.invoice(account.client)
    other = make.account(account.company)
    theirs = make.invoice(other.client)

    sign_in(page, other, "/client/dashboard")
    page.goto(f"/client/invoices/{theirs.id}")  # another client's view: never shown below
    expect(page.get_by_role("heading", level=1)).to_contain_text(theirs.number)
    page.context.clear_cookies()

    sign_in(page, account, "/client/activity")
    # Only this sign-in so far (sign-ins are listed since 09b6411); the other client's is not.
    rows = page.get_by_test_id("activity-row")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Casey Contact signed in with a password.")
    page.goto(f"/client/invoices/{invoice.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(invoice.number)
    with page.expect_download() as info:
        page.locator("#download-pdf").click()
    assert info.value.failure() is None

    page.get_by_role("navigation", name="Portal").first.get_by_role(
        "link", name="Activity", exact=True
    ).click()
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(f"Casey Contact downloaded invoice {invoice.number}.")
    expect(rows.nth(1)).to_contain_text(f"Casey Contact viewed invoice {invoice.number}.")
    expect(rows.nth(2)).to_contain_text("Casey Contact signed in with a password.")
    expect(page.get_by_text(theirs.number)).to_have_count(0)
