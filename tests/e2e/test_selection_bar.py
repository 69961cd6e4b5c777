"""The invoice list's selection bar (issue 23 item 4): ticking a box shows it without moving
the rows (the box just clicked stays under the pointer), Clear hides it the same way, and the
list with the bar shown passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Factory
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_portal import ROW, open_invoice_list, sign_in

pytestmark = pytest.mark.e2e


def _top(page: Page, number: str) -> float:
    """Where the row of invoice `number` starts, in CSS pixels from the document's top."""
    box = page.locator(ROW).filter(has_text=number).bounding_box()
    assert box is not None
    return box["y"] + page.evaluate("() => window.scrollY")


def test_ticking_shows_the_selection_bar_without_moving_the_rows(page: Page, make: Factory):
    account = make.account()
    invoices = [make.invoice(account.client) for _ in range(3)]
    sign_in(page, account)
    open_invoice_list(page, 3)
    first, last = invoices[0].number, invoices[-1].number
    tops = (_top(page, first), _top(page, last))
    zip_link = page.locator("#download-zip")
    expect(zip_link).to_be_hidden()

    box = page.get_by_role("checkbox", name=f"Select invoice {first}")
    box.click()
    expect(box).to_be_checked()
    expect(page.get_by_text("Selected: 1")).to_be_visible()
    expect(zip_link).to_be_visible()
    expect(zip_link).to_be_in_viewport()
    # The rows stayed where they were: the bar did not push the table down.
    assert (_top(page, first), _top(page, last)) == tops
    assert _violations(page) == []

    page.get_by_role("button", name="Clear", exact=True).click()
    expect(zip_link).to_be_hidden()
    expect(box).not_to_be_checked()
    assert (_top(page, first), _top(page, last)) == tops
    # Ticked again, the bar comes back with the new count.
    box.click()
    expect(page.get_by_text("Selected: 1")).to_be_visible()
    assert (_top(page, first), _top(page, last)) == tops


def test_the_list_table_blurs_nothing_behind_it(page: Page, make: Factory):
    # Radix's surface table has `backdrop-filter: blur(64px)`: over the page's plain
    # background it shows nothing, but the display compositor redraws it for every frame
    # that changes the table (~30-40 ms a frame in Chromium's software compositor, see
    # bench/click_to_screen.py --trace). The theme's solid panels (rxconfig.py) turn it off,
    # on cards as on tables.
    account = make.account()
    make.invoice(account.client)
    sign_in(page, account)
    open_invoice_list(page, 1)
    root = page.locator(".rt-TableRoot").filter(has=page.locator(ROW))
    assert root.evaluate("(el) => getComputedStyle(el).backdropFilter") == "none"
