"""Staff document pages in a real Chromium (issue 19 items 5-7): the client's answer to a quote
in full, the PDF as the client gets it (download and preview, staff only), the apply dialog's
pre-filled amount and the refund dialog's refunded and refundable amounts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import Payment, Quote
from tests.e2e.conftest import Factory
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_portal import sign_in
from tests.e2e.test_quotes import _draw_signature, _open_quote, _quote
from tests.e2e.test_staff_documents import _card_prepayment, _staff, _staff_sign_in

pytestmark = pytest.mark.e2e


def test_staff_read_the_clients_approval_in_full(page: Page, new_context, make: Factory, db):
    account = make.account(
        require_quote_terms=True,
        require_quote_signature=True,
        quote_terms="Work starts within a week.",
        quote_terms_version=4,
    )
    quote = _quote(db, account)
    # The client approves in its own browser: terms, signature, PO number.
    client_page = new_context().new_page()
    sign_in(client_page, account)
    _open_quote(client_page, quote)
    client_page.locator("#approve-quote").click()
    dialog = client_page.get_by_role("dialog")
    dialog.get_by_role("checkbox", name="I have read and accept these terms").click()
    dialog.locator("#terms-continue").click()
    _draw_signature(client_page)
    dialog.locator("#sign-continue").click()
    dialog.locator("#po-number").fill("PO-STAFF-5")
    dialog.locator("#confirm-approve").click()
    client_page.wait_for_url(re.compile(r"/client/pay\?invoices=\d+$"), timeout=30_000)
    with db() as session:
        invoice_id = session.get(Quote, quote.id).invoice_id
    assert invoice_id

    staff = _staff(db, account.company)
    _staff_sign_in(page, staff.email, f"/staff/quotes/{quote.id}")
    answer = page.locator("#quote-answer")
    expect(answer).to_contain_text("Approved on")
    expect(answer).to_contain_text(f"<{account.email}>")
    expect(answer).to_contain_text("127.0.0.1")
    expect(answer).to_contain_text("signed in")
    expect(answer).to_contain_text("Accepted (version 4)")
    expect(answer).to_contain_text("PO-STAFF-5")
    signature = page.locator("#quote-signature")
    expect(signature).to_be_visible()
    # The image came through the staff route (a broken image has no natural width).
    loaded = "el => el.complete && el.naturalWidth > 0"
    page.wait_for_function(loaded, arg=signature.element_handle())
    assert _violations(page) == []
    # A quote is an offer: no Paid or Balance rows.
    expect(page.locator("#doc-totals")).to_contain_text("$360.00")
    expect(page.locator("#doc-totals")).not_to_contain_text("Balance")
    expect(page.locator("#doc-totals")).not_to_contain_text("Paid")
    page.locator("#quote-invoice").click()
    page.wait_for_url(re.compile(rf"/staff/invoices/{invoice_id}/?$"))
    expect(page.locator("#doc-totals")).to_contain_text("$360.00")
    # The signature is staff-only: the client's own session cannot fetch it.
    url = (
        page.locator("#download-pdf")
        .get_attribute("href")
        .replace(f"invoices/{invoice_id}/pdf", f"quotes/{quote.id}/signature")
    )
    assert page.request.get(url).status == 200
    assert client_page.request.get(url).status == 401


def test_staff_read_a_decline_and_its_reason(page: Page, new_context, make: Factory, db):
    account = make.account()
    quote = _quote(db, account)
    client_page = new_context().new_page()
    sign_in(client_page, account)
    _open_quote(client_page, quote)
    client_page.locator("#decline-quote").click()
    client_page.get_by_label("Reason (optional)").fill("Over our budget.")
    client_page.locator("#confirm-decline").click()
    expect(client_page.get_by_text("Quote declined.")).to_be_visible()

    staff = _staff(db, account.company)
    _staff_sign_in(page, staff.email, f"/staff/quotes/{quote.id}")
    answer = page.locator("#quote-answer")
    expect(answer).to_contain_text("Declined on")
    expect(answer).to_contain_text("Over our budget.")
    expect(answer).to_contain_text(f"<{account.email}>")
    expect(answer).to_contain_text("127.0.0.1")
    expect(page.locator("#quote-signature")).to_have_count(0)


def test_pdfs_as_the_client_gets_them_for_staff_only(page: Page, new_context, make: Factory, db):
    account = make.account()
    invoice = make.invoice(account.client)
    quote = _quote(db, account)
    credit = _credit(db, account)
    staff = _staff(db, account.company)
    client_page = new_context().new_page()
    sign_in(client_page, account)
    _staff_sign_in(page, staff.email, f"/staff/invoices/{invoice.id}")
    for kind, record in (("invoice", invoice), ("quote", quote), ("credit", credit)):
        page.goto(f"/staff/{kind}s/{record.id}")
        expect(page.locator("#doc-totals")).to_be_visible()
        with page.expect_download() as download:
            page.locator("#download-pdf").click()
        path = download.value.path()
        with open(path, "rb") as handle:
            assert handle.read(5) == b"%PDF-"
        assert download.value.suggested_filename == f"{kind}-{record.number}.pdf"
        preview = page.locator("#preview-pdf")
        assert preview.get_attribute("target") == "_blank"
        href = preview.get_attribute("href")
        assert href.endswith(f"/api/staff/{kind}s/{record.id}/pdf?inline=1")
        shown = page.request.get(href)
        assert shown.status == 200 and shown.headers["content-type"] == "application/pdf"
        assert shown.headers["content-disposition"].startswith("inline")
        # The client's session does not open the staff route; its own download still works.
        assert client_page.request.get(href).status == 401
    # A credit has no due date: no empty "Due date" row.
    expect(page.locator("#main")).not_to_contain_text("Due date")
    assert client_page.request.get(f"/api/credits/{credit.id}/pdf").status == 200


def _credit(db, account):
    from portal_app.models import Credit

    with db() as session:
        credit = Credit(
            company_id=account.company.id,
            client_id=account.client.id,
            number=f"CR-{account.client.id}-E2E",
            status="sent",
            currency="USD",
            issue_date=account.client.created_at.date(),
            subtotal_minor=25_00,
            amount_minor=25_00,
            balance_minor=25_00,
        )
        session.add(credit)
    return credit


def test_apply_prefills_and_refund_shows_what_was_refunded(
    page: Page, make: Factory, db, gateway, browser_card
):
    account = make.account()
    big = make.invoice(account.client)  # 240.00
    small = make.invoice(account.client, paid_minor=200_00)  # 40.00 left
    payment = _card_prepayment(db, gateway, browser_card, account, 100_00)
    owner = _staff(db, account.company, role="owner")
    _staff_sign_in(page, owner.email, "/staff/payments")

    page.get_by_role("button", name=f"Apply payment {payment.number}").click()
    dialog = page.get_by_role("dialog")
    # The smaller of what the payment has left (100.00) and each invoice's balance.
    expect(dialog.get_by_role("textbox", name=f"Amount for {big.number}")).to_have_value("100.00")
    expect(dialog.get_by_role("textbox", name=f"Amount for {small.number}")).to_have_value("40.00")
    dialog.get_by_role("checkbox", name=f"Apply to {small.number}").click()
    dialog.locator("#submit-apply").click()
    expect(page.get_by_text(f"Applied payment {payment.number}")).to_be_visible()

    page.get_by_role("button", name=f"Refund payment {payment.number}").click()
    summary = page.get_by_role("dialog").locator("#refund-summary")
    expect(summary).to_contain_text("Nothing yet")
    expect(summary).to_contain_text("$100.00")
    page.locator("#refund-amount").fill("15.00")
    page.locator("#submit-refund").click()
    expect(page.get_by_text("Refunded; payment")).to_be_visible(timeout=30_000)

    page.get_by_role("button", name=f"Refund payment {payment.number}").click()
    summary = page.get_by_role("dialog").locator("#refund-summary")
    expect(summary).to_contain_text("Already refunded$15.00")
    expect(summary).to_contain_text("Can still be refunded$85.00")
    assert _violations(page) == []
    # More than is left is refused next to the field; nothing changes.
    page.locator("#refund-amount").fill("85.01")
    page.locator("#submit-refund").click()
    expect(page.get_by_role("dialog").get_by_text("more than")).to_be_visible(timeout=30_000)
    with db() as session:
        stored = session.exec(select(Payment).where(Payment.id == payment.id)).one()
        assert stored.refunded_minor == 15_00
