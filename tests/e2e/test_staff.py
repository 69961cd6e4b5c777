"""The staff console in a real Chromium: sign-in, a new client with a contact, preview as that
contact (banner, no payment), separate cookies both ways, settings steering the portal's nav,
and registration open and closed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from portal_app.models import AuditEvent, Client, ClientContact, Company
from tests.e2e.conftest import PASSWORD, Factory
from tests.e2e.test_portal import sign_in, wait_interactive
from tests.helpers.staff import add_staff

pytestmark = pytest.mark.e2e

CLIENT_URL = re.compile(r"/staff/clients/(\d+)/?$")
STAFF_LOGIN_URL = re.compile(r"/staff/login/?(\?.*)?$")
CLIENT_LOGIN_URL = re.compile(r"/client/login/?(\?.*)?$")


def _staff_user(db, company, role: str = "owner"):
    from portal_app.services.identity.passwords import hash_password

    with db() as session:
        return add_staff(session, company, password_hash=hash_password(PASSWORD), role=role)


def staff_sign_in(page: Page, email: str, next_path: str = "/staff/clients") -> None:
    page.goto(f"/staff/login?next={next_path}")
    wait_interactive(page, "#email")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(re.escape(next_path) + r"/?$"))
    expect(page.locator("#main h1").first).to_be_visible()


def start_preview(page: Page) -> None:
    """On /staff/preview/N: press "Start preview" and wait for the portal's dashboard."""
    start = page.locator("#start-preview")
    expect(start).to_be_enabled()
    start.click()
    page.wait_for_url(re.compile(r"/client/dashboard/?$"))


def test_staff_creates_a_client_and_previews_the_portal_without_paying(
    page: Page, make: Factory, db
):
    company = make.company()
    staff = _staff_user(db, company)
    page.goto("/staff")
    page.wait_for_url(STAFF_LOGIN_URL)
    staff_sign_in(page, staff.email)
    # The console's home is the work queue; the clients list is one click away.
    page.goto("/staff")
    expect(page.get_by_role("heading", name="Work queue", level=1)).to_be_visible()
    page.get_by_role("link", name="Clients").first.click()
    page.wait_for_url(re.compile(r"/staff/clients/?$"))

    # A new client, then a contact on its page.
    page.locator("#new-client").click()
    wait_interactive(page, "#field-name")
    page.locator("#field-name").fill("Preview Works Ltd")
    page.locator("#create-client").click()
    page.wait_for_url(CLIENT_URL)
    client_id = int(CLIENT_URL.search(page.url).group(1))
    expect(page.locator("#main h1").first).to_have_text("Preview Works Ltd")

    page.locator("#add-contact").click()
    wait_interactive(page, "#contact-email")
    page.locator("#contact-first_name").fill("Paula")
    page.locator("#contact-last_name").fill("Preview")
    email = f"preview-{client_id}@example.test"
    page.locator("#contact-email").fill(email)
    page.locator("#save-contact").click()
    row = page.locator('[data-testid="contact-row"]')
    expect(row).to_contain_text(email)
    with db() as session:
        contact = session.exec(select(ClientContact).where(ClientContact.email == email)).one()
        client = session.get(Client, client_id)
        assert contact.client_id == client_id and client.company_id == company.id
    invoice = make.invoice(client)
    # The client's files: the upload box on the Documents tab.
    page.get_by_role("tab", name="Documents").click()
    expect(page.locator("#staff-files")).to_be_visible()

    # Preview as the contact: the link asks first; the button opens the portal with the
    # banner, and it cannot pay.
    row.get_by_test_id("preview-link").click()
    expect(page.locator("#preview-confirm")).to_contain_text(email)
    page.locator("#start-preview").click()
    page.wait_for_url(re.compile(r"/client/dashboard/?$"))
    banner = page.locator("#preview-banner")
    expect(banner).to_contain_text("Preview Works Ltd")
    expect(banner).to_contain_text("Paula Preview")
    expect(page.locator("#preview-back")).to_be_visible()

    page.goto(f"/client/invoices/{invoice.id}")
    expect(page.locator("#main h1").first).to_contain_text(invoice.number)
    expect(page.locator("#pay-now")).to_have_count(0)
    page.goto(f"/client/pay?invoices={invoice.id}")
    expect(page.locator("#pay-button")).to_be_disabled()
    expect(page.get_by_text("Staff preview cannot make payments.")).to_be_visible()

    with db() as session:
        started = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "preview_started", AuditEvent.client_id == client_id
            )
        ).all()
        assert len(started) == 1 and started[0].actor_id == staff.id
        assert session.get(type(invoice), invoice.id).last_viewed_at is None

    # The way back ends the preview and returns to the client's page in the console.
    page.locator("#preview-back").click()
    page.wait_for_url(CLIENT_URL)
    expect(page.locator("#main h1").first).to_have_text("Preview Works Ltd")
    page.goto("/client/dashboard")
    page.wait_for_url(CLIENT_LOGIN_URL)
    with db() as session:
        ended = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "preview_ended", AuditEvent.client_id == client_id
            )
        ).all()
        assert len(ended) == 1


def test_a_client_session_never_opens_the_staff_console_and_the_reverse(
    new_context, make: Factory, db
):
    account = make.account()
    client_page = new_context().new_page()
    sign_in(client_page, account)
    client_page.goto("/staff/clients")
    client_page.wait_for_url(STAFF_LOGIN_URL)

    staff = _staff_user(db, account.company)
    staff_page = new_context().new_page()
    staff_sign_in(staff_page, staff.email)
    staff_page.goto("/client/dashboard")
    staff_page.wait_for_url(CLIENT_LOGIN_URL)


def test_settings_switch_a_module_off_in_the_clients_nav(page: Page, new_context, make, db):
    account = make.account()
    staff = _staff_user(db, account.company, role="admin")
    client_page = new_context().new_page()
    sign_in(client_page, account)
    nav = client_page.get_by_role("navigation", name="Portal").first
    expect(nav.get_by_role("link", name="Credits", exact=True)).to_be_visible()

    staff_sign_in(page, staff.email, "/staff/settings")
    credits_box = page.get_by_role("checkbox", name="Credits", exact=True)
    expect(credits_box).to_be_checked()
    wait_interactive(page, "#save-settings")
    credits_box.click()
    page.locator("#save-settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    with db() as session:
        assert "credits" not in session.get(Company, account.company.id).module_list()

    client_page.goto("/client/dashboard")
    nav = client_page.get_by_role("navigation", name="Portal").first
    expect(nav.get_by_role("link", name="Invoices", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Credits", exact=True)).to_have_count(0)
    client_page.goto("/client/credits")
    expect(client_page.get_by_text("Your portal does not include credits.")).to_be_visible()

    # A new logo: stored by our route, shown in the console and in the client's portal.
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (10, 120, 200)).save(buffer, format="PNG")
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": buffer.getvalue()}]
    )
    page.locator("#upload-logo").click()
    expect(page.get_by_text("Logo saved.")).to_be_visible()
    logo = page.locator("#current-logo")
    expect(logo).to_have_attribute("src", re.compile(r"^/api/branding/logo/[0-9a-f]{64}\.png$"))
    page.wait_for_function("document.querySelector('#current-logo').naturalWidth === 64")
    client_page.goto("/client/dashboard")
    brand = client_page.locator('img[src^="/api/branding/logo/"]').first
    expect(brand).to_be_visible()


def test_registration_closed_and_open(page: Page, make: Factory, db, mail_server):
    closed = make.company(allow_registration=False)
    page.goto(f"/client/register?company={closed.id}")
    expect(page.locator("#registration-closed")).to_contain_text("Registration is closed")

    page.goto(f"/client/login?company={closed.id}")
    wait_interactive(page, "#email")
    expect(page.get_by_role("link", name="New here? Create an account")).to_have_count(0)

    opened = make.company(allow_registration=True, registration_terms="Pay on time.")
    page.goto(f"/client/login?company={opened.id}")
    expect(page.get_by_role("link", name="New here? Create an account")).to_be_visible()
    page.goto(f"/client/register?company={opened.id}")
    wait_interactive(page, "#first_name")
    page.locator("#first_name").fill("Reggie")
    page.locator("#last_name").fill("Visitor")
    page.locator("#email").fill(f"reggie-{opened.id}@example.test")
    page.locator("#password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_contain_text("at least 10")
    expect(page.get_by_text("Accept the terms to register.")).to_be_visible()
    page.locator("#password").fill("a-long-enough-password")
    page.get_by_role("checkbox", name="I accept these terms").click()
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#registration-done")).to_contain_text("We have sent a message")
    with db() as session:
        contact = session.exec(
            select(ClientContact).where(ClientContact.email == f"reggie-{opened.id}@example.test")
        ).one()
        assert contact.terms_accepted_at is not None and not contact.portal_enabled
    (message,) = mail_server.to(contact.email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+", text)
    page.goto(link)
    # Opening the link confirms nothing by itself; the button does.
    confirm = page.locator("#confirm-email")
    expect(confirm).to_be_visible()
    with db() as session:
        assert not session.get(ClientContact, contact.id).portal_enabled
    confirm.click()
    expect(page.locator("#confirm-message")).to_contain_text("confirmed")
    with db() as session:
        assert session.get(ClientContact, contact.id).portal_enabled


def test_staff_pages_and_the_preview_banner_have_no_serious_violations(
    page: Page, new_context, make: Factory, db
):
    from tests.e2e.test_accessibility import _check, _violations

    account = make.account()
    make.invoice(account.client)
    staff = _staff_user(db, account.company)
    problems = _check(new_context().new_page(), "/staff/login", "#email")
    staff_sign_in(page, staff.email)
    client_path = f"/staff/clients/{account.client.id}"
    for path, ready in (
        ("/staff/clients", '[data-testid="client-row"]'),
        (client_path, '[data-testid="contact-row"]'),
        ("/staff/settings", "#save-settings"),
        ("/staff/audit", "#main h1"),
    ):
        problems += _check(page, path, ready)
    problems += _check(page, f"/staff/preview/{account.contact.id}", "#preview-confirm")
    start_preview(page)
    expect(page.locator("#preview-banner")).to_be_visible()
    problems += [f"preview banner: {v}" for v in _violations(page)]
    problems += _check(new_context().new_page(), "/client/register", "#main, h1")
    assert problems == [], "\n".join(problems)
