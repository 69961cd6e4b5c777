"""The list's state in the URL (state/paged_list.py, issue 18 item 11): what a URL's query
parameters set, defaults for anything invalid, the URL a state writes back, and which page
keys say where a page starts. The helpers run as the page states' own functions on router
data built by Reflex's own code."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from reflex.istate.data import RouterData

from portal_app.pages.client.credits import CreditsState
from portal_app.pages.client.invoices import InvoicesState
from portal_app.pages.client.quotes import QuotesState
from portal_app.state.paged_list import PagedListMixin, SortedSearchMixin

HELPERS = (
    "_read_url",
    "_read_params",
    "_changed",
    "_load_changed",
    "_event_scope",
    "_go_to_last",
    "_shows_pushed_url",
    "_event_url_key",
    "_choose_page_size",
    "_url_params",
    "_list_url",
    "_filter_params",
    "_read_filter_params",
    "_page_position",
    "_note_page_keys",
    "_turn_page",
    "_start_over",
)
LIST_DEFAULTS = {
    "page": 1,
    "page_size": 25,
    "on_last_page": False,
    "_after_key": "",
    "_before_key": "",
    "_page_keys": {},
    "_page_keys_for": "",
    "has_next": True,
}
SORTED_DEFAULTS = {"status": "all", "search": "", "sort": "date", "descending": True}


def _state(state, url: str, **values):
    """`state`'s list helpers on an event from the page at `url` (path and query)."""
    router = RouterData.from_router_data({"headers": {}, "asPath": url})
    members = {name: getattr(state, name) for name in HELPERS if hasattr(state, name)}
    for name in (
        "FILTER_KEYS",
        "SORT_LABELS",
        "MAX_SEARCH",
        "URL_STATE",
        "HAS_LAST_PAGE",
        "READ_ONLY_EVENTS",
    ):
        if hasattr(state, name):
            members[name] = getattr(state, name)
    fields = {**LIST_DEFAULTS}
    if issubclass(state, SortedSearchMixin):
        fields.update(SORTED_DEFAULTS)
    fields.update(values)
    # Signed in unless a test says otherwise (`_begin` is the session check, state/portal.py).
    fields.setdefault("_begin", lambda db=None: object())
    fields.setdefault("_login_redirect", lambda: "to sign in")
    return type("Event", (SimpleNamespace,), members)(router=router, **fields)


def test_a_url_sets_the_whole_list():
    page = _state(
        InvoicesState,
        "/client/invoices?status=unpaid&q=INV-7&sort=amount&dir=asc&page=3&size=50",
    )
    page._read_url()
    assert (page.status, page.search, page.sort, page.descending) == (
        "unpaid",
        "INV-7",
        "amount",
        False,
    )
    assert (page.page, page.page_size, page.on_last_page) == (3, 50, False)
    assert page._list_url() == (
        "/client/invoices?status=unpaid&q=INV-7&sort=amount&dir=asc&size=50&page=3"
    )


def test_no_parameters_is_a_fresh_list_whatever_the_state_held():
    """Coming back through the navigation: the search and page of before are gone."""
    page = _state(
        InvoicesState, "/client/invoices", status="paid", search="old", page=9, descending=False
    )
    page._read_url()
    assert (page.status, page.search, page.sort, page.descending, page.page) == (
        "all",
        "",
        "date",
        True,
        1,
    )
    assert page._list_url() == "/client/invoices"


@pytest.mark.parametrize(
    "query",
    [
        "status=drafts&sort=client_id&dir=sideways&page=-2&size=7",
        "status=&sort=&page=abc&size=",
        "page=99999999999999999999&size=25.0",
        "page=0&size=1000",
        "page=%C2%B2&size=%C2%B2%C2%B2",  # superscript digits: str.isdigit says yes
        "status=paid%00&sort=amount%20",
    ],
)
def test_garbage_parameters_fall_back_to_the_defaults(query):
    page = _state(InvoicesState, f"/client/invoices?{query}")
    page._read_url()
    assert page.status in ("all",) and page.sort == "date" and page.page == 1
    assert page.page_size == 25 and not page.on_last_page


def test_a_long_search_is_cut_and_last_is_only_for_lists_that_find_it():
    page = _state(InvoicesState, "/client/invoices?q=" + "x" * 500 + "&page=last")
    page._read_url()
    assert len(page.search) == InvoicesState.MAX_SEARCH and page.on_last_page
    assert page._url_params()["page"] == "last"
    credits = _state(CreditsState, "/client/credits?page=last")
    credits._read_url()
    assert (credits.page, credits.on_last_page) == (1, False)


def test_a_page_next_to_one_seen_starts_from_its_key_and_another_list_forgets_them():
    page = _state(InvoicesState, "/client/invoices?page=4")
    page._read_url()
    assert page._page_position() == {"after": "", "before": "", "last": False}  # OFFSET
    page._note_page_keys(SimpleNamespace(first_key="f4", last_key="l4"))
    page.router = RouterData.from_router_data({"headers": {}, "asPath": "/client/invoices?page=5"})
    page._read_url()
    assert page._page_position() == {"after": "l4", "before": "", "last": False}
    page.router = RouterData.from_router_data({"headers": {}, "asPath": "/client/invoices?page=3"})
    page._read_url()
    assert page._page_position() == {"after": "", "before": "f4", "last": False}
    # Another search: the keys of the old list say nothing about this one.
    page.router = RouterData.from_router_data(
        {"headers": {}, "asPath": "/client/invoices?page=5&q=x"}
    )
    page._read_url()
    assert page._page_position() == {"after": "", "before": "", "last": False}


def test_page_keys_kept_are_the_nearest_ones():
    page = _state(PagedListMixin, "/client/payments")
    for n in range(1, 60):
        page.page = n
        page._note_page_keys(SimpleNamespace(first_key=f"f{n}", last_key=f"l{n}"))
    assert len(page._page_keys) == 40 and "59" in page._page_keys and "1" not in page._page_keys


def _list_event(url: str, **values):
    """An invoice list event at `url` whose `_reload` notes the page it was asked for."""
    page = _state(InvoicesState, url, _pushed_urls=[], **values)
    page.loaded = []

    def reload():
        page.loaded.append((page.page, dict(page._page_position())))
        page._note_page_keys(SimpleNamespace(first_key=f"f{page.page}", last_key=f"l{page.page}"))

    page._reload = reload
    return page


def _navigate(page, url: str) -> None:
    page.router = RouterData.from_router_data({"headers": {}, "asPath": url})


def test_a_change_loads_its_list_and_the_on_load_of_its_url_does_not_load_again():
    # Issue 23: "next page" pushed the URL and loaded only in the on_load it ran (two trips).
    page = _list_event("/client/invoices")
    page._read_url()
    page._reload()
    page._turn_page(1)
    pushed = page._changed()
    assert page.loaded[-1] == (2, {"after": "l1", "before": "", "last": False})
    assert pushed is not None  # the URL is still pushed: back and bookmarks keep the page
    _navigate(page, "/client/invoices/?page=2")
    assert page._shows_pushed_url()  # the on_load: the list shown is the URL's
    assert not page._shows_pushed_url()  # once: a reload of that URL loads from it


def test_back_or_another_url_after_a_change_loads_from_the_url():
    page = _list_event("/client/invoices?page=2")
    page._read_url()
    page._reload()
    page._turn_page(-1)
    page._changed()
    _navigate(page, "/client/invoices?page=3")  # not the URL the change pushed
    assert not page._shows_pushed_url()
    _navigate(page, "/client/invoices")  # and the pushed one no longer counts
    assert not page._shows_pushed_url()


def test_a_change_reads_its_parameters_back_like_the_on_load():
    # A new search in the change event itself: page 1, and the old list's keys forgotten.
    page = _list_event("/client/invoices?page=2")
    page._read_url()
    page._reload()
    page.search = "x"
    page._start_over()
    page._changed()
    assert page.loaded[-1] == (1, {"after": "", "before": "", "last": False})
    assert set(page._page_keys) == {"1"}
    # The last page: the URL says `last`, the page finds it.
    page.has_next = True
    page.on_last_page = True
    page._changed()
    assert page.loaded[-1][1]["last"] and page._url_params()["page"] == "last"


def test_the_same_list_again_loads_in_place_without_pushing():
    page = _list_event("/client/invoices?size=50")
    page._read_url()
    page._choose_page_size("50")
    assert page._changed() is None
    assert page._pushed_urls == [] and len(page.loaded) == 1


SIGNED_OUT_CHANGES = {
    "next_page": (),
    "previous_page": (),
    "last_page": (),
    "set_page_size": ("50",),
    "set_sort": ("amount",),
    "toggle_direction": (),
    "apply_search": ({"search": "INV-9"},),
    "set_status": ("paid",),
    "clear_search": (),
}


@pytest.mark.parametrize("handler", list(SIGNED_OUT_CHANGES))
def test_a_change_refused_for_a_session_signed_out_elsewhere_changes_nothing(handler):
    """Item 3 of issue 25's list work: the page number (or filter, sort) moved before the
    reload found the session gone, so the refused event still changed the list."""
    page = _list_event("/client/invoices?page=2&q=INV", has_next=True)
    page._read_url()
    page._reload()
    for name in ("_turn_page", "_choose_page_size", "_start_over"):
        setattr(page, name, getattr(InvoicesState, name).__get__(page))
    before = {name: getattr(page, name) for name in (*LIST_DEFAULTS, *SORTED_DEFAULTS)}
    page._begin = lambda db=None: None  # signed out through another tab or worker
    # Until the fix the reload only noticed after the change: it said so there.
    page._reload = lambda: page._login_redirect() if page._begin() is None else None
    redirect = getattr(InvoicesState, handler).fn(page, *SIGNED_OUT_CHANGES[handler])
    assert redirect == "to sign in"
    assert {name: getattr(page, name) for name in before} == before
    assert len(page.loaded) == 1  # nothing loaded after the first page


def test_a_quote_filter_refused_for_a_session_signed_out_elsewhere_changes_nothing():
    # The quote list's filter moved the filter, the page and the selection before the
    # session check refused the event.
    page = _state(
        QuotesState, "/client/quotes?status=approved&page=2", _pushed_urls=[], selected_ids=[3]
    )
    page._read_url()
    page._begin = lambda db=None: None  # signed out through another tab or worker
    page._reload = lambda: None
    kept = ("status", "page", "selected_ids", "_after_key", "_before_key", "on_last_page")
    before = {name: getattr(page, name) for name in kept}
    redirect = QuotesState.event_handlers["set_status"].fn(page, "pending")
    assert redirect == "to sign in"
    assert {name: getattr(page, name) for name in kept} == before


def _on_load(page) -> None:
    """The invoice list's on_load (InvoicesState.load) on the page's current URL."""
    if not page._shows_pushed_url():
        page._read_url()
        page._reload()


def test_a_change_made_before_the_url_of_the_one_before_arrived_is_kept():
    """Last page, then Previous at once: the browser's URL is still the first page's when
    Previous is sent, and the navigation to `?page=last` that Last pushed lands after it. The
    list stayed on the last page with `page=last` in the URL, not the page Previous asked for
    (as in the flaky tests/e2e/test_list_urls.py::test_last_page_and_back_from_it)."""
    page = _list_event("/client/invoices")
    page._read_url()
    page._reload()
    page._go_to_last()  # last_page
    assert page._changed() is not None  # pushes ?page=last
    page.page = 2  # the number the service found for the last page
    page._turn_page(-1)  # previous_page, from an event sent at /client/invoices
    assert page._changed() is not None  # the URL must come back from ?page=last
    assert page.loaded[-1][0] == 1
    loads = len(page.loaded)
    _navigate(page, "/client/invoices?page=last")  # Last's navigation lands
    _on_load(page)
    _navigate(page, "/client/invoices")  # then Previous's
    _on_load(page)
    assert len(page.loaded) == loads and page.page == 1 and not page.on_last_page


def test_a_change_sent_before_the_on_load_of_the_url_before_is_kept():
    """Previous sent once the URL says `page=last` but before that navigation's on_load: the
    on_load comes after Previous and must not show the last page again."""
    page = _list_event("/client/invoices")
    page._read_url()
    page._reload()
    page._go_to_last()
    page._changed()
    page.page = 2
    _navigate(page, "/client/invoices?page=last")  # the URL changes, its on_load not yet sent
    page._turn_page(-1)
    assert page._changed() is not None
    loads = len(page.loaded)
    _on_load(page)  # the on_load of ?page=last, after Previous
    assert len(page.loaded) == loads and (page.page, page.on_last_page) == (1, False)
    _navigate(page, "/client/invoices")
    _on_load(page)
    assert len(page.loaded) == loads and page._url_params() == {}
    # Later, a reload or a link to that URL loads from it again.
    _on_load(page)
    assert len(page.loaded) == loads + 1
