"""Websocket events get ids in the logs: each line written while a Reflex event runs carries
the event's id, and every handled event writes one line with its outcome and duration."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os

import pytest
from reflex_base.event import Event
from reflex_base.event.context import EventContext

from portal_app.core.settings import Settings
from portal_app.logging_setup import configure_logging, current_event_ids, request_id_var
from portal_app.reflex_ext.event_log import EventLogMiddleware, short_event_name, tab_hint

handler_log = logging.getLogger("portal_app.test_event_log")
TOKEN = "5f1c9a52-0b55-4c1e-9d3c-3c2b3f0e7a11"
INVOICES_NEXT = (
    "reflex___state____state.portal_app___state___portal____portal_state."
    "portal_app___pages___client___invoices____invoices_state.next_page"
)


@pytest.fixture
def json_logs(monkeypatch):
    monkeypatch.setenv("PORTAL_LOG_FORMAT", "json")
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(Settings(), stream=stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def _context(**kw) -> EventContext:
    async def enqueue(token, *events):  # never called here
        return None

    return EventContext(token=TOKEN, state_manager=None, enqueue_impl=enqueue, **kw)


async def _handle(context: EventContext, event: Event, body) -> None:
    """What Reflex does per event: a task with the EventContext set, middlewares, the handler."""

    async def run():
        EventContext.set(context)
        await EventLogMiddleware().preprocess(app=None, state=None, event=event)
        await body()

    task = asyncio.create_task(run())
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)  # let the done callbacks run


def _event(path: str = "/client/invoices") -> Event:
    return Event(name=INVOICES_NEXT, router_data={"pathname": path, "asPath": path + "?code=1"})


def test_lines_written_by_an_event_carry_its_id_and_an_event_line_follows(json_logs):
    context = _context(router_data={"pathname": "/client/invoices"})

    async def body():
        handler_log.info("loading page %s", 2)

    asyncio.run(_handle(context, _event(), body))
    inside, event_line = _lines(json_logs)
    assert len(context.txid) == 12
    assert inside["message"] == "loading page 2"
    assert inside["request_id"] == context.txid
    assert event_line["logger"] == "portal_app.events"
    assert event_line["message"] == "event invoices_state.next_page ok"
    assert event_line["request_id"] == context.txid
    assert event_line["event"] == "invoices_state.next_page"
    assert event_line["outcome"] == "ok"
    assert event_line["path"] == "/client/invoices"
    assert event_line["tab"] == tab_hint(TOKEN)
    assert isinstance(event_line["duration_ms"], float)
    assert event_line["pid"] == inside["pid"] == os.getpid()  # which worker wrote it


def test_two_events_get_two_ids(json_logs):
    first, second = _context(), _context()

    async def body():
        handler_log.info("work")

    async def both():
        await asyncio.gather(_handle(first, _event(), body), _handle(second, _event(), body))

    asyncio.run(both())
    ids = {line["request_id"] for line in _lines(json_logs)}
    assert ids == {first.txid, second.txid}
    assert first.txid != second.txid


def test_failed_event_is_logged_as_error_with_its_id(json_logs):
    context = _context()

    async def body():
        raise RuntimeError("database went away")

    asyncio.run(_handle(context, _event(), body))
    (line,) = _lines(json_logs)
    assert line["outcome"] == "error"
    assert line["level"] == "WARNING"
    assert line["request_id"] == context.txid


def test_chained_event_names_its_parent(json_logs):
    parent = _context()
    child = parent.fork()

    async def body():
        handler_log.info("chained")

    asyncio.run(_handle(child, _event(), body))
    inside = _lines(json_logs)[0]
    assert inside["request_id"] == child.txid
    assert inside["parent_event_id"] == parent.txid


def test_no_payload_query_or_token_in_the_event_line(json_logs):
    context = _context()
    event = Event(
        name=INVOICES_NEXT,
        router_data={"pathname": "/client/login", "asPath": "/client/login?code=9f8e7d"},
        payload={"form_data": {"password": "hunter2-secret"}},
    )

    async def body():
        return None

    asyncio.run(_handle(context, event, body))
    text = json_logs.getvalue()
    assert "hunter2" not in text
    assert "9f8e7d" not in text
    assert TOKEN not in text


def test_http_request_id_wins_and_no_event_means_no_id(json_logs):
    assert current_event_ids() == (None, None)
    handler_log.info("outside")
    token = request_id_var.set("req-1")
    try:
        handler_log.info("in a request")
    finally:
        request_id_var.reset(token)
    outside, in_request = _lines(json_logs)
    assert outside["request_id"] is None
    assert in_request["request_id"] == "req-1"


@pytest.mark.parametrize(
    ("name", "short"),
    [
        (INVOICES_NEXT, "invoices_state.next_page"),
        ("reflex___state____state.hydrate", "state.hydrate"),
        ("_redirect", "_redirect"),
    ],
)
def test_short_event_names(name, short):
    assert short_event_name(name) == short


def test_reflex_tab_tokens_in_library_lines_are_masked(json_logs):
    logging.getLogger("reflex.istate.manager.redis").warning(
        "Lock for token %s_reflex___state____state was held too long", TOKEN
    )
    (line,) = _lines(json_logs)
    assert TOKEN not in line["message"]
    assert line["message"].startswith("Lock for token 5f1c9a52-***_reflex___state")
