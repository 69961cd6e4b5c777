"""Payment reminders in a real Chromium: the reminder read from the real SMTP test server, its
invoice link opens the invoice without a password, its unsubscribe link asks first and then
stops the reminders, and the page that says so switches them back on (issue 22 item 3)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from portal_app.models import ClientContact
from portal_app.services.billing import reminders
from portal_app.services.identity import email_choices
from tests.e2e.conftest import Factory
from tests.e2e.test_portal import detail_url

pytestmark = pytest.mark.e2e


def test_reminder_links_open_the_invoice_and_unsubscribe(
    new_context, db, make: Factory, mail_server
):
    today = date.today()
    account = make.account(reminder_days="-3,7", name="Northwind Studio")
    invoice = make.invoice(
        account.client, issue_date=today - timedelta(days=30), due_date=today - timedelta(days=7)
    )
    with db() as session:
        outcome = reminders.send_reminder(session, invoice_id=invoice.id, step=7, today=today)
    # The portal's own job run may have queued this very step first: it goes out once either way.
    assert outcome in ("queued", "sent_before")
    (message,) = mail_server.to(account.email)
    assert invoice.number in message["Subject"] and "overdue" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    invoice_link = re.search(r"https?://\S+/client/invoice/\S+", text).group(0)
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe in text

    page = new_context().new_page()
    page.goto(urlsplit(invoice_link).path)
    page.wait_for_url(detail_url(invoice.id))
    expect(page.get_by_text(invoice.number).first).to_be_visible()

    page = new_context().new_page()
    page.goto(urlsplit(unsubscribe).path)
    expect(page.get_by_text("Stop these e-mails: Payment reminders?")).to_be_visible()
    assert _wants_reminders(db, account.contact.id)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="Unsubscribed")).to_be_visible()
    assert not _wants_reminders(db, account.contact.id)
    with db() as session:
        later = today + timedelta(days=30)
        assert (
            reminders.send_reminder(session, invoice_id=invoice.id, step=14, today=later)
            == "opted_out"
        )
    # Changed their mind: the same page switches reminders back on.
    page.get_by_role("button", name="Subscribe again").click()
    expect(page.get_by_role("heading", name="Subscribed again")).to_be_visible()
    assert _wants_reminders(db, account.contact.id)
    expect(page.get_by_role("link", name="Choose which e-mails you get")).to_be_visible()


def _wants_reminders(db, contact_id: int) -> bool:
    with db() as session:
        contact = session.get(ClientContact, contact_id)
        return email_choices.wants(session, contact, email_choices.PAYMENT_REMINDER)
