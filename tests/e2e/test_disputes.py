"""Questions and disputes on an invoice in a real Chromium (issue 22 item 4): the client writes
(an empty message refused next to the field, then a dispute with a file), staff are told by
e-mail and answer and resolve from the console, the client's e-mail (read from the SMTP test
server) links back to the thread; axe finds nothing on either side and the phone layout holds."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from portal_app.services.billing import disputes
from tests.e2e.conftest import Factory
from tests.e2e.test_accessibility import _overflow, _violations
from tests.e2e.test_portal import detail_url, sign_in, wait_interactive
from tests.e2e.test_staff import _staff_user, staff_sign_in

pytestmark = pytest.mark.e2e


def _thread_ready(page: Page) -> None:
    expect(page.locator("#document-thread")).to_be_visible()
    wait_interactive(page, "#thread-send")


def test_a_dispute_from_the_invoice_page_to_the_staff_answer_and_back(
    new_context, db, make: Factory, mail_server, tmp_path: Path
):
    office = f"office-{uuid.uuid4().hex[:10]}@example.test"
    account = make.account(name="Northwind Studio", email=office)
    invoice = make.invoice(account.client)
    staff = _staff_user(db, account.company)

    page = new_context().new_page()
    sign_in(page, account, f"/client/invoices/{invoice.id}")
    _thread_ready(page)
    expect(page.get_by_role("heading", name="Questions about this invoice")).to_be_visible()
    expect(page.locator("#thread-empty")).to_be_visible()

    # Nothing written: the refusal is next to the field and tied to it.
    page.locator("#thread-send").click()
    expect(page.locator("#thread-body-error")).to_have_text("Write your message.")
    expect(page.locator("#thread-body")).to_have_attribute("aria-invalid", "true")

    proof = tmp_path / "delivery-note.pdf"
    proof.write_bytes(b"%PDF-1.4\n%proof\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.locator("#thread-body").fill("We never received the second batch.")
    dispute = page.get_by_label("I dispute this invoice")
    dispute.click()  # a controlled checkbox: checked once the server has the choice
    expect(dispute).to_have_attribute("aria-checked", "true")
    page.locator('#thread-upload input[type="file"]').set_input_files(str(proof))
    expect(page.locator("#document-thread").get_by_text("delivery-note.pdf")).to_be_visible()
    page.locator("#thread-send").click()
    expect(page.get_by_role("status")).to_contain_text("Your dispute is sent.")
    message = page.get_by_test_id("thread-message")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("We never received the second batch.")
    expect(message.get_by_role("button", name="delivery-note.pdf")).to_be_visible()
    expect(page.locator("#thread-status")).to_have_text("Open dispute")
    with db() as session:
        assert disputes.in_dispute(session, invoice.id)

    (to_staff,) = mail_server.to(office)
    assert invoice.number in to_staff["Subject"] and "dispute" in to_staff["Subject"]
    staff_text = to_staff.get_body(preferencelist=("plain",)).get_content()
    assert "We never received the second batch." in staff_text
    assert "paused" in staff_text

    # The client's side passes axe with a thread on it, and fits a phone.
    assert _violations(page) == []
    page.set_viewport_size({"width": 360, "height": 800})
    assert _overflow(page) == []

    staff_page = new_context().new_page()
    staff_sign_in(staff_page, staff.email, f"/staff/invoices/{invoice.id}")
    expect(staff_page.locator("#staff-thread")).to_be_visible()
    expect(staff_page.locator("#staff-thread")).to_contain_text(
        "reminders and auto-bill are paused"
    )
    expect(staff_page.get_by_test_id("staff-thread-message")).to_contain_text("second batch")
    assert _violations(staff_page) == []
    wait_interactive(staff_page, "#staff-thread-send-resolve")
    staff_page.locator("#staff-thread-answer").fill("Sorry: it ships today, no charge until then.")
    staff_page.locator("#staff-thread-send-resolve").click()
    expect(staff_page.get_by_role("status")).to_contain_text("Answer sent and resolved.")
    expect(staff_page.locator("#staff-thread-status")).to_have_text("Resolved")
    with db() as session:
        assert not disputes.in_dispute(session, invoice.id)

    (to_client,) = mail_server.to(account.email)
    assert to_client["Subject"] == f"Invoice {invoice.number}: an answer from Northwind Studio"
    text = to_client.get_body(preferencelist=("plain",)).get_content()
    assert "Sorry: it ships today, no charge until then." in text
    link = re.search(r"https?://\S+/client/invoice/\S+", text).group(0)

    # The e-mailed link opens the invoice (no password) with the whole thread on it.
    linked = new_context().new_page()
    linked.goto(urlsplit(link).path)
    linked.wait_for_url(detail_url(invoice.id))
    _thread_ready(linked)
    expect(linked.get_by_test_id("thread-message")).to_have_count(2)
    expect(linked.get_by_test_id("thread-message").nth(1)).to_contain_text("Northwind Studio")
    expect(linked.locator("#thread-status")).to_have_text("Resolved")
