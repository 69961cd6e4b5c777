"""The sign-in pages hold still while they load (issue 23: Lighthouse counted a layout shift).

The card shows a spinner until the page holds its sign-in binding, then the form. When the
form took the spinner's place, everything under it (the links, "E-mail me a code", the
language switcher) moved down: a layout shift of 0.12 on the client's page in a phone layout,
which cost the page its Lighthouse score. The browser's own Layout Instability API counts it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_portal import wait_interactive

pytestmark = pytest.mark.e2e

# Layout shifts the browser reports for this page (none caused by input), with the elements
# that moved.
WATCH_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__shifts.push({
      value: entry.value,
      moved: (entry.sources || []).map((s) => s.node ? (s.node.outerHTML || "").slice(0, 80) : ""),
    });
  }
}).observe({ type: "layout-shift", buffered: true });
"""

PHONE = {"width": 412, "height": 823}
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("path", ["/client/login", "/staff/login"])
def test_the_sign_in_page_does_not_move_when_its_form_appears(new_context, path, viewport):
    page: Page = new_context(viewport=viewport).new_page()
    page.add_init_script(WATCH_SHIFTS)
    page.goto(path)
    wait_interactive(page, "#email")
    expect(page.locator("#email")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_enabled()
    # Two frames after the form shows, so a shift it caused has been reported.
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    shifts = page.evaluate("() => window.__shifts")
    assert shifts == [], shifts


def test_the_form_cannot_be_used_before_the_page_is_ready(new_context):
    # The form is in the layout from the start, but hidden (not focusable, not in the
    # accessibility tree) until the binding is held, as the spinner was before. Without
    # scripts the page stays as served: not ready.
    page: Page = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    page.goto("/client/login")
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator("#email")).to_be_attached()
    expect(page.locator("#email")).to_be_hidden()
    expect(page.get_by_role("textbox")).to_have_count(0)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_company_s_sign_in_page_with_registration_open_does_not_move(new_context, make, viewport):
    # "New here? Create an account" shows only when the company allows registration, which
    # the page learns from its load event.
    company = make.company(allow_registration=True)
    page: Page = new_context(viewport=viewport).new_page()
    page.add_init_script(WATCH_SHIFTS)
    page.goto(f"/client/login?company={company.id}")
    wait_interactive(page, "#email")
    expect(page.get_by_role("link", name="New here? Create an account")).to_be_visible()
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    shifts = page.evaluate("() => window.__shifts")
    assert shifts == [], shifts
