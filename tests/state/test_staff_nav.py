from portal_app.models.company import ALL_MODULES
from portal_app.services.console.work_queue import KINDS
from portal_app.state.staff_nav import (
    QUEUE_KINDS,
    STAFF_NAV_ITEMS,
    nav_counts,
    visible_staff_nav_items,
)

ALWAYS = ["/staff", "/staff/clients", "/staff/settings", "/staff/outbox", "/staff/audit"]


def _routes(modules) -> list[str]:
    return [item.route for item in visible_staff_nav_items(list(modules))]


def test_all_modules_on_lists_every_entry_in_order():
    assert _routes(ALL_MODULES) == [item.route for item in STAFF_NAV_ITEMS]


def test_all_modules_off_leaves_only_the_console_itself():
    assert _routes([]) == ALWAYS


def test_each_switched_off_module_hides_only_its_entries():
    for item in STAFF_NAV_ITEMS:
        if item.module is None:
            continue
        rest = [m for m in ALL_MODULES if m != item.module]
        routes = _routes(rest)
        assert item.route not in routes
        # "subscriptions" has two entries (Plans, Subscriptions); every other module one.
        same = [other for other in STAFF_NAV_ITEMS if other.module == item.module]
        assert len(routes) == len(STAFF_NAV_ITEMS) - len(same)


def test_plans_and_subscriptions_follow_the_subscriptions_module():
    routes = _routes([m for m in ALL_MODULES if m != "subscriptions"])
    assert not {"/staff/plans", "/staff/subscriptions"} & set(routes)
    assert {"/staff/plans", "/staff/subscriptions"} <= set(_routes(["subscriptions"]))


def test_quotes_credits_payments_follow_their_modules():
    routes = _routes(["invoices"])
    assert "/staff/invoices" in routes
    assert not {"/staff/quotes", "/staff/credits", "/staff/payments"} & set(routes)


def test_unknown_module_names_show_nothing_extra():
    assert _routes(["bogus", "", "quotes,credits"]) == ALWAYS


def test_every_module_named_is_a_real_module():
    assert {item.module for item in STAFF_NAV_ITEMS if item.module} <= set(ALL_MODULES)


def test_queue_kinds_are_the_work_queues_and_each_has_one_entry_besides_home():
    assert QUEUE_KINDS == KINDS
    for kind in KINDS:
        owners = [item.route for item in STAFF_NAV_ITEMS if kind in item.queue]
        assert owners[0] == "/staff" and len(owners) == 2


def test_nav_counts_sum_an_entrys_kinds_and_leave_out_zero():
    counts = dict.fromkeys(KINDS, 0) | {"unapplied_payment": 2, "client_upload": 1}
    badges = nav_counts(visible_staff_nav_items(list(ALL_MODULES)), counts)
    assert badges == {"/staff": 3, "/staff/payments": 2, "/staff/clients": 1}
    # A switched-off module's entry has no badge; home still counts everything.
    assert nav_counts(visible_staff_nav_items([]), counts) == {"/staff": 3, "/staff/clients": 1}
