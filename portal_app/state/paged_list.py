"""Mixins for the list pages' States: server paging, row selection, filter/search/sort.

A Reflex mixin (`mixin=True`) gives each State that lists it its own copy of the vars, the
computed vars and the @rx.event handlers (Reflex copies a mixin's handlers onto each State, so
they are bound to that page; a handler the page defines itself wins). The page's State
declares `rows` (its row view type) and `_reload()`, and sets the ClassVars a mixin asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import reflex as rx
from sqlmodel import Session

from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError
from portal_app.services.billing.invoices import PAGE_SIZES
from portal_app.services.identity.actor import Actor


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
        try:
            # One database session for the session check and the page.
            with session_scope() as db:
                actor = self._begin(db)
                result = fetch(db, actor) if actor is not None else None
        except NotFoundError:  # the company switched the module off
            self.unavailable = True
            self.rows = []
            self.loading = False
            return None
        if result is None:
            return self._login_redirect()
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

    @rx.event
    def set_page_size(self, size: str):
        self._choose_page_size(size)
        return self._reload()

    @rx.event
    def next_page(self):
        self._turn_page(1)
        return self._reload()

    @rx.event
    def previous_page(self):
        self._turn_page(-1)
        return self._reload()

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


class RowSelectionMixin(rx.State, mixin=True):
    """Checkbox selection of rows on the current page, at most `MAX_SELECTED` of them."""

    MAX_SELECTED: ClassVar[int]
    selected_ids: list[int] = []

    @rx.event
    def toggle_selected(self, row_id: int):
        # Only ids shown on this page can be selected; the services re-check ownership anyway.
        if not any(row.id == row_id for row in self.rows):
            return
        if row_id in self.selected_ids:
            self.selected_ids = [i for i in self.selected_ids if i != row_id]
        elif len(self.selected_ids) < self.MAX_SELECTED:
            self.selected_ids = [*self.selected_ids, row_id]

    @rx.event
    def clear_selection(self):
        self.selected_ids = []


class SortedSearchMixin(rx.State, mixin=True):
    """A status filter, a number search and a sort column with its direction.

    The page sets `SORT_LABELS` (the whitelisted sort keys; unknown means "date") and
    `MAX_SEARCH`, and keeps its own `set_status` (pages differ in what a new filter clears).
    """

    SORT_LABELS: ClassVar[dict[str, str]]
    MAX_SEARCH: ClassVar[int]
    status: str = "all"
    search: str = ""
    sort: str = "date"
    descending: bool = True

    def _query_fields(self) -> dict:
        """The filter, search, sort and page as keyword arguments of a service ListQuery."""
        return {
            "status": self.status,
            "search": self.search,
            "sort": self.sort,
            "descending": self.descending,
            "page": self.page,
            "page_size": self.page_size,
        }

    @rx.event
    def apply_search(self, form_data: dict):
        self.search = str(form_data.get("search", ""))[: self.MAX_SEARCH]
        self.page = 1
        return self._reload()

    @rx.event
    def set_sort(self, sort: str):
        self.sort = sort if sort in self.SORT_LABELS else "date"
        self.page = 1
        return self._reload()

    @rx.event
    def toggle_direction(self):
        self.descending = not self.descending
        self.page = 1
        return self._reload()


def range_label(*, rows: int, page: int, page_size: int, total: int, capped: bool, more: bool):
    """'1–25 of 130' for a page of a server-paged list ('' when the page is empty)."""
    if not rows:
        return ""
    first = (page - 1) * page_size + 1
    last = first + rows - 1
    if page == 1 and not more:
        return f"{first}–{last} of {total}"
    known = max(total, last)
    return f"{first}–{last} of {known:,}{'+' if capped else ''}"
