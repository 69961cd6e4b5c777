"""Live money pages: the worker's shared ledger poll that pushes refreshes to the tabs it
concerns, and the per-tab page registry."""

import asyncio
import time
import uuid
from datetime import timedelta

from portal_app.core.db import utcnow
from portal_app.reflex_ext.tab_push import TAB_PAGES, LedgerPush, TabPages, Watcher
from portal_app.services.payments import ledger_stamp
from tests.helpers.factories import add_invoice


def _key(client):
    return (client.company_id, client.id)


def _fetcher(session, calls):
    def fetch(keys):
        calls.append(sorted(keys))
        return ledger_stamp.ledger_stamps(session, clients=keys)

    return fetch


def _recorder():
    sent: list[tuple[str, str]] = []

    async def notify(token, event_name):
        sent.append((token, event_name))

    return sent, notify


def _tab(path="/client/invoices"):
    token = f"tab-{uuid.uuid4().hex}"
    TAB_PAGES.note(token, path)
    return token


def _watcher(session, client, path="/client/invoices", event="list.refresh", until=None):
    key = _key(client)
    return Watcher(
        client=key,
        path=path,
        event_name=event,
        seen=ledger_stamp.ledger_stamps(session, clients=[key])[key],
        until=until if until is not None else time.monotonic() + 60,
    )


async def _until(condition, timeout: float = 10.0) -> None:
    """Wait until `condition()` holds: the poll runs on the event loop's time, which a loaded
    machine stretches, so no test counts on how many ticks a fixed sleep allows."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def _pay(session, invoice):
    invoice.updated_at = utcnow() + timedelta(seconds=5)
    invoice.balance_minor = 0
    session.add(invoice)
    session.flush()


def test_one_poll_per_tick_refreshes_only_the_tabs_of_the_client_that_changed(make, session):
    company = make.company()
    paying, quiet = make.client(company), make.client(company)
    invoice = make.invoice(paying)
    make.invoice(quiet)
    calls: list = []
    sent, notify = _recorder()
    push = LedgerPush(0.05, _fetcher(session, calls), notify)
    list_tab, detail_tab, other_tab = _tab(), _tab("/client/invoices/[id]"), _tab()

    async def scenario():
        push.watch(list_tab, _watcher(session, paying))
        push.watch(detail_tab, _watcher(session, paying, "/client/invoices/[id]", "one.refresh"))
        push.watch(other_tab, _watcher(session, quiet))
        await asyncio.sleep(0.2)
        assert sent == []  # nothing changed: nothing sent, however many ticks
        _pay(session, invoice)
        await _until(lambda: len(sent) >= 2)
        await asyncio.sleep(0.1)  # a further tick sends nothing more

    asyncio.run(scenario())
    # Each tab once, with its own page's event; the other client's tab not at all.
    assert sorted(sent) == sorted([(list_tab, "list.refresh"), (detail_tab, "one.refresh")])
    assert calls and all(keys == sorted([_key(paying), _key(quiet)]) for keys in calls)


def test_a_change_between_the_page_read_and_the_registration_is_not_missed(make, session):
    client = make.client(make.company())
    invoice = make.invoice(client)
    sent, notify = _recorder()
    push = LedgerPush(0.05, lambda keys: ledger_stamp.ledger_stamps(session, clients=keys), notify)
    tab = _tab()
    watcher = _watcher(session, client)  # the stamp the page load read before its data
    _pay(session, invoice)  # a webhook lands before the page registers

    async def scenario():
        push.watch(tab, watcher)
        await _until(lambda: sent)

    asyncio.run(scenario())
    assert sent == [(tab, "list.refresh")]


def test_a_tab_that_left_the_page_or_expired_is_dropped(make, session):
    client = make.client(make.company())
    invoice = make.invoice(client)
    sent, notify = _recorder()
    push = LedgerPush(0.05, lambda keys: ledger_stamp.ledger_stamps(session, clients=keys), notify)
    moved, expired = _tab(), _tab()

    async def scenario():
        push.watch(moved, _watcher(session, client))
        push.watch(expired, _watcher(session, client, until=time.monotonic() + 0.01))
        TAB_PAGES.note(moved, "/client/payments")  # the tab opened another page
        _pay(session, invoice)
        await _until(lambda: push.watching == 0)

    asyncio.run(scenario())
    assert sent == []


def test_a_failed_poll_sends_nothing_and_the_next_tick_recovers(make, session):
    client = make.client(make.company())
    invoice = make.invoice(client)
    failing = {"on": True}

    def fetch(keys):
        if failing["on"]:
            raise ConnectionError("database unreachable")
        return ledger_stamp.ledger_stamps(session, clients=keys)

    sent, notify = _recorder()
    push = LedgerPush(0.05, fetch, notify)
    tab = _tab()

    async def scenario():
        push.watch(tab, _watcher(session, client))
        _pay(session, invoice)
        await _until(lambda: push.polls >= 2)
        assert sent == []
        failing["on"] = False
        await _until(lambda: sent)

    asyncio.run(scenario())
    assert sent == [(tab, "list.refresh")]


def test_the_poll_stops_when_no_tab_is_left_and_starts_again(make, session):
    client = make.client(make.company())
    add_invoice(session, client, number="W-1")
    sent, notify = _recorder()
    push = LedgerPush(0.02, lambda keys: ledger_stamp.ledger_stamps(session, clients=keys), notify)

    async def scenario():
        tab = _tab()
        push.watch(tab, _watcher(session, client))
        await _until(lambda: push.polls >= 1)
        TAB_PAGES.note(tab, "/client/payments")
        await _until(lambda: push.watching == 0)
        polls = push.polls
        await asyncio.sleep(0.1)
        assert push.polls == polls  # nobody watches: no more polls
        push.watch(_tab(), _watcher(session, client))
        await _until(lambda: push.polls > polls)

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


def test_seen_stamp_is_the_watched_pages_newest_stamp_and_nothing_for_anything_else(make, session):
    company = make.company()
    client, other = make.client(company), make.client(company)
    invoice = make.invoice(client)
    sent, notify = _recorder()
    push = LedgerPush(0.05, lambda keys: ledger_stamp.ledger_stamps(session, clients=keys), notify)
    tab, expired = _tab(), _tab()
    watcher = _watcher(session, client)
    loaded = watcher.seen

    async def scenario():
        push.watch(tab, watcher)
        push.watch(expired, _watcher(session, client, until=time.monotonic() - 1))
        at_load = push.seen_stamp(tab, client=_key(client), path="/client/invoices")
        _pay(session, invoice)
        await _until(lambda: sent)  # a poll sees the payment and sends the refresh
        return at_load, push.seen_stamp(tab, client=_key(client), path="/client/invoices")

    at_load, after_poll = asyncio.run(scenario())
    assert at_load == loaded
    # The poll's newer stamp, the one the refresh on its way will load with.
    assert sent == [(tab, "list.refresh")]
    assert after_poll == ledger_stamp.ledger_stamps(session, clients=[_key(client)])[_key(client)]
    assert after_poll != loaded
    # Another page, another client, an expired or unknown tab: nothing known.
    assert push.seen_stamp(tab, client=_key(client), path="/client/payments") == ""
    assert push.seen_stamp(tab, client=_key(other), path="/client/invoices") == ""
    assert push.seen_stamp(expired, client=_key(client), path="/client/invoices") == ""
    assert push.seen_stamp("tab-never-seen", client=_key(client), path="/client/invoices") == ""
