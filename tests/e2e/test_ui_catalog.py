"""The front end's texts come from a static per-language catalog the browser fetches once and
caches (reflex_ext/ui_catalog.py), not from the tab's state (issue 20 item 4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_languages import _set_language, sign_in

pytestmark = pytest.mark.e2e

IMMUTABLE = "public, max-age=31536000, immutable"
CATALOG_URL = re.compile(r"/i18n/([A-Za-z_]+)\.[0-9a-f]{16}\.json$")


def test_a_german_page_takes_its_text_from_the_cached_catalog(new_context, make, db):
    account = make.account()
    _set_language(db, account.contact.id, "de")
    page = new_context(locale="en-US").new_page()
    catalogs = []

    def keep_catalog(response) -> None:
        if "/i18n/" in response.url:
            catalogs.append(response)

    page.on("response", keep_catalog)
    frames: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))),
    )

    # The sign-in page is English (en-US browser): no catalog is fetched for it.
    sign_in(page, account)
    nav = page.get_by_role("navigation", name="Portal").first
    expect(nav.get_by_role("link", name="Rechnungen", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Übersicht", level=1)).to_be_visible()
    nav.get_by_role("link", name="Rechnungen", exact=True).click()
    page.wait_for_url(re.compile(r"/client/invoices/?$"))
    expect(page.get_by_role("heading", name="Rechnungen", level=1, exact=True)).to_be_visible()

    # One request for the German catalog over sign-in, dashboard and invoices, cached for a year.
    assert [CATALOG_URL.search(r.url).group(1) for r in catalogs] == ["de"]
    assert catalogs[0].status == 200
    assert catalogs[0].headers["cache-control"] == IMMUTABLE
    # The catalog holds only the front end's texts: a page label, no e-mail's sentence.
    catalog = catalogs[0].json()
    assert catalog["Invoices"] == "Rechnungen"
    assert len(catalog) < 1200
    # The tab's state carries the language, never the strings.
    assert any('"lang' in frame for frame in frames)
    assert not any("ui_text" in frame for frame in frames)

    # A new page load reads the catalog from the browser's cache (nothing transferred).
    page.reload()
    expect(page.get_by_role("heading", name="Rechnungen", level=1, exact=True)).to_be_visible()
    transferred = page.evaluate(
        """() => performance.getEntriesByType("resource")
            .filter((e) => e.name.includes("/i18n/"))
            .map((e) => e.transferSize)"""
    )
    assert transferred == [0]
