"""Every route constant has exactly one registered page or HTTP route, and every page and
HTTP route is a constant: a page left out of the route table fails here, not as a silent 404."""

from __future__ import annotations

from collections import Counter

from starlette.routing import Route

from portal_app.api.routes import api
from portal_app.core import routes
from portal_app.pages.route_table import PAGES


def _constants(prefix: tuple[str, ...]) -> dict[str, str]:
    return {
        name: value
        for name, value in vars(routes).items()
        if name.isupper() and isinstance(value, str) and value.startswith(prefix)
    }


def _pages_missing(pages) -> list[str]:
    registered = {page.route for page in pages}
    constants = _constants(("/client", "/staff", "/subscribe"))
    return sorted(name for name, value in constants.items() if value not in registered)


def test_every_page_constant_has_exactly_one_entry_in_the_route_table():
    assert _pages_missing(PAGES) == [], "route constants with no page"
    registered = Counter(page.route for page in PAGES)
    assert sorted(route for route, count in registered.items() if count > 1) == []


def test_a_page_left_out_of_the_table_is_named():
    left_out = next(p for p in PAGES if p.route == routes.CLIENT_STATEMENT)
    assert _pages_missing([p for p in PAGES if p is not left_out]) == ["CLIENT_STATEMENT"]


def test_every_entry_of_the_route_table_is_a_route_constant():
    values = set(_constants(("/",)).values())
    assert sorted(p.route for p in PAGES if p.route not in values) == []


def test_every_entry_has_a_callable_page_a_title_and_a_known_layout():
    for page in PAGES:
        assert callable(page.component), page.route
        assert page.title.strip(), page.route
        assert page.layout in {"portal", "public", "staff", "any"}, page.route


def test_every_api_constant_is_served_by_exactly_one_http_route_and_back():
    api_constants = _constants(("/api/",))
    paths = Counter(r.path for r in api.routes if isinstance(r, Route))
    missing = sorted(name for name, value in api_constants.items() if paths[value] == 0)
    assert missing == [], f"API route constants with no route: {missing}"
    assert sorted(p for p, n in paths.items() if n > 1) == []
    unnamed = sorted(set(paths) - set(api_constants.values()))
    assert unnamed == [], f"HTTP routes without a constant in core/routes.py: {unnamed}"


def test_the_404_page_is_registered_under_reflexs_404_route():
    from reflex.constants import Page404
    from reflex.utils.format import format_route

    entry = next(p for p in PAGES if p.route == routes.NOT_FOUND)
    assert format_route(entry.route) == Page404.SLUG
    assert entry.layout == "any"
