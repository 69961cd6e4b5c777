"""Mixins for the list pages' States: server paging, row selection, filter/search/sort.

A Reflex mixin (`mixin=True`) gives each State that lists it its own copy of the vars, the
computed vars and the @rx.event handlers (Reflex copies a mixin's handlers onto each State, so
they are bound to that page; a handler the page defines itself wins). The page's State
declares `rows` (its row view type) and `_reload()`, and sets the ClassVars a mixin asks for.

The list in the URL (issue 18 item 11), for a State with `URL_STATE = True`: the URL is the one
source of the list's state. A change (filter, search, sort, page, page size) pushes the URL
that describes it (`_changed`), the navigation runs the page's on_load, and `_read_url` sets
the whole state from the query parameters, defaults for anything missing or invalid, so back,
reload and a bookmark show that list, and coming back through the navigation (no parameters)
gives a fresh one. A change loads its list in the same event that pushes the URL (read back
from those very parameters, as the on_load would), so the rows come with the first answer; the
on_load of that navigation finds the URL it was told about (`_shows_pushed_url`) and skips the
second load. Changes can come faster than their navigations (Last then Previous at once): the
URLs pushed and not yet arrived are kept in order (`_pushed_urls`), a change compares its list
with the last of them rather than with the URL its event was sent from, and the on_load of an
earlier one loads nothing, as the list shown is already a later change's, whose URL follows.
Any other navigation (back, reload, a link) loads from the URL. The parameters:
`status`, `q` (search), `sort`, `dir=asc`, `size`, and `page` (a number, or `last`). The URL
carries the page number, not a keyset cursor: the boundary keys of the pages seen stay in the
State (`_page_keys`), so the page next to one already shown is found by keyset
(core.paging.fetch_keyset_page); a bookmarked or reloaded page number without a neighbour is
found by OFFSET once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import ClassVar
from urllib.parse import urlencode

import reflex as rx
from babel.numbers import format_decimal
from sqlmodel import Session

from portal_app.core import i18n
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError
from portal_app.services.billing.invoices import PAGE_SIZES
from portal_app.services.identity.actor import Actor
from portal_app.state.read_scope import read_scope

# The list state whose change (`_changed`) checked the session, with that database session
# and actor, while it loads the list: its `_reload_with` reuses them instead of a second check.
_CHECKED: ContextVar[tuple[object, Session, Actor] | None] = ContextVar(
    "paged_list_checked", default=None
)
# Pages a URL may ask for: beyond, a list is a million pages of ten long.
MAX_URL_PAGE = 1_000_000
# Boundary keys kept per list (pages around the current one), enough for any back-and-forth.
KEPT_PAGE_KEYS = 40
# URLs pushed by changes whose navigation has not arrived yet, kept at most (clicks faster
# than the round trip to the browser and back; beyond, the oldest are forgotten).
KEPT_PUSHED_URLS = 20
DEFAULT_PAGE_SIZE = 25
# ASCII digits only: str.isdigit() also accepts characters such as "²" that int() refuses.
_PAGE_NUMBER = re.compile(r"[0-9]{1,7}")


def _url_key(path: str, params: Mapping[str, str]) -> str:
    """A list URL as one comparable string (its path without a trailing slash, and its
    parameters in sorted order)."""
    return (path.rstrip("/") or "/") + "?" + urlencode(sorted(params.items()))


def _page_size_or_default(size: str) -> int:
    """One of PAGE_SIZES from its text; DEFAULT_PAGE_SIZE for anything else."""
    return int(size) if size in {str(n) for n in PAGE_SIZES} else DEFAULT_PAGE_SIZE


class PagedListMixin(rx.State, mixin=True):
    """Paging vars, the '1–25 of 130' label and the reload/paging helpers."""

    # The list's state lives in the URL (see the module's docstring); False: in the State only.
    URL_STATE: ClassVar[bool] = False
    # The service pages by keyset and finds the last page (`page=last`, a "Last" button).
    HAS_LAST_PAGE: ClassVar[bool] = False
    # The list's events (load, page turn, filter, refresh) only read the database: they run in
    # `read_scope`, without BEGIN and COMMIT on PostgreSQL (state/read_scope.py). Set by a
    # page whose `_reload` and session check write nothing.
    READ_ONLY_EVENTS: ClassVar[bool] = False

    page: int = 1
    page_size: int = 25
    total: int = 0
    total_is_capped: bool = False
    has_next: bool = False
    loading: bool = True
    unavailable: bool = False
    # The URL asked for the last page (its number is known once it is loaded).
    on_last_page: bool = False
    # Where the current page starts, for a keyset service: the last key of the page before,
    # the first key of the page after (both "" for page 1 or OFFSET).
    _after_key: str = ""
    _before_key: str = ""
    # page number (as text) -> [first row key, last row key] of the pages seen of the list
    # described by `_page_keys_for` (its filter, search, sort and page size).
    _page_keys: dict[str, list[str]] = {}
    _page_keys_for: str = ""
    # The list URLs (path and sorted parameters, `_url_key`) that changes pushed after loading
    # their lists themselves, oldest first, whose navigations have not arrived yet: the on_load
    # such a navigation runs has nothing to load (empty when none is under way).
    _pushed_urls: list[str] = []

    def _filter_params(self) -> dict[str, str]:
        """The list's filter, search and sort as query parameters (SortedSearchMixin)."""
        return {}

    def _read_filter_params(self, params: Mapping[str, str]) -> None:
        """Set the filter, search and sort from the query parameters (SortedSearchMixin)."""

    def _url_params(self) -> dict[str, str]:
        """The list's state as query parameters, defaults left out (a fresh list: none)."""
        params = self._filter_params()
        if self.page_size != DEFAULT_PAGE_SIZE:
            params["size"] = str(self.page_size)
        if self.on_last_page:
            params["page"] = "last"
        elif self.page > 1:
            params["page"] = str(self.page)
        return params

    def _list_url(self) -> str:
        """This page's path with the list's state as its query."""
        params = self._url_params()
        path = self.router.url.path or "/"
        return f"{path}?{urlencode(params)}" if params else path

    def _changed(self, change: Callable[[], None] | None = None):
        """A change to the list: `change()` (the handler's edit of page, filter or sort), then
        load the list its URL describes and push that URL (the on_load it runs then skips the
        load: `_shows_pushed_url`), or reload at once on a page whose list is not in the URL.

        The session is checked first, in the database session the list then loads in (one
        check): a tab signed out elsewhere goes to sign in with its list as it was, so a
        refused event changes nothing.
        """
        with self._event_scope() as db:
            actor = self._begin(db)
            if actor is None:
                self._pushed_urls = []
                return self._login_redirect()
            if change is not None:
                change()
            token = _CHECKED.set((self, db, actor))
            try:
                return self._load_changed()
            finally:
                _CHECKED.reset(token)

    def _event_scope(self):
        """The database session of one of the list's events (see READ_ONLY_EVENTS)."""
        return read_scope() if self.READ_ONLY_EVENTS else session_scope()

    def _load_changed(self):
        """`_changed` once the session is checked and the change made."""
        if not self.URL_STATE:
            return self._reload()
        params = self._url_params()
        url = self._list_url()
        # The state the URL's on_load would set (page keys and where the page starts too).
        self._read_params(params)
        redirect = self._reload()
        if redirect is not None:  # signed out: the login page, not the list
            self._pushed_urls = []
            return redirect
        target = _url_key(self.router.url.path, params)
        # Where the browser is going: the URL a change pushed last, while its navigation is
        # under way (this event may have been sent before it, from the URL before: Previous
        # clicked right after Last), else the URL this event was sent from.
        pending = self._pushed_urls
        going_to = pending[-1] if pending else self._event_url_key()
        if target == going_to:
            # The same list (a page size or filter chosen again): shown, nothing to push.
            return None
        self._pushed_urls = [*pending, target][-KEPT_PUSHED_URLS:]
        return rx.redirect(url)

    def _event_url_key(self) -> str:
        """The URL this event was sent from, as `_url_key` writes it."""
        return _url_key(self.router.url.path, dict(self.router.url.query_parameters))

    def _shows_pushed_url(self) -> bool:
        """For the page's on_load: True when the URL is one a change pushed after loading its
        list (nothing to load again): the last one pushed, or an earlier one whose list a later
        change replaced already (that change's URL follows; loading this one would show the
        older list again). Forgets it and those before it, so back, reload or a link to the
        same URL later loads from the URL; any other URL forgets them all and loads."""
        pending, self._pushed_urls = self._pushed_urls, []
        url = self._event_url_key()
        if url not in pending:
            return False
        self._pushed_urls = pending[pending.index(url) + 1 :]
        return True

    def _read_url(self) -> None:
        """Set the list from the URL's query parameters: every value checked, anything missing
        or invalid the default (never an error); then where the page starts (`_after_key` /
        `_before_key` from a neighbouring page seen before, else OFFSET)."""
        self._read_params(self.router.url.query_parameters)

    def _read_params(self, params: Mapping[str, str]) -> None:
        """`_read_url` from `params` (the URL's, or those a change is about to push)."""
        self._read_filter_params(params)
        self.page_size = _page_size_or_default(params.get("size", ""))
        page = params.get("page", "")
        self.on_last_page = page == "last" and self.HAS_LAST_PAGE
        number = int(page) if _PAGE_NUMBER.fullmatch(page) else 1
        self.page = number if 1 <= number <= MAX_URL_PAGE else 1
        described = repr(sorted(self._filter_params().items())) + f"|{self.page_size}"
        if described != self._page_keys_for:
            self._page_keys = {}
            self._page_keys_for = described
        self._after_key = self._before_key = ""
        if self.page > 1 and not self.on_last_page:
            before = self._page_keys.get(str(self.page - 1))
            after = self._page_keys.get(str(self.page + 1))
            if before:
                self._after_key = before[1]
            elif after:
                self._before_key = after[0]

    def _page_position(self) -> dict:
        """Where the page starts, as the keyword arguments of a keyset list service."""
        return {"after": self._after_key, "before": self._before_key, "last": self.on_last_page}

    def _note_page_keys(self, result: object) -> None:
        """Keep the loaded page's boundary keys, and only those of the pages around it."""
        first, last = getattr(result, "first_key", ""), getattr(result, "last_key", "")
        if not first:
            return
        keys = {**self._page_keys, str(self.page): [first, last]}
        if len(keys) > KEPT_PAGE_KEYS:
            nearest = sorted(keys, key=lambda n: abs(int(n) - self.page))[:KEPT_PAGE_KEYS]
            keys = {n: keys[n] for n in nearest}
        self._page_keys = keys

    def _reload_with(self, fetch: Callable[[Session, Actor], object]):
        """Load the current page through `fetch(db, actor)` (a service returning a *Page).

        The login redirect when signed out; `unavailable` when the service says the module is
        switched off for the company (NotFoundError).
        """
        checked = _CHECKED.get()
        try:
            if checked is not None and checked[0] is self:
                # A change (`_changed`) checked the session already, in this database session.
                result = fetch(checked[1], checked[2])
            else:
                # One database session for the session check and the page.
                with self._event_scope() as db:
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
        self._note_page_keys(result)
        return None

    def _choose_page_size(self, size: str) -> None:
        """A page size from the select (anything unknown means 25), back to page 1."""
        self.page_size = _page_size_or_default(size)
        self.page = 1
        self.on_last_page = False

    def _turn_page(self, step: int) -> None:
        """One page forward (only when there is a next one) or back (not before page 1)."""
        if step > 0:
            if self.has_next:
                self.page += 1
        else:
            self.page = max(1, self.page - 1)
        self.on_last_page = False
        # Without the URL, the keys of the page just shown say where its neighbour starts.
        self._after_key = self._before_key = ""
        if self.page > 1:
            seen = self._page_keys
            before, after = seen.get(str(self.page - 1)), seen.get(str(self.page + 1))
            if before:
                self._after_key = before[1]
            elif after:
                self._before_key = after[0]

    def _start_over(self) -> None:
        """Back to page 1 of a list that changed (filter, search, sort): no keys apply."""
        self.page = 1
        self.on_last_page = False
        self._after_key = self._before_key = ""

    @rx.event
    def set_page_size(self, size: str):
        return self._changed(lambda: self._choose_page_size(size))

    @rx.event
    def next_page(self):
        return self._changed(lambda: self._turn_page(1))

    @rx.event
    def previous_page(self):
        return self._changed(lambda: self._turn_page(-1))

    @rx.event
    def last_page(self):
        """The last page (a list whose service finds it: HAS_LAST_PAGE)."""
        if not self.HAS_LAST_PAGE or not self.has_next:
            return None
        return self._changed(self._go_to_last)

    def _go_to_last(self) -> None:
        self.on_last_page = True
        self._after_key = self._before_key = ""

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
    # Moves whenever the selection changes other than as a box was just ticked (cleared, or
    # a tick refused): boxes that tick in the browser before the server answers
    # (components/records.quick_select_cell) start again from `selected_ids` then.
    selection_epoch: int = 0

    @rx.event
    def toggle_selected(self, row_id: int):
        # Only ids shown on this page can be selected; the services re-check ownership anyway.
        if not any(row.id == row_id for row in self.rows):
            self.selection_epoch += 1
            return
        if row_id in self.selected_ids:
            self.selected_ids = [i for i in self.selected_ids if i != row_id]
        elif len(self.selected_ids) < self.MAX_SELECTED:
            self.selected_ids = [*self.selected_ids, row_id]
        else:
            self.selection_epoch += 1

    @rx.event
    def clear_selection(self):
        # Nothing ticked (every list load and page turn clears): nothing to send, and the
        # rows' boxes stay mounted (the epoch is in their key).
        if not self.selected_ids:
            return
        self.selected_ids = []
        self.selection_epoch += 1


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

    # The page's filters (its `set_status` checks against the same keys).
    FILTER_KEYS: ClassVar[tuple[str, ...]] = ("all",)

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

    def _filter_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.status != "all":
            params["status"] = self.status
        if self.search:
            params["q"] = self.search
        if self.sort != "date":
            params["sort"] = self.sort
        if not self.descending:
            params["dir"] = "asc"
        return params

    def _read_filter_params(self, params: Mapping[str, str]) -> None:
        status = params.get("status", "")
        self.status = status if status in self.FILTER_KEYS else "all"
        self.search = params.get("q", "").strip()[: self.MAX_SEARCH]
        sort = params.get("sort", "")
        self.sort = sort if sort in self.SORT_LABELS else "date"
        self.descending = params.get("dir", "") != "asc"

    @rx.event
    def apply_search(self, form_data: dict):
        search = str(form_data.get("search", "")).strip()[: self.MAX_SEARCH]

        def change() -> None:
            self.search = search
            self._start_over()

        return self._changed(change)

    @rx.event
    def set_sort(self, sort: str):
        def change() -> None:
            self.sort = sort if sort in self.SORT_LABELS else "date"
            self._start_over()

        return self._changed(change)

    @rx.event
    def toggle_direction(self):
        def change() -> None:
            self.descending = not self.descending
            self._start_over()

        return self._changed(change)


def range_label(*, rows: int, page: int, page_size: int, total: int, capped: bool, more: bool):
    """'1–25 of 130' for a page of a server-paged list ('' when the page is empty), in the
    language of the event."""
    if not rows:
        return ""
    first = (page - 1) * page_size + 1
    last = first + rows - 1
    language = i18n.current_language()
    if page == 1 and not more:
        shown = str(total)
    else:
        shown = format_decimal(max(total, last), locale=language) + ("+" if capped else "")
    # The page's language (the event's, set by the shell's session check).
    return i18n.gettext("%(first)s–%(last)s of %(total)s") % {
        "first": first,
        "last": last,
        "total": shown,
    }
