"""The per-event machinery outside a page's own service calls, each piece before and after.

Usage:
    .venv/bin/python bench/event_machinery.py [--events 2000] [--rounds 7]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/13]

One process; per piece, two arms alternated in rounds (`_compare.in_turn`), CPU time per
event (time.process_time: what a worker's event loop spends), median of the rounds (issue 25):

- read session: a read-only event's database session taking its connection and giving it back
  (no statement: a round trip's wait would hide the CPU in the noise of a shared machine), on
  a pooled connection switched to AUTOCOMMIT on checkout and back on return (before) or on an
  engine whose connections are autocommit from birth (`core.db.make_engine(...,
  autocommit=True)`);
- update JSON: an invoice list update of 25 rows as socket.io encodes it, with Reflex's encoder
  (before) or reflex_ext/socket_json.py's;
- session check inputs: what `PortalState._actor` reads before its query (the session cookie
  of the websocket's handshake and the client's address): with `self.router` built for each
  and the Cookie header parsed each time (before) or one router read and the parse kept per
  header (`state.signin_binding.cookie_value`);
- state classes: reflex_ext/redis_round_trips.py's lock + read + write + unlock of the invoice
  list's tab (bench/state_io.py's event) with the state classes to read worked out per event
  (before) or kept (after).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _compare import in_turn  # noqa: E402
from sqlalchemy import text  # noqa: E402

import portal_app.pages.route_table  # noqa: E402, F401  (registers every page's state)
from portal_app.core.db import make_engine, session_scope  # noqa: E402
from portal_app.reflex_ext import redis_round_trips, socket_json  # noqa: E402
from portal_app.schemas.invoice import InvoiceRowView  # noqa: E402
from portal_app.state.read_scope import autocommit_engine  # noqa: E402


def _rounds(name: str, arms: dict[str, Callable[[], None]], events: int, rounds: int) -> None:
    cpu: dict[str, list[float]] = {arm: [] for arm in arms}
    for run in arms.values():  # warm-up
        for _ in range(min(events, 200)):
            run()
    for _round, arm, run in in_turn(arms, rounds):
        c0 = time.process_time()
        for _ in range(events):
            run()
        cpu[arm].append((time.process_time() - c0) / events * 1e6)
    for arm, values in cpu.items():
        each = " / ".join(f"{v:.0f}" for v in values)
        print(f"| {name} | {arm} | {statistics.median(values):.1f} | {each} |")


def read_session(pg_url: str, events: int, rounds: int) -> None:
    shared = make_engine(pg_url)
    switched = autocommit_engine(shared)
    born = make_engine(pg_url, autocommit=True)
    assert switched is not None

    def on(engine):
        def run() -> None:
            with session_scope(engine) as db:
                db.connection()

        return run

    with session_scope(born) as db:  # the engine works: one statement, autocommit
        assert db.execute(text("SELECT 1")).scalar_one() == 1
    try:
        arms = {"switched per checkout": on(switched), "autocommit engine": on(born)}
        _rounds("read session", arms, events, rounds)
    finally:
        shared.dispose()
        born.dispose()


def update_json(events: int, rounds: int) -> None:
    from reflex.app import _sio_dumps

    rows = [
        InvoiceRowView(
            i,
            f"INV-{i:05d}",
            "sent",
            "Unpaid",
            "Nov 27, 2026",
            "Dec 27, 2026",
            "$240.00",
            "$240.00",
            False,
            True,
        )
        for i in range(25)
    ]
    state = "reflex___state____state.portal_app___pages___client___invoices____invoices_state"
    packet = [
        "event",
        {
            "delta": {
                state: {"rows_rx_state_": rows, "page_rx_state_": 2, "busy_rx_state_": False}
            },
            "events": [],
            "final": True,
        },
    ]
    fast = socket_json.fast_dumps(_sio_dumps)
    assert fast(packet, separators=(",", ":")) == _sio_dumps(packet, separators=(",", ":"))
    arms = {
        "reflex's encoder": lambda: _sio_dumps(packet, separators=(",", ":")),
        "orjson": lambda: fast(packet, separators=(",", ":")),
    }
    _rounds("update JSON", arms, events, rounds)


def session_inputs(events: int, rounds: int) -> None:
    from reflex.istate.data import RouterData
    from reflex.state import State

    from portal_app.state.event_address import event_client_address
    from portal_app.state.portal import PortalState
    from portal_app.state.signin_binding import cookie_value

    root = State(_reflex_internal_init=True)
    state = root.get_substate(PortalState.get_full_name().split(".")[1:])
    cookie = (
        "portal_session=_id1WaavpFebgzO8abcdefghijklmnopqrstuvwxyz0123456789AB; "
        "portal_signin_binding=abcdefghij.klmnopqrstu.vwxyz; portal_lang=en"
    )
    state.router = RouterData.from_router_data(
        {
            "headers": {"cookie": cookie, "origin": "http://localhost:3000"},
            "asPath": "/client/invoices",
        }
    )
    name = PortalState.SIDE.cookie_name()
    parse = cookie_value.__wrapped__

    def before() -> None:
        parse(state.router.headers.cookie or "", name)
        event_client_address(state.router)

    def after() -> None:
        router = state.router
        state._session_token(router)
        state._client_ip(router)

    assert parse(cookie, name) == state._session_token()
    _rounds(
        "session check inputs",
        {"per read": before, "router once, parse kept": after},
        events,
        rounds,
    )


def state_classes(redis_url: str, events: int, rounds: int) -> None:
    from redis.asyncio import Redis
    from reflex.istate.manager.redis import StateManagerRedis
    from reflex.istate.manager.token import BaseStateToken

    from portal_app.pages.client.invoices import InvoicesState

    loop = asyncio.new_event_loop()
    manager = StateManagerRedis(redis=Redis.from_url(redis_url))
    token = BaseStateToken(ident=str(uuid.uuid4()), cls=InvoicesState)
    modify = redis_round_trips.two_round_trip_modify_state(StateManagerRedis._try_modify_state)

    async def event() -> None:
        async with modify(manager, token) as root:
            state = await root.get_state(InvoicesState)
            state.page = state.page % 3 + 1

    def kept() -> None:
        loop.run_until_complete(event())

    def worked_out() -> None:
        redis_round_trips._REQUIRED.clear()
        loop.run_until_complete(event())

    try:
        arms = {"worked out per event": worked_out, "kept": kept}
        _rounds("state classes", arms, events // 4, rounds)
    finally:
        loop.run_until_complete(manager.close())
        loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--only", choices=("read", "json", "session", "classes"))
    args = parser.parse_args()
    print(f"{args.rounds} rounds, alternated; CPU µs per event\n")
    print("| piece | arm | median | rounds |\n|---|---|---:|---|")
    if args.only in (None, "read"):
        read_session(args.pg_url, args.events, args.rounds)
    if args.only in (None, "json"):
        update_json(args.events, args.rounds)
    if args.only in (None, "session"):
        session_inputs(args.events, args.rounds)
    if args.only in (None, "classes"):
        state_classes(args.redis_url, args.events, args.rounds)


if __name__ == "__main__":
    main()
