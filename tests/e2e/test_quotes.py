"""Quotes in a real Chromium: approve with terms and signature, pay the invoice it becomes;
several from the list; decline; the emailed quote link; axe on the quote pages and dialog."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import Invoice, Payment, Quote, QuoteApproval
from portal_app.services.identity.invitations import create_quote_invitation
from tests.e2e.conftest import Account, Factory
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_pay import PAYMENT_URL, _type_card
from tests.e2e.test_portal import sign_in, wait_interactive
from tests.helpers.quotes import add_quote

pytestmark = pytest.mark.e2e

PAY_URL = re.compile(r"/client/pay\?invoices=(\d+)$")
ROW = '[data-testid="quote-row"]'
TERMS = "Work starts within five days of approval.\nHalf of the fee is due on approval."


def _quote(db, account: Account, **kw) -> Quote:
    with db() as session:
        return add_quote(session, account.client, number=f"Q-{uuid.uuid4().hex[:8]}", **kw)


def _strict_account(make: Factory) -> Account:
    return make.account(
        require_quote_terms=True,
        require_quote_signature=True,
        quote_terms=TERMS,
        quote_terms_version=2,
    )


def _open_quote(page: Page, quote: Quote) -> None:
    page.goto(f"/client/quotes/{quote.id}")
    expect(page.locator("#quote-totals")).to_be_visible()
    wait_interactive(page, "#approve-quote")


def _draw_signature(page: Page) -> None:
    pad = page.locator("#signature-pad")
    expect(pad).to_be_visible()
    box = pad.bounding_box()
    assert box is not None
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + 30 + step * 25, y + box["height"] * (0.3 + 0.4 * (step % 2)))
    page.mouse.up()


def test_approve_with_terms_and_signature_then_pay_the_invoice(page: Page, make: Factory, db):
    account = _strict_account(make)
    quote = _quote(db, account)
    sign_in(page, account)
    page.goto("/client/quotes")
    expect(page.locator(ROW)).to_have_count(1)
    page.locator(ROW).get_by_role("link", name=quote.number).click()
    page.wait_for_url(re.compile(rf"/client/quotes/{quote.id}/?$"))
    expect(page.locator("#quote-totals")).to_contain_text("$360.00")
    wait_interactive(page, "#approve-quote")

    page.locator("#approve-quote").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Half of the fee is due on approval.")).to_be_visible()
    # Going on without accepting the terms is refused next to the checkbox.
    dialog.locator("#terms-continue").click()
    expect(dialog.get_by_text("Accept the terms to go on.")).to_be_visible()
    dialog.get_by_role("checkbox", name="I have read and accept these terms").click()
    dialog.locator("#terms-continue").click()
    # An empty signature pad is refused too.
    dialog.locator("#sign-continue").click()
    expect(dialog.get_by_role("alert")).to_contain_text("signature")
    _draw_signature(page)
    dialog.locator("#sign-continue").click()
    dialog.locator("#po-number").fill("PO-E2E-7")
    dialog.locator("#confirm-approve").click()

    page.wait_for_url(PAY_URL, timeout=30_000)
    invoice_id = int(PAY_URL.search(page.url).group(1))
    with db() as session:
        stored = session.get(Quote, quote.id)
        assert stored.status == "converted" and stored.invoice_id == invoice_id
        approval = session.exec(
            select(QuoteApproval).where(QuoteApproval.quote_id == quote.id)
        ).one()
        assert approval.terms_accepted and approval.terms_version == 2
        assert approval.signature_png.startswith(b"\x89PNG") and approval.po_number == "PO-E2E-7"
        invoice = session.get(Invoice, invoice_id)
        assert invoice.status == "sent" and invoice.po_number == "PO-E2E-7"
        assert invoice.amount_minor == stored.amount_minor == 360_00

    expect(page.locator('[data-testid="pay-line"]')).to_have_count(1)
    expect(page.locator("#pay-total")).to_have_text("$360.00")
    _type_card(page, "4242424242424242")
    page.locator("#pay-button").click()
    page.wait_for_url(PAYMENT_URL, timeout=30_000)
    with db() as session:
        assert session.get(Invoice, invoice_id).status == "paid"
        payments = session.exec(select(Payment).where(Payment.client_id == account.client.id)).all()
        assert [(p.status, p.amount_minor) for p in payments] == [("completed", 360_00)]
    # The quote now names its invoice and cannot be approved again.
    _open_quote_after(page, quote)


def _open_quote_after(page: Page, quote: Quote) -> None:
    page.goto(f"/client/quotes/{quote.id}")
    expect(page.locator("#quote-invoice")).to_be_visible()
    expect(page.locator("#approve-quote")).to_have_count(0)


def test_typed_name_signs_for_someone_who_cannot_draw(page: Page, make: Factory, db):
    account = _strict_account(make)
    quote = _quote(db, account)
    sign_in(page, account)
    _open_quote(page, quote)
    page.locator("#approve-quote").click()
    dialog = page.get_by_role("dialog")
    accept = dialog.get_by_role("checkbox", name="I have read and accept these terms")
    accept.focus()
    page.keyboard.press("Space")
    dialog.locator("#terms-continue").click()
    dialog.get_by_label("Or type your full name").fill("Casey Contact")
    dialog.locator("#sign-continue").click()
    dialog.locator("#confirm-approve").click()
    page.wait_for_url(PAY_URL, timeout=30_000)
    with db() as session:
        approval = session.exec(
            select(QuoteApproval).where(QuoteApproval.quote_id == quote.id)
        ).one()
        assert approval.signature_png.startswith(b"\x89PNG")


def test_approve_several_from_the_list_with_a_notice(page: Page, make: Factory, db):
    account = make.account()
    _quote(db, account, status="expired")
    first, second = _quote(db, account), _quote(db, account)
    _quote(db, account, status="draft")
    sign_in(page, account)
    page.locator("#pending-quotes").click()  # the dashboard counts the quotes to answer
    expect(page.locator("#pending-quotes")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/client/quotes\?status=pending$"))
    expect(page.locator(ROW)).to_have_count(2)  # the draft is never shown
    for quote in (first, second):
        page.get_by_role("checkbox", name=f"Select quote {quote.number}").click()
    page.locator("#approve-selected").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#approve-sentence")).to_have_text(
        "You are approving 2 quotes. An invoice is created from each for payment."
    )
    dialog.locator("#confirm-approve").click()
    expect(page.locator("#quotes-notice")).to_contain_text("2 quotes approved")
    expect(page.locator(ROW)).to_have_count(0)  # nothing left to answer in this filter
    page.goto("/client/quotes?status=approved")
    expect(page.locator(ROW).filter(has_text="Converted")).to_have_count(2)
    with db() as session:
        made = session.exec(select(Quote).where(Quote.client_id == account.client.id)).all()
        assert sorted(q.status for q in made) == ["converted", "converted", "draft", "expired"]


def test_decline_with_a_reason(page: Page, make: Factory, db):
    account = make.account()
    quote = _quote(db, account)
    sign_in(page, account)
    _open_quote(page, quote)
    page.locator("#decline-quote").click()
    page.get_by_label("Reason (optional)").fill("We went with another offer.")
    page.locator("#confirm-decline").click()
    expect(page.get_by_text("Quote declined.")).to_be_visible()
    expect(page.locator("#approve-quote")).to_have_count(0)
    with db() as session:
        stored = session.get(Quote, quote.id)
        assert stored.status == "declined"
        assert stored.decline_reason == "We went with another offer."


def test_emailed_quote_link_opens_the_quote(new_context, make: Factory, db):
    account = make.account()
    quote = _quote(db, account)
    with db() as session:
        key = create_quote_invitation(session, contact=account.contact, quote=quote)
    page = new_context().new_page()
    page.goto(f"/client/quote/{key}")
    page.wait_for_url(re.compile(rf"/client/quotes/{quote.id}/?$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(quote.number)
    expect(page.locator("#approve-quote")).to_be_visible()
    bad = new_context().new_page()
    bad.goto(f"/client/quote/{key[:-2]}xx")
    expect(bad.get_by_text("This link is not valid")).to_be_visible()


def test_quote_pages_and_dialog_have_no_serious_violations(page: Page, make: Factory, db):
    account = _strict_account(make)
    quote = _quote(db, account)
    sign_in(page, account)
    problems: list[str] = []
    page.goto("/client/quotes")
    expect(page.locator(ROW).first).to_be_visible()
    problems += [f"list: {v}" for v in _violations(page)]
    _open_quote(page, quote)
    problems += [f"detail: {v}" for v in _violations(page)]
    page.locator("#approve-quote").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#terms-continue")).to_be_visible()
    problems += [f"terms step: {v}" for v in _violations(page)]
    dialog.get_by_role("checkbox", name="I have read and accept these terms").click()
    dialog.locator("#terms-continue").click()
    expect(page.locator("#signature-pad")).to_be_visible()
    problems += [f"signature step: {v}" for v in _violations(page)]
    assert problems == [], "\n".join(problems)


def test_staff_preview_sees_the_quote_but_cannot_answer_it(page: Page, make: Factory, db):
    from tests.e2e.test_staff import _staff_user, staff_sign_in, start_preview

    account = make.account()
    quote = _quote(db, account)
    staff = _staff_user(db, account.company)
    staff_sign_in(page, staff.email)
    page.goto(f"/staff/preview/{account.contact.id}")
    start_preview(page)
    expect(page.locator("#preview-banner")).to_be_visible()
    page.goto(f"/client/quotes/{quote.id}")
    expect(page.locator("#quote-totals")).to_be_visible()
    expect(
        page.get_by_text("Staff preview: approving and declining are switched off.")
    ).to_be_visible()
    expect(page.locator("#approve-quote")).to_have_count(0)
    expect(page.locator("#decline-quote")).to_have_count(0)
    page.goto("/client/quotes")
    page.get_by_role("checkbox", name=f"Select quote {quote.number}").click()
    expect(page.locator("#download-zip")).to_be_visible()
    expect(page.locator("#approve-selected")).to_have_count(0)
    with db() as session:
        stored = session.get(Quote, quote.id)
        assert stored.status == "sent" and stored.last_viewed_at is None
