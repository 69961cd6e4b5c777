"""The staff work queue and the readable audit log in a real Chromium: the queue lists what
waits (with counts in the navigation) and only the company's items; the audit log reads as
sentences, its filters and search narrow it, the CSV export has the filtered rows, and its
times follow the time zone set on /staff/settings."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal_app.core.db import utcnow
from portal_app.models import Document, Payment
from portal_app.services.identity import audit
from tests.e2e.test_portal import wait_interactive
from tests.e2e.test_staff_documents import _staff, _staff_sign_in
from tests.helpers.quotes import add_quote
from tests.helpers.staff import add_staff

pytestmark = pytest.mark.e2e


def _payment(db, client, number: str) -> None:
    with db() as session:
        session.add(
            Payment(
                company_id=client.company_id,
                client_id=client.id,
                number=number,
                status="completed",
                currency="USD",
                amount_minor=75_00,
            )
        )


def test_the_work_queue_lists_what_waits_with_counts_in_the_navigation(page: Page, make, db):
    account = make.account()
    company, client = account.company, account.client
    staff = _staff(db, company)
    tag = uuid.uuid4().hex[:6].upper()
    _payment(db, client, f"PAY-{tag}")
    with db() as session:
        add_quote(session, client, number=f"Q-{tag}", status="approved", approved_at=utcnow())
        session.add(
            Document(
                company_id=company.id,
                client_id=client.id,
                name=f"receipt-{tag}.pdf",
                sha256="0" * 64,
                media_type="application/pdf",
                uploaded_by="contact",
            )
        )
    other = make.account()
    _payment(db, other.client, f"PAY-X{tag}")

    _staff_sign_in(page, staff.email, "/staff/clients")
    home = page.get_by_role("link", name=re.compile("^Work queue")).first
    expect(home).to_contain_text("3")
    home.click()
    page.wait_for_url(re.compile(r"/staff/?$"))
    expect(page.get_by_role("heading", name="Work queue", level=1)).to_be_visible()
    items = page.get_by_test_id("queue-item")
    expect(items).to_have_count(3)
    expect(page.get_by_test_id("queue-unapplied_payment")).to_contain_text("$75.00 not applied")
    expect(page.get_by_test_id("queue-quote_answered")).to_contain_text(f"Quote Q-{tag}")
    expect(page.get_by_test_id("queue-client_upload")).to_contain_text(f"receipt-{tag}.pdf")
    expect(page.get_by_text(f"PAY-X{tag}")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Payments")).first).to_contain_text("1")

    page.get_by_test_id("queue-unapplied_payment").get_by_role("link", name="Apply").click()
    page.wait_for_url(re.compile(r"/staff/payments\?filter=unapplied$"))
    expect(page.get_by_text(f"PAY-{tag}")).to_be_visible()


def test_the_audit_log_reads_as_sentences_filters_and_exports(page: Page, make, db):
    account = make.account()
    company, client = account.company, account.client
    olive = _staff(db, company, role="admin")  # the audit log is for owners and admins
    with db() as session:
        sam = add_staff(session, company, password_hash="x", name="Sammy Second")
    invoice = make.invoice(client, number=f"INV-{uuid.uuid4().hex[:6]}")
    with db() as session:
        for n in range(3):
            audit.record(
                session,
                company_id=company.id,
                client_id=client.id,
                action="invoice_sent",
                actor_type="staff",
                actor_id=olive.id,
                entity_type="invoice",
                entity_id=invoice.id,
                ip=f"192.0.2.{n}",
            )
        audit.record(
            session,
            company_id=company.id,
            action="settings_changed",
            actor_type="staff",
            actor_id=sam.id,
            details={"fields": ["currency"]},
        )
        audit.record(
            session,
            company_id=make.company().id,
            action="invoice_sent",
            actor_type="staff",
            actor_id=olive.id,
        )

    page.set_viewport_size({"width": 1280, "height": 900})
    _staff_sign_in(page, olive.email, "/staff/audit")
    rows = page.get_by_test_id("audit-row")
    # Signing in is audited too, so look for the seeded sentences.
    sent = rows.filter(has_text=f"Invoice {invoice.number}: sent by")
    expect(sent).to_have_count(3)
    expect(rows.filter(has_text="changed the settings. Changed: currency.")).to_have_count(1)

    # No column is cut off at 1280 px: the table fits the main area.
    table_width = page.locator("#main table").first.evaluate("e => e.scrollWidth")
    box_width = page.locator("#main table").first.evaluate("e => e.parentElement.clientWidth")
    assert table_width <= box_width + 1

    page.get_by_role("combobox", name="Kind").click()
    # The kind is named by its sentence, translated ("… " for the person and the number).
    page.get_by_role("option", name="Invoice …: sent by …").click()
    expect(rows).to_have_count(3)

    page.get_by_role("textbox", name="Search").fill("192.0.2.1")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    header, *lines = list(csv.reader(io.StringIO(text)))
    assert header[0] == "When (UTC)"
    assert len(lines) == 1 and lines[0][6] == "192.0.2.1"

    page.get_by_role("button", name="Clear").click()
    page.get_by_role("combobox", name="Staff user").click()
    page.get_by_role("option", name="Sammy Second").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("changed the settings")


def test_the_audit_log_shows_times_in_the_zone_set_in_settings(page: Page, make, db):
    account = make.account()
    company = account.company
    admin = _staff(db, company, role="admin")
    with db() as session:
        event = audit.record(
            session,
            company_id=company.id,
            action="settings_changed",
            actor_type="staff",
            actor_id=admin.id,
            details={"fields": ["currency"]},
        )
        event.created_at = datetime(2026, 1, 5, 15, 4, 5, tzinfo=UTC)
        session.add(event)

    _staff_sign_in(page, admin.email, "/staff/settings")
    zone = page.get_by_role("textbox", name="Time zone (e.g. Europe/Berlin)")
    expect(zone).to_have_value("UTC")
    wait_interactive(page, "#save-settings")
    zone.fill("Mars/Olympus")
    page.locator("#save-settings").click()
    expect(page.locator("#time_zone-error")).to_have_text(
        "Not a known time zone (e.g. UTC, Europe/Berlin, America/New_York)."
    )
    page.get_by_role("textbox", name="Time zone (e.g. Europe/Berlin)").fill("America/New_York")
    page.locator("#save-settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()

    page.goto("/staff/audit")
    seeded = page.get_by_test_id("audit-row").filter(has_text="Changed: currency.")
    # 15:04:05 UTC is 10:04:05 in New York in January (Babel puts a narrow space before AM).
    expect(seeded).to_contain_text(re.compile(r"Jan 5, 2026, 10:04:05\sAM EST"))
