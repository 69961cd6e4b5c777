"""A read-only page event's database work in a transaction (before) and in autocommit (after).

The invoice page's and the invoice list's database work as their events do it (session check,
ledger stamp, the page's reads; the invoice page also its one-statement view record), once in
`core.db.session_scope` (psycopg's BEGIN before the first statement, COMMIT at the end) and
once in `state.read_scope.read_scope` (autocommit on PostgreSQL: neither), the two arms in
turn in one process (`_compare.in_turn`), on a throwaway PostgreSQL schema:

    .venv/bin/python bench/read_scope.py --events 300 --rounds 5

Per arm and round: the median wall and thread-CPU milliseconds of an event (issue 25).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _compare import in_turn  # noqa: E402
from invoice_detail import seed  # noqa: E402
from invoice_list import bench_engine  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import portal_app.models  # noqa: E402, F401  (registers every table)
from portal_app.core.db import session_scope  # noqa: E402
from portal_app.services.billing import invoices  # noqa: E402
from portal_app.services.documents import documents  # noqa: E402
from portal_app.services.identity import auth  # noqa: E402
from portal_app.services.payments import ledger_stamp  # noqa: E402
from portal_app.state.read_scope import read_scope  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def invoice_page(db, token: str, invoice_id: int) -> None:
    actor = auth.resolve_actor(db, token=token)
    assert actor is not None
    ledger_stamp.ledger_stamp(db, actor=actor)
    invoices.open_invoice(db, actor=actor, invoice_id=invoice_id)
    documents.invoice_documents(db, actor=actor, invoice_id=invoice_id)


def invoice_list(db, token: str, _invoice_id: int) -> None:
    actor = auth.resolve_actor(db, token=token)
    assert actor is not None
    ledger_stamp.ledger_stamp(db, actor=actor)
    invoices.list_invoices(db, actor=actor, query=invoices.ListQuery())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scopes = {"transaction": session_scope, "autocommit": read_scope}
    with bench_engine(args.database_url) as (engine, where):
        SQLModel.metadata.create_all(engine)
        token, invoice_id = seed(engine, lines=4, files=3)
        print(f"{where}; {args.events} events per arm and round (median ms)\n")
        print("| event | arm | round | wall ms | CPU ms |\n|---|---|---:|---:|---:|")
        for name, event in (("invoice page", invoice_page), ("invoice list", invoice_list)):
            results: dict[str, list[tuple[float, float]]] = {arm: [] for arm in scopes}
            for r, arm, scope in in_turn(scopes, args.rounds):
                walls, cpus = [], []
                for _ in range(args.events):
                    w0, c0 = time.perf_counter(), time.thread_time()
                    with scope(engine) as db:
                        event(db, token, invoice_id)
                    cpus.append((time.thread_time() - c0) * 1e3)
                    walls.append((time.perf_counter() - w0) * 1e3)
                wall, cpu = statistics.median(walls), statistics.median(cpus)
                results[arm].append((wall, cpu))
                print(f"| {name} | {arm} | {r + 1} | {wall:.2f} | {cpu:.2f} |")
            for arm, rows in results.items():
                wall = statistics.median(w for w, _ in rows)
                cpu = statistics.median(c for _, c in rows)
                print(f"| {name} | **{arm}, median of rounds** | | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
