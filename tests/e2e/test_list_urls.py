"""Issue 18 item 11: a list's tab, search, sort and page live in the URL, so back, reload and
bookmarks keep them, and leaving the list through the navigation forgets them.

Issue 23 item 6 in the browser: "Last page" and "Previous" from there (keyset paging)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.e2e.conftest import Factory
from tests.e2e.test_portal import ROW, sign_in

pytestmark = pytest.mark.e2e


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _expect_query(page: Page, expected: dict[str, list[str]]) -> None:
    """The URL's query becomes `expected`: a change shows its rows with the event's answer and
    pushes the URL that describes them right after (state/paged_list.py), so wait for it."""
    for _ in range(50):
        if _query(page) == expected:
            return
        page.wait_for_timeout(100)
    assert _query(page) == expected


def _numbers(page: Page) -> list[str]:
    return [row.get_by_role("rowheader").inner_text().strip() for row in page.locator(ROW).all()]


def _account_with_invoices(make: Factory):
    """30 invoices numbered KEEP-00..29 (KEEP-00 the newest) and 3 named OTHER-."""
    account = make.account()
    start = date.today() - timedelta(days=1)
    for n in range(30):
        make.invoice(
            account.client,
            number=f"KEEP-{account.client.id}-{n:02d}",
            issue_date=start - timedelta(days=n),
        )
    for n in range(3):
        make.invoice(account.client, number=f"OTHER-{account.client.id}-{n}", issue_date=start)
    return account


def test_search_sort_and_page_survive_reload_and_back(page: Page, make: Factory):
    account = _account_with_invoices(make)
    prefix = f"KEEP-{account.client.id}-"
    sign_in(page, account, "/client/invoices")
    expect(page.locator(ROW)).to_have_count(25)

    page.locator('input[name="search"]').fill("KEEP")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("1–25 of 30")).to_be_visible()
    page.get_by_role("combobox", name="Sort by").select_option(label="Number")
    page.get_by_role("button", name="Sorted newest or largest first").click()
    expect(page.locator(ROW).first).to_contain_text(prefix + "00")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("26–30 of 30")).to_be_visible()
    assert _numbers(page) == [f"{prefix}{n}" for n in range(25, 30)]
    _expect_query(page, {"q": ["KEEP"], "sort": ["number"], "dir": ["asc"], "page": ["2"]})

    page.reload()
    expect(page.get_by_text("26–30 of 30")).to_be_visible()
    assert _numbers(page) == [f"{prefix}{n}" for n in range(25, 30)]
    expect(page.locator('input[name="search"]')).to_have_value("KEEP")
    expect(page.get_by_role("combobox", name="Sort by")).to_have_value("number")

    page.go_back()  # page 1 of the same search and sort
    expect(page.get_by_text("1–25 of 30")).to_be_visible()
    expect(page.locator(ROW).first).to_contain_text(prefix + "00")
    assert "page" not in _query(page) and _query(page)["q"] == ["KEEP"]
    page.go_back()  # number, newest first
    expect(page.locator(ROW).first).to_contain_text(prefix + "29")
    page.go_back()  # the search by date
    expect(page.locator(ROW).first).to_contain_text(prefix + "00")
    _expect_query(page, {"q": ["KEEP"]})
    page.go_back()  # the list as it was opened
    expect(page.get_by_text("1–25 of 33")).to_be_visible()
    expect(page.locator('input[name="search"]')).to_have_value("")


def test_leaving_through_the_navigation_forgets_the_search(page: Page, make: Factory):
    account = _account_with_invoices(make)
    sign_in(page, account, "/client/invoices")
    page.locator('input[name="search"]').fill("OTHER")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(ROW)).to_have_count(3)

    page.get_by_role("link", name="Payments", exact=True).first.click()
    page.wait_for_url(re.compile(r"/client/payments/?$"))
    page.get_by_role("link", name="Invoices", exact=True).first.click()
    page.wait_for_url(re.compile(r"/client/invoices/?$"))
    expect(page.locator(ROW)).to_have_count(25)
    expect(page.get_by_text("1–25 of 33")).to_be_visible()
    expect(page.locator('input[name="search"]')).to_have_value("")


def test_a_bookmark_opens_that_list_and_garbage_is_ignored(page: Page, make: Factory):
    account = _account_with_invoices(make)
    prefix = f"KEEP-{account.client.id}-"
    sign_in(page, account)
    page.goto("/client/invoices?q=KEEP&sort=number&dir=asc&size=10&page=2")
    expect(page.get_by_text("11–20 of 30")).to_be_visible()
    assert _numbers(page) == [f"{prefix}{n}" for n in range(10, 20)]
    expect(page.locator('input[name="search"]')).to_have_value("KEEP")

    page.goto("/client/invoices?status=bogus&q=&sort=drop%20table&dir=up&size=7&page=-4&x=1")
    expect(page.locator(ROW)).to_have_count(25)
    expect(page.get_by_text("1–25 of 33")).to_be_visible()
    page.goto("/client/invoices?page=99999999999999&size=%C2%B2")
    expect(page.locator(ROW)).to_have_count(25)
    expect(page.get_by_text("1–25 of 33")).to_be_visible()


def test_last_page_and_back_from_it(page: Page, make: Factory):
    account = _account_with_invoices(make)
    prefix = f"KEEP-{account.client.id}-"
    sign_in(page, account, "/client/invoices")
    page.get_by_role("button", name="Last page").click()
    expect(page.get_by_text("26–33 of 33")).to_be_visible()
    _expect_query(page, {"page": ["last"]})
    assert _numbers(page)[-1] == prefix + "29"  # the oldest
    expect(page.get_by_role("button", name="Last page")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_text("1–25 of 33")).to_be_visible()
    # The rows come with Previous's answer, its URL right after: reloading before it arrived
    # reloads ?page=last (what a reload does before the address bar changed).
    _expect_query(page, {})
    page.reload()
    expect(page.get_by_text("1–25 of 33")).to_be_visible()
    page.goto("/client/invoices?page=last&size=10")
    expect(page.get_by_text("31–33 of 33")).to_be_visible()


def _text(message: str | bytes) -> str:
    return message if isinstance(message, str) else message.decode(errors="replace")


class _HeldUntilPrevious:
    """The page's websocket, with the first message `hold_to_server` (page to server) or
    `hold_to_page` (server to page) picks held back until Previous is sent; the messages the
    page receives from then on are kept in `after_previous`."""

    def __init__(self, page: Page, *, hold_to_server=None, hold_to_page=None):
        self.held: list[str | bytes] = []
        self.after_previous: list[str] = []
        self.previous_sent = False
        self._hold_to_server = hold_to_server or (lambda text: False)
        self._hold_to_page = hold_to_page or (lambda text: False)
        page.route_web_socket(re.compile(r"/_event"), self._route)

    def _route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            text = _text(message)
            if not self.previous_sent and self._hold_to_server(text):
                self.held.append(message)
                return
            server.send(message)
            if "previous_page" in text and not self.previous_sent:
                self.previous_sent = True
                for kept in self.held:
                    (ws if self._hold_to_page(_text(kept)) else server).send(kept)

        def to_page(message: str | bytes) -> None:
            text = _text(message)
            if not self.previous_sent and self._hold_to_page(text):
                self.held.append(message)
                return
            if self.previous_sent:
                self.after_previous.append(text)
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    def wait_held(self, page: Page) -> None:
        for _ in range(200):
            if self.held:
                return
            page.wait_for_timeout(50)
        assert self.held, "nothing to hold back came"

    def navigation_answered(self, page: Page) -> list[str]:
        """What the page received after Previous, once a navigation was answered after it
        (its answer ends with is_hydrated)."""
        for _ in range(200):
            if any("is_hydrated" in text for text in self.after_previous):
                break
            page.wait_for_timeout(50)
        assert any("is_hydrated" in text for text in self.after_previous)
        return self.after_previous


def _previous_while_held(
    page: Page, make: Factory, url_before_previous: dict[str, list[str]], **hold
) -> None:
    """Last page, then Previous while the page's websocket holds back the message `hold`
    picks (_HeldUntilPrevious's arguments) and the address bar shows `url_before_previous`:
    the first page must stay, in the list and the URL, once the held message went through and
    a navigation was answered."""
    account = _account_with_invoices(make)
    oldest = f"KEEP-{account.client.id}-29"  # only on the last page
    socket = _HeldUntilPrevious(page, **hold)
    sign_in(page, account, "/client/invoices")
    page.get_by_role("button", name="Last page").click()
    expect(page.get_by_text("26–33 of 33")).to_be_visible()
    _expect_query(page, url_before_previous)
    socket.wait_held(page)
    assert _query(page) == url_before_previous
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_text("1–25 of 33")).to_be_visible()
    _expect_query(page, {})
    assert not [text for text in socket.navigation_answered(page) if oldest in text]
    expect(page.get_by_text("1–25 of 33")).to_be_visible()
    _expect_query(page, {})


def test_previous_before_the_last_pages_navigation_is_loaded_stays_on_page_one(
    page: Page, make: Factory
):
    """Previous clicked when the URL says `page=last` but before that navigation's on_load
    was handled: the on_load reaches the server after Previous. It showed the last page again
    (the flaky test_last_page_and_back_from_it); the list Previous asked for must stay. The
    on_load is held back in the websocket until Previous is sent, so the order is certain."""
    _previous_while_held(
        page,
        make,
        {"page": ["last"]},
        hold_to_server=lambda text: "on_load_internal" in text and "page=last" in text,
    )


def test_previous_before_the_last_pages_url_arrived_stays_on_page_one(page: Page, make: Factory):
    """Previous clicked once the last page is shown but before its URL (`?page=last`, sent
    after the rows) reached the browser: Previous is sent from the first page's URL. The list
    went back to the last page, and stayed there, when that navigation arrived."""
    _previous_while_held(
        page, make, {}, hold_to_page=lambda text: '"_redirect"' in text and "page=last" in text
    )


def test_the_payments_page_keeps_its_page_in_the_url(page: Page, db, make: Factory):
    from portal_app.models import Payment

    account = make.account()
    with db() as session:
        for n in range(27):
            session.add(
                Payment(
                    company_id=account.company.id,
                    client_id=account.client.id,
                    number=f"PAY-URL-{account.client.id}-{n:02d}",
                    status="completed",
                    currency="USD",
                    amount_minor=10_00,
                )
            )
    sign_in(page, account, "/client/payments")
    rows = page.locator('[data-testid="payment-row"]')
    expect(rows).to_have_count(25)
    page.get_by_role("button", name="Next").click()
    expect(rows).to_have_count(2)
    _expect_query(page, {"page": ["2"]})
    page.reload()
    expect(rows).to_have_count(2)
    page.go_back()
    expect(rows).to_have_count(25)
    page.goto("/client/payments?page=last")
    expect(rows).to_have_count(2)
