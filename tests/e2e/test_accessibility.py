"""axe-core in Chromium on every page of the portal and the staff console (issue 18 item 13):
no violation of the WCAG 2.0/2.1/2.2 A and AA rules, whatever its impact, in the light, dark and
phone layouts; on a phone nothing is wider than the screen (item 12).

One browser page per layout walks every page (the route table says which exist: a page added
there without an entry here fails the coverage test), so the suite's time stays reasonable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from portal_app.core.settings import PROJECT_ROOT
from tests.e2e.conftest import PASSWORD, Factory
from tests.e2e.test_portal import sign_in, wait_interactive
from tests.helpers.quotes import add_quote
from tests.helpers.recurring import add_recurring

pytestmark = pytest.mark.e2e
AXE = PROJECT_ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
# The WCAG success criteria axe-core checks (its best-practice rules are advice, not WCAG).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
LAYOUTS = {
    "light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "dark": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "dark"},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "color_scheme": "light",
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}


def _violations(page: Page) -> list[str]:
    """Every WCAG A/AA violation axe-core finds on the page as it is now, any impact."""
    # Evaluated through DevTools, which the page's Content-Security-Policy does not govern (an
    # injected <script> tag is an inline script the policy refuses).
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text() + "\n;0")
    # A dialog that is still fading in has half-transparent text, which axe reports as low
    # contrast: let running animations finish first.
    found = page.evaluate(
        """async (tags) => {
            await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
            const r = await axe.run(document, {
              runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
            });
            return r.violations.map(v => {
              const where = v.nodes.slice(0, 4).map(n => {
                const d = (n.any[0] || {}).data || {};
                // Colour contrast: which colours and ratio, to find the style at fault.
                const why = d.contrastRatio
                  ? ` [${d.fgColor} on ${d.bgColor} ${d.contrastRatio}]` : '';
                return n.target.join(' ') + why;
              }).join(', ');
              return `${v.id} (${v.impact}, ${v.nodes.length}x): ${where}`;
            });
        }""",
        WCAG_TAGS,
    )
    return list(found)


def _settled(page: Page, ready: str) -> None:
    """Wait for `ready` and for every loading spinner to be gone (the page's data is shown)."""
    expect(page.locator(ready).first).to_be_visible()
    page.wait_for_function(
        """() => ![...document.querySelectorAll('.rt-Spinner')]
                 .some(s => s.getClientRects().length > 0)"""
    )


def _overflow(page: Page) -> list[str]:
    """Elements whose right edge is beyond the window (a phone would scroll sideways)."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            const out = [];
            if (document.documentElement.scrollWidth > width) {
              out.push(`page is ${document.documentElement.scrollWidth}px wide`);
            }
            for (const el of document.querySelectorAll('#main *, main *')) {
              const r = el.getBoundingClientRect();
              if (r.width > 0 && (r.right > width + 1 || r.left < -1)) {
                // Inside a box that scrolls on its own is fine, but not for a table's cells:
                // a phone user does not find the amount or the Refund button by scrolling
                // the table sideways.
                if (el.closest('thead')) continue;  // a stacked table's headings: hidden
                const cell = el.closest('td, th');
                let p = cell ? null : el.parentElement, scrolls = false;
                while (p && p !== document.body) {
                  const s = getComputedStyle(p);
                  if (/(auto|scroll)/.test(s.overflowX) &&
                      p.getBoundingClientRect().right <= width + 1) { scrolls = true; break; }
                  p = p.parentElement;
                }
                if (!scrolls) {
                  const name = el.id ? '#' + el.id : el.tagName.toLowerCase();
                  out.push(`${name} ends at ${Math.round(r.right)}px`);
                }
              }
              if (out.length > 4) break;
            }
            return out;
        }"""
    )


def _check(page: Page, path: str, ready: str, *, phone: bool = False) -> list[str]:
    """Open `path`, wait for `ready`, and list its violations (and, on a phone, overflow)."""
    page.goto(path)
    _settled(page, ready)
    problems = _violations(page)
    if phone:
        problems += _overflow(page)
    return [f"{path}: {v}" for v in problems]


@dataclass
class Records:
    """One company's client with one of every record, and a staff user of the company."""

    account: object
    staff_email: str
    client_pages: dict[str, tuple[str, str]]  # route -> (path, selector shown once loaded)
    link_pages: dict[str, tuple[str, str]]
    public_pages: dict[str, tuple[str, str]]
    staff_pages: dict[str, tuple[str, str]]


def _records(make: Factory, db) -> Records:
    from portal_app.models import (
        Credit,
        Document,
        Payment,
        PaymentLink,
        PaymentMethod,
        SubscriptionPlan,
    )
    from portal_app.services.identity.actor import Actor
    from portal_app.services.identity.invitations import (
        create_invoice_invitation,
        create_quote_invitation,
    )
    from portal_app.services.identity.passwords import hash_password
    from portal_app.services.payments import ledger
    from portal_app.services.subscriptions import signup as subscription_signup
    from tests.helpers.staff import add_staff

    account = make.account(allow_registration=True)
    company, client, contact = account.company, account.client, account.contact
    tag = f"{client.id}"
    invoice = make.invoice(client, number=f"INV-A11Y-{tag}")
    paid = make.invoice(client, number=f"INV-A11Y-P-{tag}")
    draft = make.invoice(client, number=f"INV-A11Y-D-{tag}", status="draft")
    with db() as session:
        plan = SubscriptionPlan(
            company_id=company.id,
            name="Team",
            price_minor=49_00,
            currency="USD",
            trial_days=14,
            # The client has no card here; a trial that asks for one is refused (7dc7ad2).
            trial_without_card=True,
        )
        session.add(plan)
        session.flush()
        link_key = f"a11y-{tag}-{plan.id}"
        session.add(PaymentLink(company_id=company.id, plan_id=plan.id, key=link_key))
        session.flush()
        actor = Actor(company.id, client.id, contact.id, 0, "password")
        start = subscription_signup.subscribe(
            session, actor=actor, key=link_key, today=date.today()
        )
        recurring = add_recurring(
            session, client, number=f"R-A11Y-{tag}", start_date=date.today(), auto_bill="opt_in"
        )
        quote = add_quote(session, client, number=f"Q-A11Y-{tag}")
        draft_quote = add_quote(session, client, number=f"Q-A11Y-D-{tag}", status="draft")
        payment = Payment(
            company_id=company.id,
            client_id=client.id,
            number=f"PAY-A11Y-{tag}",
            status="completed",
            currency="USD",
            amount_minor=100_00,
            method_label="Visa •••• 4242",
        )
        credit = Credit(
            company_id=company.id,
            client_id=client.id,
            number=f"CR-A11Y-{tag}",
            status="sent",
            currency="USD",
            issue_date=date.today(),
            amount_minor=30_00,
            subtotal_minor=30_00,
            balance_minor=30_00,
        )
        draft_credit = Credit(
            company_id=company.id,
            client_id=client.id,
            number=f"CR-A11Y-D-{tag}",
            status="draft",
            currency="USD",
            issue_date=date.today(),
        )
        session.add_all([payment, credit, draft_credit])
        session.flush()
        ledger.allocate_payment(session, payment=payment, invoice_id=paid.id, amount_minor=50_00)
        ledger.allocate_credit(session, credit=credit, invoice_id=paid.id, amount_minor=10_00)
        session.add(
            PaymentMethod(
                company_id=company.id,
                client_id=client.id,
                customer_ref=f"cus_a11y_{tag}",
                method_ref=f"pm_a11y_{tag}",
                brand="visa",
                last4="4242",
            )
        )
        session.add(
            Document(
                company_id=company.id,
                client_id=client.id,
                name=f"contract-{tag}.pdf",
                sha256="0" * 64,
                media_type="application/pdf",
                uploaded_by="staff",
            )
        )
        invoice_key = create_invoice_invitation(session, contact=contact, invoice=invoice)
        quote_key = create_quote_invitation(session, contact=contact, quote=quote)
        staff = add_staff(session, company, password_hash=hash_password(PASSWORD), role="owner")
        ids = {
            "subscription": start.subscription_id,
            "recurring": recurring.id,
            "quote": quote.id,
            "draft_quote": draft_quote.id,
            "payment": payment.id,
            "credit": credit.id,
            "draft_credit": draft_credit.id,
            "plan": plan.id,
        }
        staff_email = staff.email
    make.invoice(client, recurring_invoice_id=ids["recurring"])

    h1 = "#main h1"
    client_pages = {
        "/client/dashboard": ("/client/dashboard", h1),
        "/client/invoices": ("/client/invoices", '[data-testid="invoice-row"]'),
        "/client/invoices/[id]": (f"/client/invoices/{paid.id}", "#invoice-totals"),
        "/client/pay": (f"/client/pay?invoices={invoice.id}", "#pay-button"),
        "/client/pay_amount": ("/client/pay_amount", "#pay-amount"),
        "/client/payments": ("/client/payments", h1),
        "/client/payments/[id]": (f"/client/payments/{ids['payment']}", h1),
        "/client/credits": ("/client/credits", h1),
        "/client/credits/[id]": (f"/client/credits/{ids['credit']}", h1),
        "/client/quotes": ("/client/quotes", '[data-testid="quote-row"]'),
        "/client/quotes/[id]": (f"/client/quotes/{ids['quote']}", "#quote-totals"),
        "/client/recurring_invoices": (
            "/client/recurring_invoices",
            '[data-testid="recurring-row"]',
        ),
        "/client/recurring_invoices/[id]": (
            f"/client/recurring_invoices/{ids['recurring']}",
            '[data-testid="recurring-invoice-row"]',
        ),
        "/client/subscriptions": ("/client/subscriptions", '[data-testid="subscription-row"]'),
        "/client/subscriptions/[id]": (
            f"/client/subscriptions/{ids['subscription']}",
            "#subscription-summary",
        ),
        "/client/payment_methods": ("/client/payment_methods", h1),
        "/client/documents": ("/client/documents", h1),
        "/client/statement": ("/client/statement", '[data-testid="statement-closing"]'),
        "/client/prepayment": ("/client/prepayment", "#prepay-button"),
        "/client/activity": ("/client/activity", h1),
        "/client/profile": ("/client/profile", "#profile-first_name"),
        "/404": ("/client/no-such-page", "#main h1"),
        "/subscribe/[key]": (f"/subscribe/{link_key}", "#plan-price"),
    }
    public_pages = {
        "/client/login": ("/client/login", "#email"),
        "/client/register": ("/client/register", "h1"),
        "/client/register/confirm": ("/client/register/confirm", "h1"),
        "/client/password/reset": ("/client/password/reset", "h1"),
        "/client/profile/email": ("/client/profile/email", "h1"),
        "/404": ("/client/no-such-page", "h1"),
        "/subscribe/[key]": (f"/subscribe/{link_key}", "#reg-first_name"),
        "/staff/login": ("/staff/login", "#email"),
    }
    link_pages = {
        "/client/invoice/[key]": (f"/client/invoice/{invoice_key}", h1),
        "/client/quote/[key]": (f"/client/quote/{quote_key}", h1),
    }
    staff_pages = {
        "/staff": ("/staff", h1),
        "/staff/clients": ("/staff/clients", h1),
        "/staff/clients/[id]": (f"/staff/clients/{client.id}", h1),
        "/staff/invoices": ("/staff/invoices", h1),
        "/staff/invoices/new": ("/staff/invoices/new", h1),
        "/staff/invoices/[id]": (f"/staff/invoices/{paid.id}", h1),
        "/staff/invoices/[id]/edit": (f"/staff/invoices/{draft.id}/edit", h1),
        "/staff/quotes": ("/staff/quotes", h1),
        "/staff/quotes/new": ("/staff/quotes/new", h1),
        "/staff/quotes/[id]": (f"/staff/quotes/{ids['quote']}", h1),
        "/staff/quotes/[id]/edit": (f"/staff/quotes/{ids['draft_quote']}/edit", h1),
        "/staff/credits": ("/staff/credits", h1),
        "/staff/credits/new": ("/staff/credits/new", h1),
        "/staff/credits/[id]": (f"/staff/credits/{ids['credit']}", h1),
        "/staff/credits/[id]/edit": (f"/staff/credits/{ids['draft_credit']}/edit", h1),
        "/staff/payments": ("/staff/payments", h1),
        "/staff/recurring_invoices": ("/staff/recurring_invoices", h1),
        "/staff/recurring_invoices/new": ("/staff/recurring_invoices/new", h1),
        "/staff/recurring_invoices/[id]": (f"/staff/recurring_invoices/{ids['recurring']}", h1),
        "/staff/recurring_invoices/[id]/edit": (
            f"/staff/recurring_invoices/{ids['recurring']}/edit",
            h1,
        ),
        "/staff/plans": ("/staff/plans", h1),
        "/staff/plans/new": ("/staff/plans/new", h1),
        "/staff/plans/[id]/edit": (f"/staff/plans/{ids['plan']}/edit", h1),
        "/staff/subscriptions": ("/staff/subscriptions", h1),
        "/staff/settings": ("/staff/settings", h1),
        "/staff/audit": ("/staff/audit", h1),
        "/staff/outbox": ("/staff/outbox", h1),
        "/staff/preview/[contact_id]": (f"/staff/preview/{contact.id}", h1),
    }
    return Records(account, staff_email, client_pages, link_pages, public_pages, staff_pages)


# Pages that only redirect (sign-out) have nothing to check.
_NOT_PAGES = {"/client/logout", "/staff/logout"}


def test_every_page_of_the_route_table_is_checked(make: Factory, db):
    """A page added to the route table gets an entry above, so axe sees it too."""
    from portal_app.pages.route_table import PAGES

    records = _records(make, db)
    checked = {
        *records.client_pages,
        *records.link_pages,
        *records.public_pages,
        *records.staff_pages,
    }
    missing = {p.route for p in PAGES} - checked - _NOT_PAGES
    assert missing == set(), f"pages axe does not visit: {sorted(missing)}"


def _staff_sign_in(page: Page, email: str) -> None:
    page.goto("/staff/login?next=/staff/clients")
    wait_interactive(page, "#email")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/staff/clients/?$"))
    expect(page.locator("#main h1").first).to_be_visible()


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_client_pages_meet_wcag_a_and_aa(layout: str, new_context, make: Factory, db):
    """Signed out, from an e-mailed link and signed in: no WCAG A/AA violation on any page."""
    records = _records(make, db)
    phone = layout == "phone"
    problems: list[str] = []

    visitor = new_context(**LAYOUTS[layout]).new_page()
    for path, ready in records.public_pages.values():
        problems += _check(visitor, path, ready, phone=phone)
    for path, ready in records.link_pages.values():
        problems += _check(visitor, path, ready, phone=phone)

    page = new_context(**LAYOUTS[layout]).new_page()
    sign_in(page, records.account)
    if layout == "dark":
        assert page.evaluate("() => document.documentElement.classList.contains('dark')")
    for path, ready in records.client_pages.values():
        problems += _check(page, path, ready, phone=phone)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_staff_pages_meet_wcag_a_and_aa(layout: str, new_context, make: Factory, db):
    """Every staff console page and detail page: no WCAG A/AA violation."""
    records = _records(make, db)
    page = new_context(**LAYOUTS[layout]).new_page()
    _staff_sign_in(page, records.staff_email)
    problems: list[str] = []
    for path, ready in records.staff_pages.values():
        problems += _check(page, path, ready, phone=layout == "phone")
    assert problems == [], "\n".join(problems)


PHONE_360 = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
CLIENT_LISTS = (
    "/client/dashboard",
    "/client/invoices",
    "/client/payments",
    "/client/credits",
    "/client/quotes",
    "/client/recurring_invoices",
    "/client/subscriptions",
    "/client/documents",
    "/client/statement",
    "/client/payment_methods",
)
STAFF_LISTS = (
    "/staff",
    "/staff/clients",
    "/staff/clients/[id]",
    "/staff/invoices",
    "/staff/quotes",
    "/staff/credits",
    "/staff/payments",
    "/staff/recurring_invoices",
    "/staff/plans",
    "/staff/subscriptions",
    "/staff/audit",
    "/staff/outbox",
)


def _key_cells_on_screen(page: Page) -> list[str]:
    """Each table row's visible cells (number, amounts, status, actions) lie on the screen
    and are painted there (not clipped by a box of no height)."""
    return page.evaluate(
        """() => {
            const out = [];
            for (const row of document.querySelectorAll('#main tbody tr')) {
              for (const cell of row.children) {
                let r = cell.getBoundingClientRect();
                // Not shown on purpose: hidden, inside a closed <details>, or empty.
                if (r.width === 0 || !cell.checkVisibility()) continue;
                if (!cell.innerText.trim() && !cell.querySelector('input, button, a, svg')) {
                  continue;
                }
                const text = cell.innerText.trim().slice(0, 30);
                if (r.left < -1 || r.right > window.innerWidth + 1) {
                  out.push(`cell "${text}" at ${Math.round(r.left)}-${Math.round(r.right)}px`);
                  continue;
                }
                // Scrolled up or down only (sideways would hide what is tested).
                window.scrollTo(0, window.scrollY + r.top - window.innerHeight / 2);
                r = cell.getBoundingClientRect();
                const hit = document.elementFromPoint(r.left + 2, r.top + r.height / 2);
                if (!hit || !cell.contains(hit)) out.push(`cell "${text}" is not painted`);
              }
              if (out.length > 4) break;
            }
            return out;
        }"""
    )


def test_lists_fit_a_360_px_phone(new_context, make: Factory, db):
    """Issue 18 item 12: on a 360 px phone no list page is wider than the screen, every table
    row shows all its cells on screen (tables stack into cards), and the invoice list keeps
    its dates and a one-line pager."""
    records = _records(make, db)
    for n in range(3):
        make.invoice(records.account.client, number=f"INV-2026-{records.account.client.id}{n}")
    page = new_context(**PHONE_360).new_page()
    sign_in(page, records.account)
    problems: list[str] = []
    for route in CLIENT_LISTS:
        path, ready = records.client_pages[route]
        page.goto(path)
        _settled(page, ready)
        problems += [f"{path}: {p}" for p in _overflow(page) + _key_cells_on_screen(page)]

    page.goto("/client/invoices")
    _settled(page, '[data-testid="invoice-row"]')
    first = page.locator('[data-testid="invoice-row"]').first
    expect(first.get_by_text("Due:")).to_be_visible()
    expect(first.get_by_text("Date:")).to_be_visible()
    number = first.get_by_role("link").first
    box = number.bounding_box()
    assert box is not None and box["height"] < 30, "the invoice number wraps onto two lines"
    next_button = page.get_by_role("button", name="Next")
    previous = page.get_by_role("button", name="Previous")
    assert next_button.bounding_box()["y"] == previous.bounding_box()["y"]

    staff = new_context(**PHONE_360).new_page()
    _staff_sign_in(staff, records.staff_email)
    for route in STAFF_LISTS:
        path, ready = records.staff_pages[route]
        staff.goto(path)
        _settled(staff, ready)
        problems += [f"{path}: {p}" for p in _overflow(staff) + _key_cells_on_screen(staff)]
    assert problems == [], "\n".join(problems)


def test_skip_link_comes_first_and_pay_all_due_is_one_stop(page: Page, make: Factory):
    """Issue 18 item 13: the first Tab stop skips to the page's content; "Pay all due" is one
    link named by what it shows."""
    account = make.account()
    make.invoice(account.client)
    sign_in(page, account)
    page.goto("/client/invoices")
    _settled(page, '[data-testid="invoice-row"]')
    wait_interactive(page, "#skip-link")
    page.keyboard.press("Tab")
    skip = page.locator("#skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Skip to main content")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0, "the focused skip link is on screen"
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")

    pay_all = page.get_by_role("link", name=re.compile(r"^Pay all due \(\$240\.00\)$"))
    expect(pay_all).to_have_count(1)
    expect(pay_all).to_have_attribute("href", "/client/pay?all=USD")
    expect(pay_all).to_have_attribute("title", "Pay all 1 due invoice in USD")
    expect(pay_all.locator("button")).to_have_count(0)


@pytest.mark.parametrize("shell", ["client", "staff"])
def test_sidebar_footer_stays_on_the_sidebar_on_a_short_window(
    shell: str, new_context, make: Factory, db
):
    """Issue 18 item 14: at 1280x500 the sidebar scrolls inside its own background; its footer
    (name, sign-out, theme) never hangs below it."""
    records = _records(make, db)
    page = new_context(viewport={"width": 1280, "height": 500}).new_page()
    if shell == "client":
        sign_in(page, records.account)
    else:
        _staff_sign_in(page, records.staff_email)
    sidebar = page.locator("#sidebar")
    expect(sidebar).to_be_visible()
    outside = sidebar.evaluate(
        """s => {
            s.scrollTop = s.scrollHeight;
            const box = s.getBoundingClientRect();
            return [...s.querySelectorAll('*')]
              .filter(el => {
                const r = el.getBoundingClientRect();
                return r.height > 0 && (r.bottom > box.bottom + 1 || r.right > box.right + 1);
              })
              .map(el => el.id || el.tagName.toLowerCase()).slice(0, 5);
        }"""
    )
    assert outside == []
    sign_out = sidebar.get_by_role("button", name="Sign out")
    sign_out.scroll_into_view_if_needed()
    expect(sign_out).to_be_in_viewport()
    assert _violations(page) == []


@pytest.mark.parametrize(
    ("scheme", "mark"),
    # Gold stands out from the dark sidebar as it is; on the light one a darker gold does.
    [("light", "rgb(166, 140, 0)"), ("dark", "rgb(255, 215, 0)")],
)
def test_brand_colour_marks_the_current_page_where_contrast_allows(
    scheme: str, mark: str, new_context, make: Factory
):
    """Issue 18 item 14: the company colour is the accent of the navigation, not only of the
    logo box, in a shade with 3:1 contrast where the colour itself has less."""
    account = make.account(primary_color="#FFD700")
    page = new_context(color_scheme=scheme).new_page()
    sign_in(page, account)
    current = page.locator('#sidebar [data-current="true"]')
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Dashboard")
    assert current.evaluate("el => getComputedStyle(el).borderLeftColor") == mark
    assert _violations(page) == []


def test_unknown_address_shows_the_styled_404_page(page: Page, make: Factory):
    """Issue 18 item 10: the sign-in frame signed out, the portal shell signed in, each with a
    way back, and no serious violation either way; a missing record looks the same."""
    account = make.account()
    page.goto("/client/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    back = page.get_by_role("link", name="Go to sign in")
    expect(back).to_have_attribute("href", "/client/login")
    expect(page.locator("#portal-shell")).to_have_count(0)
    assert _violations(page) == []

    sign_in(page, account)
    page.goto("/client/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator("#portal-shell")).to_be_visible()
    assert _violations(page) == []
    page.get_by_role("link", name="Back to your dashboard").click()
    page.wait_for_url(re.compile(r"/client/dashboard/?$"))

    page.goto("/client/invoices/987654321")
    expect(page.get_by_role("heading", name="Invoice not found")).to_be_visible()
    expect(page.locator("#not-found-back")).to_have_attribute("href", "/client/invoices")
    assert _violations(page) == []
