"""The staff e-mail outbox in a real Chromium: found in the navigation, a queued message is
listed, a failed one is retried after a confirmation and then reaches the mail server; the
page works at 360 px and sends a signed-out visitor to the sign-in page."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.models import AuditEvent, OutboxMessage, OutboxStatus
from portal_app.services.mail import outbox
from tests.e2e.test_staff_documents import _staff, _staff_sign_in

pytestmark = pytest.mark.e2e


def _queue(db, company, to: str, subject: str, **values) -> int:
    key = f"e2e:{uuid.uuid4().hex}"
    with db() as session:
        outbox.queue_email(
            session,
            company_id=company.id,
            idempotency_key=key,
            kind="invoice_sent",
            to=to,
            subject=subject,
            text="Hello from the outbox test",
        )
        row = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.flush()
        return row.id


def test_staff_see_a_queued_email_and_retry_a_failed_one(
    page: Page, new_context, make, db, mail_server
):
    company = make.company()
    staff = _staff(db, company)
    waiting = f"waiting-{uuid.uuid4().hex[:8]}@example.test"
    broken = f"broken-{uuid.uuid4().hex[:8]}@example.test"
    # Due in an hour, so the portal's send loop leaves it queued while the test looks.
    _queue(db, company, waiting, "Invoice W-1", next_attempt_at=utcnow() + timedelta(hours=1))
    failed_id = _queue(
        db,
        company,
        broken,
        "Invoice B-1",
        status=OutboxStatus.FAILED,
        attempts=8,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    _queue(db, make.company(), "elsewhere@example.test", "Not ours", status=OutboxStatus.FAILED)

    _staff_sign_in(page, staff.email, "/staff/clients")
    page.get_by_role("link", name="E-mails").first.click()
    page.wait_for_url(re.compile(r"/staff/outbox/?$"))
    expect(page.get_by_role("heading", name="E-mails", level=1)).to_be_visible()

    rows = page.get_by_test_id("outbox-row")
    expect(rows).to_have_count(2)
    queued_row = rows.filter(has_text=waiting)
    expect(queued_row).to_contain_text("Queued")
    expect(queued_row).to_contain_text("Invoice W-1")
    expect(page.get_by_text("elsewhere@example.test")).to_have_count(0)
    failed_row = rows.filter(has_text=broken)
    expect(failed_row).to_contain_text("Failed")
    expect(failed_row).to_contain_text("The mail server could not be reached.")
    expect(page.get_by_role("columnheader", name="Recipient")).to_be_visible()

    # The filter shows failed ones only.
    page.get_by_role("combobox", name="Show").click()
    page.get_by_role("option", name="Failed").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(broken)

    page.get_by_role("button", name=f"Retry the e-mail to {broken}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"Send “Invoice B-1” to {broken} again?")
    page.locator("#confirm-retry").click()
    expect(page.get_by_role("status").filter(has_text="queued again")).to_be_visible()

    (message,) = mail_server.to(broken)
    assert message["Subject"] == "Invoice B-1"
    with db() as session:
        row = session.get(OutboxMessage, failed_id)
        assert row.status == OutboxStatus.SENT
        events = session.exec(
            select(AuditEvent).where(
                AuditEvent.company_id == company.id, AuditEvent.action == "email.retried"
            )
        ).all()
        assert [e.entity_id for e in events] == [failed_id]

    # Search by recipient, after the send: the message is listed as sent.
    page.get_by_role("combobox", name="Show").click()
    page.get_by_role("option", name="Sent").click()
    page.get_by_role("searchbox", name="Search by recipient").fill(broken[:12])
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sent")
    expect(page.get_by_role("button", name=re.compile("^Retry"))).to_have_count(0)


def test_outbox_empty_state_and_phone_width(new_context, make, db):
    company = make.company()
    staff = _staff(db, company)
    phone = new_context(viewport={"width": 360, "height": 740}).new_page()
    _staff_sign_in(phone, staff.email, "/staff/outbox")
    expect(phone.get_by_text("No e-mails")).to_be_visible()
    _queue(
        db,
        company,
        f"a-rather-long-recipient-{uuid.uuid4().hex[:8]}@example.test",
        "Invoice P-1",
        status=OutboxStatus.FAILED,
        last_error="SMTPRecipientsRefused: {}",
    )
    phone.reload()
    retry = phone.get_by_role("button", name=re.compile("^Retry the e-mail to"))
    expect(retry).to_be_visible()
    expect(phone.get_by_text("The mail server refused the recipient's address.")).to_be_visible()
    # Nothing makes the page itself scroll sideways at 360 px.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width


def test_a_signed_out_visitor_is_sent_to_sign_in(page: Page):
    page.goto("/staff/outbox")
    page.wait_for_url(re.compile(r"/staff/login"))
