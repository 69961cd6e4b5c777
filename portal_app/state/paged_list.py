"""PagedListMixin: the server-paging vars and plain helpers of a list page's State.

A Reflex mixin (`mixin=True`) gives each State that lists it its own copy of these vars and
of `range_label`. Reflex binds an event handler to the class that defines it, so each page
keeps its own @rx.event handlers (load, set_page_size, next_page, previous_page) and calls the
underscore helpers here. The page's State declares `rows` (its row view type) and `_reload()`.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from sqlmodel import Session

from portal_app.components.records import range_label
from portal_app.db import session_scope
from portal_app.services.actor import Actor
from portal_app.services.errors import NotFoundError
from portal_app.services.invoices import PAGE_SIZES


class PagedListMixin(rx.State, mixin=True):
    """Paging vars, the '1–25 of 130' label and the reload/paging helpers."""

    page: int = 1
    page_size: int = 25
    total: int = 0
    total_is_capped: bool = False
    has_next: bool = False
    loading: bool = True
    unavailable: bool = False

    def _reload_with(self, fetch: Callable[[Session, Actor], object]):
        """Load the current page through `fetch(db, actor)` (a service returning a *Page).

        The login redirect when signed out; `unavailable` when the service says the module is
        switched off for the company (NotFoundError).
        """
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        try:
            with session_scope() as db:
                result = fetch(db, actor)
        except NotFoundError:  # the company switched the module off
            self.unavailable = True
            self.rows = []
            self.loading = False
            return None
        self.unavailable = False
        self.rows = result.rows
        self.total = result.total
        self.total_is_capped = result.total_is_capped
        self.has_next = result.has_next
        self.page = result.page
        self.page_size = result.page_size
        self.loading = False
        return None

    def _choose_page_size(self, size: str) -> None:
        """A page size from the select (anything unknown means 25), back to page 1."""
        self.page_size = int(size) if size.isdigit() and int(size) in PAGE_SIZES else 25
        self.page = 1

    def _turn_page(self, step: int) -> None:
        """One page forward (only when there is a next one) or back (not before page 1)."""
        if step > 0:
            if self.has_next:
                self.page += 1
        else:
            self.page = max(1, self.page - 1)

    @rx.var
    def range_label(self) -> str:
        return range_label(
            rows=len(self.rows),
            page=self.page,
            page_size=self.page_size,
            total=self.total,
            capped=self.total_is_capped,
            more=self.has_next,
        )
