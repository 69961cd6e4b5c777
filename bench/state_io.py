"""Reflex's per-event Redis work alone: lock, read the tab's states, write, unlock.

Usage:
    .venv/bin/python bench/state_io.py [--events 1000] [--rounds 5] [--redis-url redis://127.0.0.1:6379/13]

One process, the portal's real state tree (every page module imported), one tab's token on
the invoice list's state, stored once with the defaults. Each "event" is what Reflex's event
processor does around a handler: `modify_state(token)`, the list state fetched from the tree,
one var changed (so the touched states are written back), exit. Two arms run alternately in
rounds, `--events` events each: Reflex 0.10.1's own `_try_modify_state` (SET NX, MGET,
fenced EVAL, GETDEL) and reflex_ext/redis_round_trips.py's (two scripts). Printed per arm: the
process CPU time per event (time.process_time: what the worker's event loop spends; not the
Redis server's), the wall time per event, and the Redis commands per event.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _compare import in_turn  # noqa: E402
from redis.asyncio import Redis  # noqa: E402
from reflex.istate.manager.redis import StateManagerRedis  # noqa: E402
from reflex.istate.manager.token import BaseStateToken  # noqa: E402

import portal_app.pages.route_table  # noqa: E402, F401  (registers every page's state)
from portal_app.pages.client.invoices import InvoicesState  # noqa: E402
from portal_app.reflex_ext import redis_round_trips  # noqa: E402


class CountingRedis(Redis):
    """Counts the commands the state manager sends."""

    commands = 0

    async def execute_command(self, *args, **options):
        self.commands += 1
        return await super().execute_command(*args, **options)


async def events(manager: StateManagerRedis, token: BaseStateToken, n: int, method) -> None:
    for i in range(n):
        async with method(manager, token) as root:
            state = await root.get_state(InvoicesState)
            state.page = i % 3 + 1  # a page turn: the list state is written back


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()

    redis = CountingRedis.from_url(args.redis_url)
    manager = StateManagerRedis(redis=redis)
    assert not manager._oplock_enabled
    token = BaseStateToken(ident=str(uuid.uuid4()), cls=InvoicesState)
    patched = redis_round_trips.two_round_trip_modify_state(StateManagerRedis._try_modify_state)
    arms = {"reflex (4 commands)": StateManagerRedis._try_modify_state, "two scripts": patched}
    cpu: dict[str, list[float]] = {name: [] for name in arms}
    wall: dict[str, list[float]] = {name: [] for name in arms}
    sent: dict[str, int] = dict.fromkeys(arms, 0)
    try:
        for method in arms.values():  # warm-up: states stored, scripts loaded, pool filled
            await events(manager, token, 50, method)
        for _round, name, method in in_turn(arms, args.rounds):
            redis.commands = 0
            c0, w0 = time.process_time(), time.perf_counter()
            await events(manager, token, args.events, method)
            cpu[name].append((time.process_time() - c0) / args.events * 1e6)
            wall[name].append((time.perf_counter() - w0) / args.events * 1e6)
            sent[name] = redis.commands / args.events
        print(f"{args.rounds} rounds x {args.events} events per arm, alternated\n")
        print(
            "| arm | CPU µs/event (median) | CPU µs/event (rounds) | wall µs/event (median) "
            "| Redis commands/event |"
        )
        print("|---|---:|---|---:|---:|")
        for name in arms:
            rounds = " / ".join(f"{v:.0f}" for v in cpu[name])
            print(
                f"| {name} | {statistics.median(cpu[name]):.0f} | {rounds} | "
                f"{statistics.median(wall[name]):.0f} | {sent[name]:.1f} |"
            )
    finally:
        await manager.close()


if __name__ == "__main__":
    asyncio.run(main())
