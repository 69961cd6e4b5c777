"""The worker's shared ledger poll and the per-tab page registry."""

import asyncio
from contextlib import aclosing
from datetime import timedelta

from portal_app.db import utcnow
from portal_app.services import ledger
from portal_app.state.ledger_watch import LedgerPoller, TabPages
from tests.helpers.factories import add_invoice


def _key(client):
    return (client.company_id, client.id)


def test_batched_stamps_equal_the_single_stamp_and_keep_to_the_company(make, session):
    company = make.company()
    busy, empty = make.client(company), make.client(company)
    make.invoice(busy)
    actor_busy = make.actor(make.contact(busy))
    stamps = ledger.ledger_stamps(session, clients=[_key(busy), _key(empty)])
    assert stamps[_key(busy)] == ledger.ledger_stamp(session, actor=actor_busy)
    assert stamps[_key(busy)] != stamps[_key(empty)]
    # The right client id under another company's id is nobody's ledger.
    foreign = (make.company().id, busy.id)
    assert ledger.ledger_stamps(session, clients=[foreign])[foreign] == stamps[_key(empty)]
    assert ledger.ledger_stamps(session, clients=[]) == {}


def _fetcher(session, calls):
    def fetch(keys):
        calls.append(sorted(keys))
        return ledger.ledger_stamps(session, clients=keys)

    return fetch


def test_one_poll_per_tick_serves_every_tab_and_reports_only_the_changed_client(make, session):
    company = make.company()
    paying, quiet = make.client(company), make.client(company)
    invoice = make.invoice(paying)
    make.invoice(quiet)
    calls: list = []
    poller = LedgerPoller(0.05, _fetcher(session, calls))

    async def scenario():
        tabs = [poller.changes(_key(paying)), poller.changes(_key(paying))]
        other = poller.changes(_key(quiet))
        async with aclosing(tabs[0]), aclosing(tabs[1]), aclosing(other):
            first = await asyncio.gather(*(anext(t) for t in [*tabs, other]))
            polls_before = poller.polls
            # A payment lands elsewhere.
            invoice.updated_at = utcnow() + timedelta(seconds=5)
            invoice.balance_minor = 0
            session.add(invoice)
            session.flush()
            second = await asyncio.gather(*(anext(t) for t in [*tabs, other]))
            third = await asyncio.gather(*(anext(t) for t in [*tabs, other]))
            assert poller.polls - polls_before == 2
            assert poller.subscribed == 3
        return first, second, third

    first, second, third = asyncio.run(scenario())
    assert first == [False, False, False]
    assert second == [True, True, False]
    assert third == [False, False, False]  # reported once, not on every tick after
    # Each tick asked once, for both clients together.
    batched = [keys for keys in calls if len(keys) == 2]
    assert batched and all(keys == sorted([_key(paying), _key(quiet)]) for keys in batched)
    assert poller.subscribed == 0


def test_a_failed_poll_reports_no_change_and_the_next_tick_recovers(make, session):
    client = make.client(make.company())
    invoice = make.invoice(client)
    failing = {"on": False}

    def fetch(keys):
        if failing["on"]:
            raise ConnectionError("database unreachable")
        return ledger.ledger_stamps(session, clients=keys)

    poller = LedgerPoller(0.05, fetch)

    async def scenario():
        ticks = poller.changes(_key(client))
        async with aclosing(ticks):
            seen = [await anext(ticks)]
            failing["on"] = True
            invoice.updated_at = utcnow() + timedelta(seconds=5)
            session.add(invoice)
            session.flush()
            seen.append(await anext(ticks))
            failing["on"] = False
            seen.append(await anext(ticks))
            seen.append(await anext(ticks))
        return seen

    assert asyncio.run(scenario()) == [False, False, True, False]


def test_the_poll_stops_when_the_last_tab_leaves_and_starts_again(make, session):
    client = make.client(make.company())
    add_invoice(session, client, number="W-1")
    poller = LedgerPoller(0.02, lambda keys: ledger.ledger_stamps(session, clients=keys))

    async def one_tick():
        ticks = poller.changes(_key(client))
        async with aclosing(ticks):
            await anext(ticks)
        await asyncio.sleep(0.1)
        return poller.polls

    async def scenario():
        polls = await one_tick()
        await asyncio.sleep(0.1)
        assert poller.polls == polls  # nobody watches: no more polls
        await one_tick()
        assert poller.polls > polls

    asyncio.run(scenario())


def test_tab_pages_remember_the_latest_path_and_forget_the_oldest_tabs():
    pages = TabPages(limit=2)
    pages.note("a", "/client/invoices")
    pages.note("b", "/client/invoices/1")
    pages.note("a", "/client/payments")
    pages.note("", "/ignored")
    assert pages.path("a") == "/client/payments"
    pages.note("c", "/client/invoices")
    assert pages.path("b") is None  # the least recently active tab went first
    assert pages.path("a") == "/client/payments"
    assert pages.path("c") == "/client/invoices"


def test_a_newer_watch_of_a_tab_supersedes_the_older_one():
    pages = TabPages()
    pages.claim_watch("unknown", 1)  # a tab that sent no event here is not tracked
    assert pages.watch("unknown") is None
    pages.note("a", "/client/invoices")
    pages.claim_watch("a", 3)
    pages.claim_watch("a", 2)  # a late start of an older watch does not take over
    assert pages.watch("a") == 3
    pages.claim_watch("a", 4)
    assert pages.watch("a") == 4
