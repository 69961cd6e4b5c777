from portal_app.models.company import ALL_MODULES
from portal_app.state.nav import NAV_ITEMS, NavItem, register_nav_item, visible_nav_items


def test_only_enabled_and_built_modules_are_listed():
    routes = [item.route for item in visible_nav_items(list(ALL_MODULES))]
    assert routes[0] == "/client/dashboard"
    assert "/client/invoices" in routes
    # Modules that are enabled but not built yet never appear, not even as stubs.
    assert "/client/quotes" in routes and "/client/statement" in routes


def test_disabled_module_is_hidden():
    shown = visible_nav_items([])
    # Only the entries of no module (dashboard, activity, profile) are left.
    assert shown[0].route == "/client/dashboard" and "/client/activity" in [i.route for i in shown]
    assert all(item.module is None for item in shown)
    assert "/client/invoices" not in [item.route for item in shown]


def test_register_nav_item_adds_once():
    before = len(NAV_ITEMS)
    item = NavItem("Extra", "/client/test-extra-nav", "hash")
    try:
        register_nav_item(item)
        register_nav_item(item)
        assert len(NAV_ITEMS) == before + 1
        assert item in visible_nav_items([])
    finally:
        NAV_ITEMS.remove(item)
