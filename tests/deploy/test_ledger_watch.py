"""A payment that lands elsewhere shows in an open tab without a reload, on the page the tab
is on (an invoice, then the list), pushed by the worker's ledger poll."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import text

from tests.deploy.conftest import PASSWORD, Account, Worker
from tests.deploy.test_two_workers import _event_lines, _invoices_loaded
from tests.helpers.reflex_protocol import INVOICE_DETAIL, Tab, sign_in
from tests.helpers.reflex_protocol import INVOICES as INVOICES_STATE

WATCH_WAIT = 15  # seconds: a poll every 3 s, plus a busy machine


def _pay_elsewhere(db_engine, invoice_id: int) -> None:
    """What a webhook does to the invoice, committed by another process."""
    with db_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE invoice SET status = 'paid', paid_to_date_minor = amount_minor, "
                "balance_minor = 0, updated_at = now() WHERE id = :id"
            ),
            {"id": invoice_id},
        )


def _unpaid_rows(tab: Tab) -> list[dict]:
    return [r for r in tab.var(INVOICES_STATE, "rows", []) if r["status_label"] != "Paid"]


def _row(tab: Tab, invoice_id: int) -> dict:
    return next(r for r in tab.var(INVOICES_STATE, "rows", []) if r["id"] == invoice_id)


def _events_once_refreshed(worker: Worker, *, count: int) -> list[tuple[str, str]]:
    """The worker's (event, outcome) lines once `count` refreshes are logged (or 10 s passed).

    An event's line is written when its task ends, after its last update reached the tab, so
    the tab can see a refresh's rows before the worker has logged it."""
    deadline = time.monotonic() + 10
    while True:
        events = [(e["event"], e["outcome"]) for e in _event_lines(worker.log())]
        done = sum(1 for name, _ in events if name.endswith(".refresh"))
        if done >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


def test_a_payment_elsewhere_refreshes_the_page_the_tab_is_on(
    start_worker, account: Account, db_engine
):
    worker: Worker = start_worker()

    async def scenario() -> str:
        tab = Tab(worker.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        first, second = (row["id"] for row in _unpaid_rows(tab)[:2])

        await tab.navigate(f"/client/invoices/{first}")
        await tab.wait_for(lambda t: (t.var(INVOICE_DETAIL, "invoice") or {}).get("id") == first)
        assert tab.var(INVOICE_DETAIL, "invoice")["status_label"] != "Paid"
        await asyncio.to_thread(_pay_elsewhere, db_engine, first)
        await tab.wait_for(
            lambda t: t.var(INVOICE_DETAIL, "invoice")["status_label"] == "Paid",
            "invoice shown paid",
            timeout=WATCH_WAIT,
        )

        await tab.navigate("/client/invoices")
        # The list loads afresh (its rows from before the payment are replaced).
        await tab.wait_for(lambda t: _row(t, first)["status_label"] == "Paid", "list reloaded")
        await asyncio.to_thread(_pay_elsewhere, db_engine, second)
        await tab.wait_for(
            lambda t: _row(t, second)["status_label"] == "Paid",
            "list row shown paid",
            timeout=WATCH_WAIT,
        )
        token = tab.token
        await tab.close()
        return token

    asyncio.run(scenario())
    # One refresh per payment, each for the page the tab was on; no background events.
    events = _events_once_refreshed(worker, count=2)
    refreshes = [event for event in events if event[0].endswith(".refresh")]
    assert refreshes == [
        ("invoice_detail_state.refresh", "ok"),
        ("invoices_state.refresh", "ok"),
    ]
    assert not any(name.endswith(".watch") for name, _ in events)
