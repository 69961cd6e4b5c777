"""Benchmark: CPU time of one call of the client invoice list service (issue 25), in process.

Usage:
    .venv/bin/python bench/list_cpu.py [--database-url URL] [--calls 2000] [--size 300]

What a list load and a page turn cost the worker's CPU in `invoices.list_invoices` alone (no
Reflex): the first page (counted, as a filter change does), the next page from the page
before's last key, the last page with the count kept (`ListQuery.ledger_stamp`, as a page load
does) and, for the list load, the ledger stamp read. Each is called `--calls` times in turn
with the others, each call in a database session of its own that has already read what an
event's session check reads (the client, the company, the module switch), as in an event;
only the call is timed. The table gives the median over five rounds of the process CPU µs per
call (`time.process_time`, so the database's own time is not in it).
BENCH_CODE_ROOT=/path/to/other/checkout measures that checkout's code.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _compare import code_root  # noqa: E402

sys.path.insert(0, code_root(Path(__file__).resolve().parent.parent))

from invoice_list import bench_engine, seed  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from portal_app.models import Client, Company  # noqa: E402
from portal_app.services.billing import invoices  # noqa: E402
from portal_app.services.company import modules  # noqa: E402
from portal_app.services.payments.ledger_stamp import ledger_stamp  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=PG_URL, help="'' for a temp SQLite file")
    parser.add_argument("--calls", type=int, default=2000, help="calls per job per round")
    parser.add_argument("--size", type=int, default=300, help="invoices of the client")
    args = parser.parse_args(argv)
    with bench_engine(args.database_url) as (engine, label):
        SQLModel.metadata.create_all(engine)
        actor, _ = seed(engine, [args.size], random.Random(1234))[args.size]
        with Session(engine) as session:
            stamp = ledger_stamp(session, actor=actor)
            first = invoices.list_invoices(session, actor=actor, query=invoices.ListQuery())

        def timed(job: Callable[[Session], object]) -> Callable[[], float]:
            def run() -> float:
                with Session(engine) as session:
                    # What the event's session check has read before (session_memo).
                    # Held: the identity map keeps only objects someone holds.
                    held = (
                        session.get(Client, actor.client_id),
                        session.get(Company, actor.company_id),
                    )
                    modules.require(session, actor=actor, module="invoices")
                    started = time.process_time()
                    job(session)
                    spent = time.process_time() - started
                    del held
                    return spent

            return run

        def call(query: invoices.ListQuery) -> Callable[[], float]:
            return timed(lambda session: invoices.list_invoices(session, actor=actor, query=query))

        read_stamp = timed(lambda session: ledger_stamp(session, actor=actor))

        jobs: dict[str, Callable[[], float]] = {
            "first page, counted": call(invoices.ListQuery()),
            "next page (keyset), counted": call(invoices.ListQuery(page=2, after=first.last_key)),
            "next page, count kept": call(
                invoices.ListQuery(page=2, after=first.last_key, ledger_stamp=stamp)
            ),
            "last page, count kept": call(invoices.ListQuery(last=True, ledger_stamp=stamp)),
            "unpaid, searched, asc by due date": call(
                invoices.ListQuery(status="overdue", search="1", sort="due_date", descending=False)
            ),
            "ledger stamp": read_stamp,
        }
        rounds: dict[str, list[float]] = {name: [] for name in jobs}
        for job in jobs.values():
            job()  # warm: compiled SQL, connections
        for _ in range(5):
            for name, job in jobs.items():
                gc.collect()
                spent = sum(job() for _ in range(args.calls))
                rounds[name].append(spent / args.calls * 1e6)
        code = code_root(Path(__file__).resolve().parent.parent)
        print(f"{label}, {args.size} invoices, {args.calls} calls x 5 rounds, code {code}")
        print("| call | CPU µs per call (median of 5 rounds) |")
        print("|---|---:|")
        for name, values in rounds.items():
            print(f"| {name} | {statistics.median(values):.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
