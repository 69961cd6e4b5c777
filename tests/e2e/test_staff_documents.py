"""Staff documents in a real Chromium: create an invoice, e-mail it, the client pays from the
e-mailed link in a fresh browser; mark sent / mark paid show in the client's portal at once."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import Invoice, Payment
from tests.e2e.conftest import PASSWORD, Factory
from tests.e2e.test_pay import PAYMENT_URL, _type_card
from tests.e2e.test_portal import sign_in, wait_interactive
from tests.helpers.staff import add_staff

pytestmark = pytest.mark.e2e

DETAIL_URL = re.compile(r"/staff/invoices/(\d+)/?$")


def _staff(db, company, role: str = "staff"):
    from portal_app.services.passwords import hash_password

    with db() as session:
        user = add_staff(session, company, password_hash=hash_password(PASSWORD), role=role)
    return user


def _staff_sign_in(page: Page, email: str, next_path: str) -> None:
    page.goto(f"/staff/login?next={next_path}")
    wait_interactive(page, "#email")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(re.escape(next_path) + r"/?$"))
    expect(page.locator("#main h1").first).to_be_visible()


def _line(page: Page, label: str):
    return page.get_by_role("textbox", name=label).first


def test_staff_creates_and_emails_an_invoice_the_client_pays_from_the_link(
    page: Page, new_context, make: Factory, db, mail_server, base_url
):
    account = make.account()
    staff = _staff(db, account.company)
    _staff_sign_in(page, staff.email, "/staff/invoices/new")

    page.get_by_role("combobox", name="Client").click()
    page.get_by_role("option", name=account.client.name).click()
    due = (date.today() + timedelta(days=14)).isoformat()
    page.locator("#field-due-date").fill(due)
    _line(page, "Description").fill("Website design")
    _line(page, "Quantity").fill("2")
    _line(page, "Unit price").fill("150")
    _line(page, "Tax name").fill("VAT")
    _line(page, "Tax rate %").fill("10")
    page.locator("#save-document").click()
    page.wait_for_url(DETAIL_URL)
    invoice_id = int(DETAIL_URL.search(page.url).group(1))
    expect(page.locator("#doc-totals")).to_contain_text("$330.00")
    expect(page.get_by_text("Draft", exact=True).first).to_be_visible()
    with db() as session:
        invoice = session.get(Invoice, invoice_id)
        assert (invoice.status, invoice.amount_minor) == ("draft", 330_00)
        assert invoice.client_id == account.client.id

    page.locator("#email-document").click()
    expect(page.locator("#doc-notice")).to_contain_text(f"E-mailed to {account.email}")
    with db() as session:
        assert session.get(Invoice, invoice_id).status == "sent"
    messages = mail_server.to(account.email)
    assert len(messages) == 1
    text = messages[0].get_body(preferencelist=("plain",)).get_content()
    links = re.findall(r"https?://\S+", text)
    assert len(links) == 1 and links[0].startswith(base_url + "/client/invoice/")

    # The client opens the e-mailed link in a fresh browser (no cookies) and pays by card.
    client_page = new_context().new_page()
    client_page.goto(links[0])
    client_page.wait_for_url(re.compile(rf"/client/invoices/{invoice_id}/?$"))
    client_page.locator("#pay-now").click()
    expect(client_page.locator("#pay-total")).to_have_text("$330.00")
    _type_card(client_page, "4242424242424242")
    client_page.locator("#pay-button").click()
    client_page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        assert session.get(Invoice, invoice_id).status == "paid"

    page.reload()
    expect(page.get_by_text("Paid", exact=True).first).to_be_visible()


def test_mark_sent_and_mark_paid_show_in_the_portal(page: Page, new_context, make: Factory, db):
    account = make.account()
    invoice = make.invoice(account.client, status="draft")
    staff = _staff(db, account.company)
    client_page = new_context().new_page()
    sign_in(client_page, account)
    client_page.goto(f"/client/invoices/{invoice.id}")
    expect(client_page.get_by_text("Invoice not found")).to_be_visible()

    _staff_sign_in(page, staff.email, f"/staff/invoices/{invoice.id}")
    page.locator("#mark-sent").click()
    expect(page.locator("#doc-notice")).to_contain_text("Marked as sent")
    client_page.reload()
    expect(client_page.get_by_role("heading", name=re.compile(invoice.number))).to_be_visible()

    page.get_by_role("textbox", name="Payment reference").fill("Bank transfer 42")
    page.locator("#mark-paid").click()
    expect(page.locator("#doc-notice")).to_contain_text("Marked as paid")
    with db() as session:
        payments = session.exec(select(Payment).where(Payment.client_id == account.client.id)).all()
        assert [(p.method, p.amount_minor, p.method_label) for p in payments] == [
            ("manual", 240_00, "Bank transfer 42")
        ]
    client_page.reload()
    expect(client_page.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(client_page.locator("#pay-now")).to_have_count(0)


def test_another_companys_invoice_is_not_found_for_staff(page: Page, make: Factory, db):
    mine = make.account()
    theirs = make.account()
    foreign = make.invoice(theirs.client, status="draft")
    staff = _staff(db, mine.company)
    _staff_sign_in(page, staff.email, "/staff/invoices")
    page.goto(f"/staff/invoices/{foreign.id}")
    expect(page.get_by_text("Invoice not found")).to_be_visible()
    expect(page.locator("#mark-sent")).to_have_count(0)
