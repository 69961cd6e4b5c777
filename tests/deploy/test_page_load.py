"""A navigation is one event on a real worker: the page's on_load handlers run inside Reflex's
`on_load_internal` (portal_app/reflex_ext/page_load.py), the page's data arrives, then
`is_hydrated`."""

from __future__ import annotations

import asyncio

from portal_app.reflex_ext.event_log import tab_hint
from tests.deploy.conftest import PASSWORD, Account, Worker, make_account
from tests.deploy.test_two_workers import _event_lines, _invoices_loaded
from tests.helpers.reflex_protocol import INVOICE_DETAIL, ROOT, Tab, sign_in
from tests.helpers.reflex_protocol import INVOICES as INVOICES_STATE

NAVIGATION = "on_load_internal_state.on_load_internal"
QUEUED_LOADS = ("invoices_state.load", "invoice_detail_state.load", "set_is_hydrated")


def _first_update_index(tab: Tab, since: int, state: str, var: str = "", value=None) -> int:
    """Where the first update since `since` of `state` (its `var`, or any var) is in history."""
    for index, update in enumerate(tab.history[since:], start=since):
        delta = (update.get("delta") or {}).get(state) or {}
        for key, got in delta.items():
            if key.startswith(f"{var}_rx_state_" if var else "") and (
                value is None or got == value
            ):
                return index
    raise AssertionError(f"no update of {state}.{var} since {since}")


async def _lines_after_logged(worker: Worker, tab: Tab, name: str) -> int:
    """How many event lines the worker has logged once the tab's last `name` event is in.

    A line is written when its event's task ends, a moment after the tab got its update."""
    hint = tab_hint(tab.token)
    for _ in range(50):
        lines = _event_lines(worker.log())
        if lines and lines[-1]["tab"] == hint and lines[-1]["event"] == name:
            return len(lines)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {name} line logged for the tab")


async def _navigate_and_settle(tab: Tab, path: str, loaded) -> int:
    since = len(tab.history)
    await tab.navigate(path)
    await tab.wait_for(loaded, f"{path} loaded")
    await tab.wait_for(
        lambda t: any(
            (u.get("delta") or {}).get(ROOT, {}).get("is_hydrated_rx_state_") is True
            for u in t.history[since:]
        ),
        "is_hydrated",
    )
    return since


def test_a_navigation_runs_the_page_load_in_one_event_and_hydrates_after_the_data(
    start_worker, account: Account
):
    worker: Worker = start_worker()

    async def scenario() -> tuple[int, int, int, int, int]:
        tab = Tab(worker.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        await tab.wait_hydrated()  # the sign-in's own page load is over
        invoice_id = tab.var(INVOICES_STATE, "rows")[0]["id"]
        events_before = await _lines_after_logged(worker, tab, NAVIGATION)

        detail_since = await _navigate_and_settle(
            tab,
            f"/client/invoices/{invoice_id}",
            lambda t: (t.var(INVOICE_DETAIL, "invoice") or {}).get("id") == invoice_id,
        )
        detail_data = _first_update_index(tab, detail_since, INVOICE_DETAIL, "invoice")
        detail_hydrated = _first_update_index(tab, detail_since, ROOT, "is_hydrated", True)

        list_since = len(tab.history)
        await _navigate_and_settle(
            tab,
            "/client/invoices",
            # Back on the list its rows may be unchanged, so any update of the list will do.
            lambda t: any(INVOICES_STATE in (u.get("delta") or {}) for u in t.history[list_since:]),
        )
        list_data = _first_update_index(tab, list_since, INVOICES_STATE)
        list_hydrated = _first_update_index(tab, list_since, ROOT, "is_hydrated", True)
        await _lines_after_logged(worker, tab, NAVIGATION)
        await tab.close()
        return events_before, detail_data, detail_hydrated, list_data, list_hydrated

    events_before, detail_data, detail_hydrated, list_data, list_hydrated = asyncio.run(scenario())
    assert detail_data < detail_hydrated
    assert list_data < list_hydrated

    names = [line["event"] for line in _event_lines(worker.log())[events_before:]]
    assert names.count(NAVIGATION) == 2, names
    assert not [name for name in names if name.endswith(QUEUED_LOADS)], names


def test_a_signed_out_navigation_is_sent_to_sign_in_and_still_hydrates(start_worker):
    worker: Worker = start_worker()

    async def scenario() -> tuple[str, bool]:
        tab = Tab(worker.base_url)
        await tab.open("/client/login")
        await tab.wait_hydrated()
        since = len(tab.frontend_events)
        await tab.navigate("/client/invoices")
        redirect = await tab.wait_for_frontend_event("_redirect", since)
        await tab.wait_hydrated()
        rows = tab.var(INVOICES_STATE, "rows", [])
        await tab.close()
        return str((redirect.get("payload") or {}).get("path", "")), bool(rows)

    path, saw_rows = asyncio.run(scenario())
    assert path.startswith("/client/login")
    assert not saw_rows


def test_another_clients_invoice_is_not_found_and_the_page_still_hydrates(
    start_worker, account: Account, db_engine, password_hash
):
    worker: Worker = start_worker()
    other = make_account(db_engine, password_hash)

    async def scenario():
        tab = Tab(worker.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        since = await _navigate_and_settle(
            tab,
            f"/client/invoices/{other.invoice_ids[0]}",
            lambda t: t.var(INVOICE_DETAIL, "not_found") is True,
        )
        shown = [
            (u.get("delta") or {}).get(INVOICE_DETAIL, {}).get("invoice_rx_state_")
            for u in tab.history[since:]
        ]
        await tab.close()
        return shown

    shown = asyncio.run(scenario())
    assert not any(shown), "another client's invoice must never reach the tab"
