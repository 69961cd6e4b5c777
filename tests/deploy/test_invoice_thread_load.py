"""The invoice page's question thread comes with the page's own load (issue 23): in the same
update as the invoice, before `is_hydrated`, so the page renders its content once, without the
thread section's own `show` event and a render of its own after it mounts. The quote page still
asks for its thread when the section mounts (components/document_thread.py)."""

from __future__ import annotations

import asyncio

from tests.deploy.conftest import PASSWORD, Account, Worker
from tests.deploy.test_page_load import _first_update_index, _navigate_and_settle
from tests.deploy.test_two_workers import _invoices_loaded
from tests.helpers.reflex_protocol import INVOICE_DETAIL, PORTAL, ROOT, Tab, sign_in
from tests.helpers.reflex_protocol import INVOICES as INVOICES_STATE

THREAD = f"{PORTAL}.portal_app___state___document_thread____document_thread_state"


def test_the_thread_arrives_with_the_invoice_before_the_page_is_hydrated(
    start_worker, account: Account
):
    worker: Worker = start_worker()

    async def scenario():
        tab = Tab(worker.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        await tab.wait_hydrated()
        # The second row too: the thread follows the invoice from one page to the next.
        results = []
        for row in tab.var(INVOICES_STATE, "rows")[:2]:
            invoice_id = row["id"]
            since = await _navigate_and_settle(
                tab,
                f"/client/invoices/{invoice_id}",
                lambda t, i=invoice_id: (t.var(INVOICE_DETAIL, "invoice") or {}).get("id") == i,
            )
            results.append(
                (
                    invoice_id,
                    _first_update_index(tab, since, INVOICE_DETAIL, "invoice"),
                    _first_update_index(tab, since, THREAD, "thread"),
                    _first_update_index(tab, since, ROOT, "is_hydrated", True),
                    tab.var(THREAD, "thread"),
                )
            )
        await tab.close()
        return results

    results = asyncio.run(scenario())
    assert len(results) == 2
    for invoice_id, invoice_at, thread_at, hydrated_at, thread in results:
        assert thread_at == invoice_at < hydrated_at
        assert thread["document_type"] == "invoice"
        assert thread["document_id"] == invoice_id
        assert thread["may_dispute"] is True
    assert worker.proc.poll() is None


def test_an_invoice_not_found_shows_no_thread_of_the_one_before(start_worker, account: Account):
    worker: Worker = start_worker()

    async def scenario():
        tab = Tab(worker.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        await tab.wait_hydrated()
        invoice_id = tab.var(INVOICES_STATE, "rows")[0]["id"]
        await _navigate_and_settle(
            tab,
            f"/client/invoices/{invoice_id}",
            lambda t: (t.var(INVOICE_DETAIL, "invoice") or {}).get("id") == invoice_id,
        )
        shown = tab.var(THREAD, "thread")
        await _navigate_and_settle(
            tab, "/client/invoices/999999999", lambda t: t.var(INVOICE_DETAIL, "not_found") is True
        )
        after = tab.var(THREAD, "thread")
        await tab.close()
        return invoice_id, shown, after

    invoice_id, shown, after = asyncio.run(scenario())
    assert shown["document_id"] == invoice_id
    assert after is None
