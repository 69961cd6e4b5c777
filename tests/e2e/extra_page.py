"""A small add-on portal tab, written exactly as docs/extending.md says.

The browser tests start the portal with PORTAL_EXTRA_PAGES=tests.e2e.extra_page and check that
the tab shows in the navigation and loads its data only for a signed-in contact.
"""

from __future__ import annotations

import reflex as rx

from portal_app.core.db import session_scope
from portal_app.demo.extras_example import open_invoice_count
from portal_app.pages.route_table import Page
from portal_app.state.nav import NavItem, register_nav_item
from portal_app.state.portal import PortalState

ROUTE = "/client/open-count"
register_nav_item(NavItem("Open count", ROUTE, "hash"))


class OpenCountState(PortalState):
    open_count: int = 0

    @rx.event
    def load(self):
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        with session_scope() as db:
            self.open_count = open_invoice_count(db, actor=actor)


def open_count_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Open invoices", as_="h1"),
        rx.text("You have ", OpenCountState.open_count, " open invoices.", id="open-count"),
    )


# What portal_app.py registers for this module (PORTAL_EXTRA_PAGES=tests.e2e.extra_page).
PAGES = [Page.portal(ROUTE, "Open count", open_count_page, on_load=OpenCountState.load)]
