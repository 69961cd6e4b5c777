"""What the backend keeps between events never outlives the truth (issue 25): a session
signed out through one worker is refused on the very next event of a tab on another worker
(services/identity/session_cache.py), and "Pay all due", not recomputed while the ledger is
unchanged, shows a payment made elsewhere on the next list load (pages/client/invoices.py)."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text

from tests.deploy.conftest import PASSWORD, Account, Worker
from tests.deploy.test_two_workers import _invoices_loaded
from tests.helpers.reflex_protocol import INVOICES as INVOICES_STATE
from tests.helpers.reflex_protocol import SESSION_COOKIE, Tab, sign_in


def test_sign_out_on_one_worker_refuses_the_other_tabs_next_event(start_worker, account: Account):
    first: Worker = start_worker()
    second: Worker = start_worker()

    async def scenario() -> str:
        tab = Tab(first.base_url)
        cookie = await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        # A second tab of the same browser, served by the other worker: its session check is
        # kept there after a few events.
        other = Tab(second.base_url)
        other.cookies[SESSION_COOKIE] = cookie
        await other.open("/client/invoices")
        await _invoices_loaded(other)
        await other.send(f"{INVOICES_STATE}.next_page")
        await other.wait_for(lambda t: t.var(INVOICES_STATE, "page") == 2, "page 2")

        async with httpx.AsyncClient(base_url=first.base_url) as http:
            response = await http.post(
                "/api/auth/logout",
                headers={"origin": first.base_url, "cookie": f"{SESSION_COOKIE}={cookie}"},
            )
        assert response.status_code in (302, 303), response.status_code

        since = len(other.frontend_events)
        await other.send(f"{INVOICES_STATE}.previous_page")
        await other.wait_for(
            lambda t: any(
                str((e.get("payload") or {}).get("path", "")).startswith("/client/login")
                for e in t.frontend_events[since:]
                if e.get("name") == "_redirect"
            ),
            "sent to sign in",
        )
        await tab.close()
        await other.close()

    asyncio.run(scenario())  # the tab's next event sent it to sign in


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


def _groups(tab: Tab) -> list[tuple[str, int, str]]:
    return [(g["currency"], g["count"], g["total"]) for g in tab.var(INVOICES_STATE, "pay_groups")]


def test_pay_all_due_shows_a_payment_elsewhere_on_the_next_list_load(
    start_worker, account: Account, db_engine
):
    worker: Worker = start_worker()

    async def scenario():
        tab = Tab(worker.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        before = _groups(tab)
        unpaid = [r["id"] for r in tab.var(INVOICES_STATE, "rows") if r["is_payable"]]

        # Unchanged ledger: the list loads again with the same groups.
        await tab.navigate(f"/client/invoices/{unpaid[0]}")
        since = len(tab.history)
        await tab.navigate("/client/invoices")
        await tab.wait_update(INVOICES_STATE, "rows", since)
        unchanged = _groups(tab)

        # Paid elsewhere while the tab is on an invoice (the list is not watched then): the
        # next list load shows the new total.
        await tab.navigate(f"/client/invoices/{unpaid[1]}")
        await asyncio.to_thread(_pay_elsewhere, db_engine, unpaid[0])
        since = len(tab.history)
        await tab.navigate("/client/invoices")
        await tab.wait_update(INVOICES_STATE, "rows", since)
        after = _groups(tab)
        await tab.close()
        return before, unchanged, after

    before, unchanged, after = asyncio.run(scenario())
    assert before and unchanged == before
    assert sum(count for _, count, _ in after) == sum(count for _, count, _ in before) - 1
    assert after != before
