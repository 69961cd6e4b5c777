"""Two backend workers sharing Redis and one PostgreSQL database, as scripts/prod.sh runs them
(PORTAL_WORKERS > 1): a tab signed in through one worker keeps its session and its Reflex state
when its events go to the other, and losing a worker (SIGKILL) loses nothing committed."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import text

from portal_app.reflex_ext.event_log import tab_hint
from tests.deploy.conftest import INVOICES, PASSWORD, Account, Worker, wait_unlinked
from tests.helpers.reflex_protocol import INVOICE_DETAIL, PORTAL, SESSION_COOKIE, Tab, sign_in
from tests.helpers.reflex_protocol import INVOICES as INVOICES_STATE


def _page(tab: Tab) -> int | None:
    return tab.var(INVOICES_STATE, "page")


def _pushed_paths(tab: Tab) -> list[str]:
    """The paths the server sent the tab to (`_redirect` events), oldest first."""
    return [
        str((e.get("payload") or {}).get("path", ""))
        for e in tab.frontend_events
        if e.get("name") == "_redirect"
    ]


def _numbers(tab: Tab) -> list[str]:
    return [row["number"] for row in tab.var(INVOICES_STATE, "rows", [])]


async def _invoices_loaded(tab: Tab) -> None:
    await tab.wait_for(
        lambda t: t.var(INVOICES_STATE, "loading") is False and _numbers(t), "invoice rows"
    )


def _event_lines(log: str) -> list[dict]:
    lines = []
    for raw in log.splitlines():
        if raw.startswith("{"):
            entry = json.loads(raw)
            if entry.get("logger") == "portal_app.events":
                lines.append(entry)
    return lines


@pytest.fixture(scope="module")
def pair(start_worker) -> tuple[Worker, Worker]:
    """Two workers on their own ports sharing Redis and the database, kept for the module."""
    return start_worker(), start_worker()


def test_a_tab_moves_between_workers_with_its_session_and_state(pair, account: Account):
    first, second = pair

    async def scenario():
        tab = Tab(first.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        assert tab.var(PORTAL, "signed_in") is True
        assert tab.var(INVOICES_STATE, "total") == INVOICES
        # State worth keeping, made on the first worker: a filter, a sort and page 2.
        await tab.send(f"{INVOICES_STATE}.set_sort", {"sort": "number"})
        await tab.wait_for(lambda t: _numbers(t)[:1] == [f"{_prefix(account)}-060"], "sorted")
        await tab.send(f"{INVOICES_STATE}.set_status", {"status": "unpaid"})
        await tab.wait_for(lambda t: t.var(INVOICES_STATE, "status") == "unpaid", "filtered")
        await tab.send(f"{INVOICES_STATE}.next_page")
        await tab.wait_for(lambda t: _page(t) == 2, "page 2")
        page_two = _numbers(tab)

        # 1. The socket drops and the browser reconnects to the other worker (same tab token,
        #    same cookie): its hydrate snapshot is the state the first worker left in Redis.
        # The browser shows the list's state in its URL (issue 18 item 11): the last path the
        # server pushed.
        await tab.wait_for(lambda t: "page=2" in (_pushed_paths(t) or [""])[-1], "URL pushed")
        shown = _pushed_paths(tab)[-1]
        assert "status=unpaid" in shown and "sort=number" in shown
        tab.state.clear()
        await tab.close()
        await wait_unlinked(tab.token)
        await tab.open(shown, base_url=second.base_url)
        snapshot = await tab.snapshot()
        assert snapshot[INVOICES_STATE]["page"] == 2
        assert [row["number"] for row in snapshot[INVOICES_STATE]["rows"]] == page_two
        assert snapshot[PORTAL]["contact_name"] == "Dana Deploy"
        # Then its on_load runs on the second worker with the session cookie: still signed in,
        # and the filter, sort and page of the URL are the list's.
        since = len(tab.frontend_events)
        await tab.wait_for(lambda t: t.var(PORTAL, "signed_in") is True, "signed in")
        await _invoices_loaded(tab)
        assert _page(tab) == 2
        assert tab.var(INVOICES_STATE, "status") == "unpaid"
        assert tab.var(INVOICES_STATE, "sort") == "number"
        assert tab.var(INVOICES_STATE, "total") == 40  # every third invoice is paid
        assert _numbers(tab) == page_two
        assert not any(e.get("name") == "_redirect" for e in tab.frontend_events[since:])

        # 2. Events alternate between the workers without a rehydrate (sockets linked only).
        for worker, page in ((first, 1), (second, 2), (first, 1)):
            await tab.close()
            await wait_unlinked(tab.token)
            await tab.open("/client/invoices", base_url=worker.base_url, hydrate=False)
            step = "next_page" if page == 2 else "previous_page"
            await tab.send(f"{INVOICES_STATE}.{step}")
            await tab.wait_for(lambda t, page=page: _page(t) == page, f"page {page}")
        await tab.close()

    asyncio.run(scenario())

    # Both workers logged the tab's events, each with its own event id, and no password.
    for worker in (first, second):
        lines = _event_lines(worker.log())
        assert lines, "no event lines"
        assert all(len(line["request_id"]) == 12 for line in lines)
        assert PASSWORD not in worker.log()
    submit = [ln for ln in _event_lines(first.log()) if ln["event"] == "login_state.submit"]
    assert submit and submit[0]["outcome"] == "ok"
    assert {ln["event"] for ln in _event_lines(second.log())} >= {"invoices_state.next_page"}


def test_losing_a_worker_loses_no_committed_data(pair, start_worker, account: Account, db_engine):
    """SIGKILL a worker with two tabs of one client on it.

    The tab whose socket had closed before the loss comes back on the survivor with its whole
    Reflex state (it lives in Redis, not in the worker). The tab still connected when the
    worker died cannot keep its Reflex token: the dead worker never unlinked it in Redis, so
    the survivor gives the tab a fresh token (Reflex's duplicate-tab rule) and a fresh page
    state, but the tab stays signed in (the session is the cookie and its database row) and
    its page reloads. Nothing committed through the lost worker is lost.
    """
    survivor, doomed = pair[1], start_worker()

    def counts() -> tuple[int, int, int]:
        with db_engine.connect() as conn:
            rows = _session_rows(conn, account), _audit_rows(conn, account)
            return (*rows, _invoices(conn, account))

    async def on_page_two(tab: Tab) -> None:
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        await tab.send(f"{INVOICES_STATE}.next_page")
        await tab.wait_for(lambda t: _page(t) == 2, "page 2")

    async def scenario():
        idle, live = Tab(doomed.base_url), Tab(doomed.base_url)
        await on_page_two(idle)
        await on_page_two(live)
        await idle.close()
        await wait_unlinked(idle.token)
        sessions, audit, invoices = counts()
        assert sessions >= 2 and audit >= 2 and invoices == INVOICES

        await asyncio.to_thread(doomed.kill)  # mid-session, no graceful shutdown
        await live.close()

        # The idle tab reconnects to the survivor: same token, the state the lost worker wrote.
        await idle.open("/client/invoices", base_url=survivor.base_url)
        snapshot = await idle.snapshot()
        assert snapshot[INVOICES_STATE]["page"] == 2
        assert snapshot[PORTAL]["signed_in"] is True
        assert not idle.replaced_tokens

        # The live tab reconnects too: a new token and state, still signed in, data reloaded.
        await live.open("/client/invoices", base_url=survivor.base_url)
        await live.wait_for(lambda t: t.replaced_tokens, "a fresh token")
        await live.wait_for(lambda t: t.var(PORTAL, "signed_in") is True, "signed in")
        await _invoices_loaded(live)
        assert live.var(INVOICES_STATE, "total") == INVOICES
        # Never sent to sign in (the list's own URL pushes are not that).
        assert not [p for p in _pushed_paths(live) if p.startswith("/client/login")]

        # Signing in again through the survivor works and commits one more session.
        other = Tab(survivor.base_url)
        cookie = await sign_in(other, account.email, PASSWORD, next_path="/client/invoices")
        assert cookie not in (idle.cookies[SESSION_COOKIE], live.cookies[SESSION_COOKIE])
        await _invoices_loaded(other)
        for tab in (idle, live, other):
            await tab.close()
        # Everything committed through the lost worker is still there.
        after = counts()
        assert after[0] == sessions + 1
        assert after[1] >= audit
        assert after[2] == invoices

    asyncio.run(scenario())


def _prefix(account: Account) -> str:
    return "D" + account.email.split("-", 1)[1].split("@", 1)[0]


def _session_rows(conn, account: Account) -> int:
    return conn.execute(
        text("SELECT count(*) FROM auth_session WHERE contact_id = :c AND revoked_at IS NULL"),
        {"c": account.contact_id},
    ).scalar_one()


def _audit_rows(conn, account: Account) -> int:
    return conn.execute(
        text("SELECT count(*) FROM audit_event WHERE company_id = :c"), {"c": account.company_id}
    ).scalar_one()


def _invoices(conn, account: Account) -> int:
    return conn.execute(
        text("SELECT count(*) FROM invoice WHERE client_id = :c"), {"c": account.client_id}
    ).scalar_one()


def test_quick_page_changes_never_stall_on_a_stale_lock(pair, account: Account):
    """Going back to the list as soon as an invoice shows cancels the rest of the detail
    page's on_load chain; that must not leave the tab's Redis lock behind (10 s stalls, see
    portal_app/reflex_ext/redis_lock_fix.py)."""
    worker = pair[0]

    async def scenario() -> list[float]:
        tab = Tab(worker.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        took = []
        for invoice_id in account.invoice_ids[:10]:
            for path, state, var in (
                (f"/client/invoices/{invoice_id}", INVOICE_DETAIL, "invoice"),
                ("/client/invoices", INVOICES_STATE, "rows"),
            ):
                since, started = len(tab.history), time.perf_counter()
                await tab.navigate(path)
                await tab.wait_update(state, var, since)
                took.append(time.perf_counter() - started)
        await tab.close()
        return took

    took = asyncio.run(scenario())
    # A leaked lock costs its full 10 s expiry; a busy CI machine stays well below 8 s.
    assert max(took) < 8, sorted(took)[-3:]


def test_one_port_with_two_granian_processes(start_worker, account: Account):
    """The production layout (scripts/prod.sh, PORTAL_WORKERS=2): one port, two worker
    processes taking connections as they come. A tab reconnecting lands on either process and
    finds its state every time, and both processes serve it."""
    server = start_worker(processes=2)

    def pids_serving(token_hint: str) -> set[int]:
        return {line["pid"] for line in _event_lines(server.log()) if line.get("tab") == token_hint}

    async def scenario() -> set[int]:
        tab = Tab(server.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        await tab.send(f"{INVOICES_STATE}.next_page")
        await tab.wait_for(lambda t: _page(t) == 2, "page 2")
        hint = tab_hint(tab.token)
        for _ in range(40):
            await tab.close()
            await wait_unlinked(tab.token)
            await tab.open("/client/invoices")
            snapshot = await tab.snapshot()
            assert snapshot[INVOICES_STATE]["page"] == 2
            assert not tab.replaced_tokens
            await tab.wait_for(lambda t: _page(t) == 1, "list reloaded")
            await tab.send(f"{INVOICES_STATE}.next_page")
            await tab.wait_for(lambda t: _page(t) == 2, "page 2")
            await asyncio.sleep(0.05)
            if len(pids_serving(hint)) > 1:
                break
        await tab.close()
        return pids_serving(hint)

    assert len(asyncio.run(scenario())) == 2
