"""PostgreSQL or Redis unreachable for a moment, behind a TCP proxy the test cuts (the machine's
real servers keep running): the portal answers with a clear message during the gap, /api/health
reports the outage with 503, the worker keeps running (no crash loop), and once the service is
back the portal recovers by itself with nothing committed lost."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from portal_app.backend_errors import UNAVAILABLE_MESSAGE
from tests.deploy.conftest import INVOICES, PASSWORD, REDIS_URL, Account, Worker
from tests.helpers.reflex_protocol import INVOICES as INVOICES_STATE
from tests.helpers.reflex_protocol import LOGIN, Tab, bind, sign_in
from tests.helpers.tcp_proxy import TcpProxy

GAP_WAIT = 15  # seconds allowed for health to notice a cut or a recovery


def _via(url: str, port: int) -> str:
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (f"{userinfo}@" if userinfo else "") + f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def pg_proxy():
    with TcpProxy("127.0.0.1", 5432) as proxy:
        yield proxy


@pytest.fixture
def redis_proxy():
    with TcpProxy("127.0.0.1", 6379) as proxy:
        yield proxy


@pytest.fixture
def worker(start_worker, database_url, pg_proxy, redis_proxy) -> Worker:
    """A worker whose database and Redis connections both go through the proxies."""
    return start_worker(
        database_url=_via(database_url, pg_proxy.port),
        redis_url=_via(REDIS_URL, redis_proxy.port),
    )


def _health(worker: Worker) -> tuple[int, dict]:
    response = httpx.get(f"{worker.base_url}/api/health", timeout=10)
    return response.status_code, response.json()


def _wait_health(worker: Worker, status: int) -> dict:
    deadline = time.monotonic() + GAP_WAIT
    while True:
        code, body = _health(worker)
        if code == status or time.monotonic() > deadline:
            assert code == status, body
            return body
        time.sleep(0.3)


def _told_unavailable(tab: Tab, since: int) -> bool:
    return any(UNAVAILABLE_MESSAGE in json.dumps(e) for e in tab.frontend_events[since:])


def _page(tab: Tab):
    return tab.var(INVOICES_STATE, "page")


async def _invoices_loaded(tab: Tab) -> None:
    await tab.wait_for(
        lambda t: t.var(INVOICES_STATE, "loading") is False and t.var(INVOICES_STATE, "rows"),
        "invoice rows",
    )


def _alive(worker: Worker) -> bool:
    return worker.proc.poll() is None and httpx.get(f"{worker.base_url}/ping").status_code == 200


def _spawns(worker: Worker) -> int:
    return worker.log().count("Spawning worker")


def test_database_gap(worker: Worker, pg_proxy: TcpProxy, account: Account, db_engine):
    assert _health(worker) == (200, {"status": "ok", "database": "ok", "redis": "ok"})

    async def scenario():
        tab = Tab(worker.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)
        assert tab.var(INVOICES_STATE, "total") == INVOICES

        await asyncio.to_thread(pg_proxy.cut)
        body = await asyncio.to_thread(_wait_health, worker, 503)
        assert body == {"status": "degraded", "database": "unreachable", "redis": "ok"}

        # An event that needs the database: a plain message, the page keeps what it showed.
        since = len(tab.frontend_events)
        await tab.send(f"{INVOICES_STATE}.next_page")
        await tab.wait_for(lambda t: _told_unavailable(t, since), "unavailable message")
        assert _page(tab) == 1
        # A new visit during the gap: the same message, no stack trace, no redirect loop.
        visitor = Tab(worker.base_url)
        visitor.cookies = dict(tab.cookies)
        await visitor.open("/client/invoices")
        await visitor.wait_for(lambda t: _told_unavailable(t, 0), "unavailable on load")
        # The failed page load still ends the navigation: no page stuck loading.
        await visitor.wait_hydrated()
        # Signing in during the gap: the message, and the form is usable again afterwards.
        other = Tab(worker.base_url)
        await bind(other)
        await other.open("/client/login")
        await other.wait_hydrated()
        await other.send(
            f"{LOGIN}.submit", {"form_data": {"email": account.email, "password": PASSWORD}}
        )
        await other.wait_for(lambda t: _told_unavailable(t, 0), "unavailable on sign-in")
        await other.wait_for(lambda t: t.var(LOGIN, "submitting") is False, "form usable")
        assert await asyncio.to_thread(_alive, worker)

        await asyncio.to_thread(pg_proxy.restore)
        body = await asyncio.to_thread(_wait_health, worker, 200)
        assert body["database"] == "ok"
        # Recovered by itself: the same tab carries on, on the same worker process.
        await tab.send(f"{INVOICES_STATE}.next_page")
        await tab.wait_for(lambda t: _page(t) == 2, "page 2 after the gap")
        await _invoices_loaded(tab)
        for each in (tab, visitor, other):
            await each.close()

    spawned = _spawns(worker)
    asyncio.run(scenario())
    assert _spawns(worker) == spawned  # no worker restart
    with db_engine.connect() as conn:
        from sqlalchemy import text

        count = conn.execute(
            text("SELECT count(*) FROM invoice WHERE client_id = :c"), {"c": account.client_id}
        ).scalar_one()
    assert count == INVOICES
    outage_lines = [
        json.loads(line)
        for line in worker.log().splitlines()
        if line.startswith("{") and '"service unavailable' in line
    ]
    assert outage_lines and all(line["request_id"] for line in outage_lines)
    assert "Traceback" not in worker.log()


def test_redis_gap(worker: Worker, redis_proxy: TcpProxy, account: Account):
    async def scenario():
        tab = Tab(worker.base_url)
        await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
        await _invoices_loaded(tab)

        await asyncio.to_thread(redis_proxy.cut)
        body = await asyncio.to_thread(_wait_health, worker, 503)
        assert body == {"status": "degraded", "database": "ok", "redis": "unreachable"}

        since = len(tab.frontend_events)
        await tab.send(f"{INVOICES_STATE}.next_page")
        await tab.wait_for(lambda t: _told_unavailable(t, since), "unavailable message")
        # A new tab during the gap connects and is told the same.
        visitor = Tab(worker.base_url)
        visitor.cookies = dict(tab.cookies)
        await visitor.open("/client/invoices")
        await visitor.wait_for(lambda t: _told_unavailable(t, 0), "unavailable on load")
        # The worker stays up through the gap: no crash, no restart.
        await asyncio.sleep(3)
        assert await asyncio.to_thread(_alive, worker)

        await asyncio.to_thread(redis_proxy.restore)
        await asyncio.to_thread(_wait_health, worker, 200)
        # Recovered by itself. (Reflex sends a handler's changes before it saves the state, so
        # what the tab saw just before the cut may not have reached Redis: filter afresh.)
        await tab.send(f"{INVOICES_STATE}.set_status", {"status": "paid"})
        await tab.wait_for(
            lambda t: (
                t.var(INVOICES_STATE, "status") == "paid"
                and t.var(INVOICES_STATE, "total") == INVOICES // 3
            ),
            "paid invoices after the gap",
        )
        for each in (tab, visitor):
            await each.close()

    spawned = _spawns(worker)
    asyncio.run(scenario())
    assert _spawns(worker) == spawned


def test_a_worker_starts_while_redis_is_down(start_worker, database_url, redis_proxy: TcpProxy):
    """A (re)started worker must not crash-loop on a Redis outage: it comes up, reports the
    outage, and recovers by itself when Redis is back."""
    redis_proxy.cut()
    worker = start_worker(redis_url=_via(REDIS_URL, redis_proxy.port))
    assert _health(worker) == (
        503,
        {"status": "degraded", "database": "ok", "redis": "unreachable"},
    )
    redis_proxy.restore()
    assert _wait_health(worker, 200)["redis"] == "ok"
    assert _alive(worker)
    assert _spawns(worker) == 1
