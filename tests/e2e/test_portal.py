"""The client portal in a real Chromium: sign-in, the invoice list, downloads, emailed links.

Each test builds its own company, clients, contacts and invoices (see conftest.Factory) in the
running server's database, so tests are independent of each other and of the demo data.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.core.money import format_money
from portal_app.core.tokens import new_token, token_hash
from portal_app.models import Company, Invitation
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.identity.invitations import create_invoice_invitation
from tests.e2e.conftest import PASSWORD, Account, Factory

pytestmark = pytest.mark.e2e

LOGIN_URL = re.compile(r"/client/login/?(\?.*)?$")
INVOICES_URL = re.compile(r"/client/invoices/?$")
ROW = '[data-testid="invoice-row"]'
WRONG_CREDENTIALS = "The e-mail address or password is not right."
LINK_NOTICE = "You opened this from an e-mailed link"
MISSING_ID = 987_654_321


# --------------------------------------------------------------------------- helpers


def detail_url(invoice_id: int) -> re.Pattern[str]:
    return re.compile(rf"/client/invoices/{invoice_id}/?$")


def wait_interactive(page: Page, selector: str) -> None:
    """Wait until React has hydrated `selector`, so typing and clicking reach the app."""
    page.wait_for_function(
        """sel => {
            const el = document.querySelector(sel);
            return !!el && Object.keys(el).some(k => k.startsWith("__reactProps"));
        }""",
        arg=selector,
    )


def submit_login(page: Page, email: str, password: str) -> None:
    """Fill and send the sign-in form on the login page the browser is on."""
    expect(page).to_have_url(LOGIN_URL)
    wait_interactive(page, "#email")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_in(page: Page, account: Account, next_path: str | None = None) -> None:
    """Sign in through the form and wait for the page it leads to."""
    page.goto("/client/login" + (f"?next={next_path}" if next_path else ""))
    submit_login(page, account.email, PASSWORD)
    target = next_path or "/client/dashboard"
    page.wait_for_url(re.compile(re.escape(target.rstrip("/")) + r"/?$"))
    # The shell renders its content only once the session was checked on the server.
    expect(page.locator("#main h1").first).to_be_visible()


def fresh_tab(context, path: str) -> Page:
    """Open `path` in a new tab of `context` (same cookies, new Reflex state)."""
    tab = context.new_page()
    tab.goto(path)
    return tab


def nav(page: Page):
    return page.get_by_role("navigation", name="Portal").first


def nav_link(page: Page, label: str):
    return nav(page).get_by_role("link", name=label, exact=True)


def open_invoice_list(page: Page, expected_rows: int) -> None:
    page.goto("/client/invoices")
    expect(page.locator(ROW)).to_have_count(expected_rows)


def row_numbers(page: Page) -> set[str]:
    return {row.get_by_role("rowheader").inner_text().strip() for row in page.locator(ROW).all()}


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() or "" for p in reader.pages)


def assert_on_login_with_next(page: Page, next_path: str) -> None:
    page.wait_for_url(LOGIN_URL)
    next_values = parse_qs(urlsplit(page.url).query).get("next", [])
    assert [v.rstrip("/") for v in next_values] == [next_path], page.url
    expect(page.locator("#email")).to_be_visible()


@pytest.fixture
def billed(make: Factory) -> dict:
    """One account with sent, partial, paid and draft invoices, and two strangers' invoices.

    The stranger in the same company shares everything but the client; the other company's
    client is entirely separate. Neither may ever show up for `account`.
    """
    account = make.account()
    sent = make.invoice(account.client, status="sent")
    partial = make.invoice(account.client, status="partial", paid_minor=40_00)
    paid = make.invoice(account.client, status="paid", paid_minor=240_00)
    draft = make.invoice(account.client, status="draft")
    neighbour = make.account(company=account.company)
    neighbour_invoice = make.invoice(neighbour.client, status="sent")
    stranger = make.account()
    stranger_invoice = make.invoice(stranger.client, status="sent")
    return {
        "account": account,
        "sent": sent,
        "partial": partial,
        "paid": paid,
        "draft": draft,
        "neighbour_invoice": neighbour_invoice,
        "stranger_invoice": stranger_invoice,
    }


# --------------------------------------------------------------------------- sign-in


def test_signed_out_visitor_is_sent_to_login_and_brought_back(page: Page, make: Factory):
    account = make.account()
    make.invoice(account.client)

    page.goto("/client/invoices")
    assert_on_login_with_next(page, "/client/invoices")

    submit_login(page, account.email, PASSWORD)
    page.wait_for_url(INVOICES_URL)
    expect(page.locator(ROW)).to_have_count(1)
    expect(page.get_by_role("heading", name="Invoices", level=1)).to_be_visible()


def test_wrong_password_shows_error_and_stays_signed_out(page: Page, context, make: Factory):
    account = make.account()

    page.goto("/client/login")
    submit_login(page, account.email, PASSWORD + "-wrong")
    expect(page.get_by_text(WRONG_CREDENTIALS)).to_be_visible()
    expect(page).to_have_url(LOGIN_URL)
    assert not [c for c in context.cookies() if c["name"] == "portal_session"]

    page.goto("/client/invoices")
    assert_on_login_with_next(page, "/client/invoices")
    assert context.request.get("/api/invoices/zip?ids=1").status == 401


# --------------------------------------------------------------------------- the list


def test_list_shows_only_own_visible_invoices(page: Page, billed: dict):
    sign_in(page, billed["account"])
    open_invoice_list(page, 3)

    assert row_numbers(page) == {billed[k].number for k in ("sent", "partial", "paid")}
    for hidden in ("draft", "neighbour_invoice", "stranger_invoice"):
        expect(page.get_by_text(billed[hidden].number)).to_have_count(0)
    for key in ("sent", "partial", "paid"):
        link = page.get_by_role("link", name=billed[key].number, exact=True)
        expect(link).to_have_attribute("href", f"/client/invoices/{billed[key].id}")


def test_unpaid_filter_and_search_by_number(page: Page, billed: dict):
    sign_in(page, billed["account"])
    open_invoice_list(page, 3)
    rows = page.locator(ROW)

    page.get_by_role("radio", name="Unpaid").click()
    expect(rows).to_have_count(2)
    assert row_numbers(page) == {billed["sent"].number, billed["partial"].number}
    expect(rows.get_by_text("Paid", exact=True)).to_have_count(0)

    # A paid invoice's number finds nothing among the unpaid ones.
    search = page.locator('input[name="search"]')
    search.fill(billed["paid"].number)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("No invoice number matches your search.")).to_be_visible()
    expect(rows).to_have_count(0)

    # Under All, part of the number is enough, and only that invoice matches.
    page.get_by_role("radio", name="All").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(billed["paid"].number)

    search.fill(billed["sent"].number[-6:])
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(billed["sent"].number)


# --------------------------------------------------------------------------- downloads


def test_invoice_pdf_download_has_number_and_total(page: Page, make: Factory, tmp_path: Path):
    account = make.account()
    invoice = make.invoice(
        account.client,
        lines=[
            LineInput("Design work", 1500, 1234_56, "VAT", 2000),
            LineInput("Hosting", 1000, 99_99),
        ],
    )
    total = format_money(invoice.amount_minor, "USD", "en_US")
    assert "," in total  # a grouped figure, e.g. $2,322.20

    sign_in(page, account)
    page.goto(f"/client/invoices/{invoice.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(invoice.number)
    expect(page.locator("#invoice-totals")).to_contain_text(total)

    button = page.locator("#download-pdf")
    expect(button).to_have_attribute("href", re.compile(rf"/api/invoices/{invoice.id}/pdf$"))
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"invoice-{invoice.number}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert invoice.number in text
    assert total in text


def test_zip_of_two_selected_invoices(page: Page, make: Factory, tmp_path: Path):
    account = make.account()
    first, second, third = (make.invoice(account.client) for _ in range(3))

    sign_in(page, account)
    open_invoice_list(page, 3)
    for chosen in (first, second):
        box = page.get_by_role("checkbox", name=f"Select invoice {chosen.number}")
        box.click()
        expect(box).to_be_checked()
    expect(page.get_by_text("Selected: 2")).to_be_visible()

    link = page.locator("#download-zip")
    low, high = sorted((first.id, second.id))
    zip_href = re.compile(rf"/api/invoices/zip\?ids={low}(,|%2C){high}$")
    expect(link).to_have_attribute("href", zip_href)
    # The selection is a state of its own (issue 23): "Pay selected" still follows it.
    pay_href = re.compile(rf"/client/pay\?invoices={low}(,|%2C){high}$")
    expect(page.locator("#pay-selected")).to_have_attribute("href", pay_href)
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None
    saved = tmp_path / "invoices.zip"
    download.save_as(saved)

    with zipfile.ZipFile(saved) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"invoice-{inv.number}.pdf" for inv in (first, second))
        for inv in (first, second):
            data = archive.read(f"invoice-{inv.number}.pdf")
            assert data.startswith(b"%PDF")
            assert inv.number in pdf_text(data)
    assert third.number not in " ".join(names)

    # A new visit to the list (the same tab, so the same server-side state) starts with
    # nothing ticked.
    open_invoice_list(page, 3)
    box = page.get_by_role("checkbox", name=f"Select invoice {first.number}")
    expect(box).not_to_be_checked()
    # The selection bar is there, hidden, until a box is ticked (components/records.py
    # selection_bar).
    expect(page.locator("#download-zip")).to_be_hidden()
    # The box ticks in the browser at once (issue 23); Clear, done by the server, unticks it.
    box.click()
    expect(page.get_by_text("Selected: 1")).to_be_visible()
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(page.locator("#download-zip")).to_be_hidden()
    expect(box).not_to_be_checked()


# --------------------------------------------------------------------------- other clients' ids


def test_foreign_and_missing_invoices_are_not_found(page: Page, context, billed: dict):
    mine = billed["sent"]
    sign_in(page, billed["account"])

    # A fresh tab per address: a tab's server state outlives a reload, so a "not found" left
    # over from the previous address must not count for the next one.
    for other in (billed["neighbour_invoice"], billed["stranger_invoice"], billed["draft"]):
        tab = fresh_tab(context, f"/client/invoices/{other.id}")
        expect(tab.get_by_role("heading", name="Invoice not found")).to_be_visible()
        expect(tab.get_by_text(other.number)).to_have_count(0)
        expect(tab.locator("#download-pdf")).to_have_count(0)

    tab = fresh_tab(context, f"/client/invoices/{MISSING_ID}")
    expect(tab.get_by_role("heading", name="Invoice not found")).to_be_visible()

    request = context.request
    own = request.get(f"/api/invoices/{mine.id}/pdf")
    assert own.status == 200 and own.body().startswith(b"%PDF")
    for other in (billed["neighbour_invoice"], billed["stranger_invoice"], billed["draft"]):
        response = request.get(f"/api/invoices/{other.id}/pdf")
        assert response.status == 404
        assert other.number.encode() not in response.body()
    assert request.get(f"/api/invoices/{MISSING_ID}/pdf").status == 404
    assert request.get("/api/invoices/not-a-number/pdf").status == 404

    assert request.get(f"/api/invoices/zip?ids={mine.id}").status == 200
    foreign = billed["stranger_invoice"].id
    assert request.get(f"/api/invoices/zip?ids={mine.id},{foreign}").status == 404
    neighbour = billed["neighbour_invoice"].id
    assert request.get(f"/api/invoices/zip?ids={mine.id},{neighbour}").status == 404


# --------------------------------------------------------------------------- emailed links


def _invitation_key(db, account: Account, invoice) -> str:
    with db() as session:
        return create_invoice_invitation(session, contact=account.contact, invoice=invoice)


def test_emailed_link_opens_invoice_in_a_link_session(new_context, db, make: Factory):
    account = make.account()
    invoice = make.invoice(account.client)
    other = make.invoice(account.client)
    key = _invitation_key(db, account, invoice)

    context = new_context()
    assert context.cookies() == []
    page = context.new_page()
    page.goto(f"/client/invoice/{key}")
    page.wait_for_url(detail_url(invoice.id))
    expect(page.get_by_text(LINK_NOTICE)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(invoice.number)
    # The link session sees its invoice and its PDF, not the rest of the account.
    assert context.request.get(f"/api/invoices/{invoice.id}/pdf").status == 200
    assert context.request.get(f"/api/invoices/{other.id}/pdf").status == 404
    open_invoice_list(page, 1)
    assert row_numbers(page) == {invoice.number}
    page.goto(f"/client/invoices/{other.id}")
    expect(page.get_by_text(other.number)).to_have_count(0)
    # The navigation offers only what the link opens; the banner leads to the password.
    expect(page.get_by_role("link", name="Credits")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in with your password")).to_be_visible()


def test_expired_and_garbage_links_are_not_valid(new_context, db, make: Factory):
    account = make.account()
    invoice = make.invoice(account.client)
    key = _invitation_key(db, account, invoice)
    with db() as session:
        invitation = session.exec(
            select(Invitation).where(Invitation.key_hash == token_hash(key))
        ).one()
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        session.add(invitation)

    context = new_context()
    # Expired; well-formed but unknown; junk.
    for bad_key in (key, new_token(), "not-a-key"):
        tab = fresh_tab(context, f"/client/invoice/{bad_key}")
        expect(tab.get_by_role("heading", name="This link is not valid")).to_be_visible()
        expect(tab.get_by_text(invoice.number)).to_have_count(0)
        expect(tab).to_have_url(re.compile(r"/client/invoice/"))
    assert not [c for c in context.cookies() if c["name"] == "portal_session"]
    assert context.request.get(f"/api/invoices/{invoice.id}/pdf").status == 401


# --------------------------------------------------------------------------- sign-out


def test_sign_out_closes_pages_and_downloads(page: Page, context, make: Factory):
    account = make.account()
    invoice = make.invoice(account.client)

    sign_in(page, account)
    assert context.request.get(f"/api/invoices/{invoice.id}/pdf").status == 200

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(LOGIN_URL)
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    page.goto("/client/invoices")
    assert_on_login_with_next(page, "/client/invoices")
    expect(page.locator(ROW)).to_have_count(0)
    assert context.request.get(f"/api/invoices/{invoice.id}/pdf").status == 401
    assert context.request.get(f"/api/invoices/zip?ids={invoice.id}").status == 401


def test_logout_address_asks_and_its_button_signs_out(page: Page, context, make: Factory):
    account = make.account()
    invoice = make.invoice(account.client)

    sign_in(page, account, next_path="/client/invoices")
    page.goto("/client/logout")
    # Opening the address changes nothing (tests/e2e/test_signin_binding.py): the button does.
    button = page.locator("#confirm-sign-out")
    expect(button).to_be_visible()
    assert context.request.get(f"/api/invoices/{invoice.id}/pdf").status == 200
    button.click()
    page.wait_for_url(LOGIN_URL)
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert not [c for c in context.cookies() if c["name"] == "portal_session"]

    page.goto(f"/client/invoices/{invoice.id}")
    assert_on_login_with_next(page, f"/client/invoices/{invoice.id}")
    assert context.request.get(f"/api/invoices/{invoice.id}/pdf").status == 401


# --------------------------------------------------------------------------- layout and navigation


def test_phone_menu_opens_with_invoices_link(new_context, make: Factory):
    account = make.account()
    make.invoice(account.client)
    context = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()

    sign_in(page, account)
    open_menu = page.get_by_role("button", name="Open menu")
    expect(open_menu).to_be_visible()
    # The desktop sidebar is hidden at this width.
    expect(page.get_by_role("link", name="Invoices", exact=True)).to_have_count(0)

    open_menu.click()
    drawer = page.get_by_role("dialog")
    expect(drawer).to_be_visible()
    link = drawer.get_by_role("link", name="Invoices", exact=True)
    expect(link).to_be_visible()
    expect(drawer.get_by_role("button", name="Sign out")).to_be_visible()

    link.click()
    page.wait_for_url(INVOICES_URL)
    expect(page.locator(ROW)).to_have_count(1)


def test_navigation_shows_only_enabled_modules(page: Page, db, make: Factory):
    account = make.account()

    sign_in(page, account)
    expect(nav_link(page, "Dashboard")).to_be_visible()
    expect(nav_link(page, "Invoices")).to_be_visible()

    with db() as session:
        company = session.get(Company, account.company.id)
        company.enabled_modules = ""
        session.add(company)

    page.goto("/client/dashboard")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(nav_link(page, "Dashboard")).to_be_visible()
    expect(nav_link(page, "Invoices")).to_have_count(0)


def test_add_on_page_counts_open_invoices(page: Page, make: Factory):
    account = make.account()
    make.invoice(account.client, status="sent")
    make.invoice(account.client, status="sent")
    make.invoice(account.client, status="partial", paid_minor=10_00)
    make.invoice(account.client, status="paid", paid_minor=240_00)
    make.invoice(account.client, status="draft")
    neighbour = make.account(company=account.company)
    make.invoice(neighbour.client, status="sent")

    page.goto("/client/open-count")
    assert_on_login_with_next(page, "/client/open-count")
    expect(page.get_by_text("open invoices.")).to_have_count(0)

    submit_login(page, account.email, PASSWORD)
    page.wait_for_url(re.compile(r"/client/open-count/?$"))
    expect(page.locator("#open-count")).to_have_text("You have 3 open invoices.")
    link = nav_link(page, "Open count")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("aria-current", "page")


def test_dashboard_shows_open_balance_and_overdue_invoice(page: Page, make: Factory):
    account = make.account()
    today = date.today()
    overdue = make.invoice(
        account.client, issue_date=today - timedelta(days=45), due_date=today - timedelta(days=15)
    )
    later = make.invoice(
        account.client,
        issue_date=today - timedelta(days=1),
        due_date=today + timedelta(days=60),
        lines=[LineInput("Support", 1000, 1000_00)],
    )
    paid = make.invoice(account.client, status="paid", paid_minor=240_00)
    open_balance = format_money(overdue.balance_minor + later.balance_minor, "USD", "en_US")
    overdue_amount = format_money(overdue.balance_minor, "USD", "en_US")

    sign_in(page, account)
    main = page.locator("#main")
    expect(main.get_by_text("Open balance")).to_be_visible()
    expect(main.get_by_text(open_balance, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()

    attention = main.get_by_role("table")
    row = attention.get_by_role("row").filter(has_text=overdue.number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Overdue")
    expect(row).to_contain_text(overdue_amount)
    expect(attention.get_by_text(later.number)).to_have_count(0)
    expect(attention.get_by_text(paid.number)).to_have_count(0)

    row.get_by_role("link", name=overdue.number).click()
    page.wait_for_url(detail_url(overdue.id))
    expect(page.get_by_role("heading", level=1)).to_contain_text(overdue.number)


def test_a_first_sign_in_is_welcomed_and_a_return_welcomed_back(new_context, make: Factory):
    """Issue 18 item 15: the dashboard said "Welcome back" on a first sign-in."""
    account = make.account()
    first = new_context().new_page()
    sign_in(first, account)
    expect(first.locator("#main")).to_contain_text("Welcome, Casey Contact")
    expect(first.locator("#main")).not_to_contain_text("Welcome back")
    again = new_context().new_page()
    sign_in(again, account)
    expect(again.locator("#main")).to_contain_text("Welcome back, Casey Contact")


def test_paging_through_a_long_list(page: Page, make: Factory):
    account = make.account()
    for day in range(30):
        make.invoice(account.client, issue_date=date.today() - timedelta(days=day + 1))
    sign_in(page, account, "/client/invoices")
    expect(page.locator(ROW)).to_have_count(25)
    expect(page.get_by_text("1–25 of 30")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.locator(ROW)).to_have_count(5)
    expect(page.get_by_text("26–30 of 30")).to_be_visible()
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(page.locator(ROW)).to_have_count(25)
    # A smaller page size, chosen from the labelled select.
    page.get_by_role("combobox", name="Invoices per page").select_option("10")
    expect(page.locator(ROW)).to_have_count(10)
    expect(page.get_by_text("1–10 of 30")).to_be_visible()


# --------------------------------------------------------------------------- what paid an invoice


def test_invoice_page_lists_payments_and_credits_that_paid_it(page: Page, db, make: Factory):
    """Issue 18 item 5: each payment and credit on the invoice, refunds shown, links to it."""
    from portal_app.models import Credit, Payment
    from portal_app.services.payments import ledger

    account = make.account()
    invoice = make.invoice(account.client)  # 240.00
    with db() as session:
        payment = Payment(
            company_id=account.company.id,
            client_id=account.client.id,
            number=f"PAY-E2E-{account.client.id}",
            status="completed",
            currency="USD",
            amount_minor=100_00,
            method_label="Visa •••• 4242",
        )
        credit = Credit(
            company_id=account.company.id,
            client_id=account.client.id,
            number=f"CR-E2E-{account.client.id}",
            status="sent",
            currency="USD",
            issue_date=invoice.issue_date,
            amount_minor=30_00,
            subtotal_minor=30_00,
            balance_minor=30_00,
        )
        session.add_all([payment, credit])
        session.flush()
        ledger.allocate_payment(
            session, payment=payment, invoice_id=invoice.id, amount_minor=100_00
        )
        ledger.allocate_credit(session, credit=credit, invoice_id=invoice.id, amount_minor=30_00)
        ledger.raise_refunded_total(session, payment=payment, total_minor=20_00)
        payment_id, credit_id = payment.id, credit.id
        payment_number, credit_number = payment.number, credit.number

    sign_in(page, account, f"/client/invoices/{invoice.id}")
    table = page.locator("#invoice-payments")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("$100.00")
    expect(rows.nth(0)).to_contain_text("Partly refunded $20.00")
    expect(rows.nth(1)).to_contain_text("$30.00")
    expect(table.get_by_role("link", name=credit_number)).to_have_attribute(
        "href", f"/client/credits/{credit_id}"
    )
    table.get_by_role("link", name=payment_number).click()
    page.wait_for_url(re.compile(rf"/client/payments/{payment_id}/?$"))
    expect(page.locator("#main h1").first).to_contain_text(payment_number)
    # Issue 18 item 15: the total is what the payment comes to after its refund.
    totals = page.locator("#payment-totals")
    expect(totals).to_contain_text(re.compile(r"Refunded\s*\$20\.00"))
    expect(totals).to_contain_text(re.compile(r"Total after refunds\s*\$80\.00"))
