"""psycopg's `prepare_threshold`: client and PostgreSQL CPU of the portal's hot reads by setting.

psycopg 3 prepares a statement on the server once a connection has run the same SQL
`prepare_threshold` times (default 5; None: never; 0: at once). This times, on one
PostgreSQL connection per setting, the database work of an invoice page view (the session
check, `invoices.open_invoice_with_stamp`, the thread's view, the commit:
bench/invoice_detail.py's `view`) and of an invoice list load (the session check and
`invoices.list_invoices`), in blocks of `--block` actions alternated setting by setting for
`--rounds` rounds. Client CPU: time.process_time of this process; server CPU: utime+stime
of the connection's backend process (/proc/<pid>/stat, so PostgreSQL must run on this
machine; clock ticks of 10 ms, hence the blocks). Measured 2026-12-07 (issue 25): never
preparing (None) costs the page 0.3-0.4 ms of client CPU and 1.4 ms of PostgreSQL's a view;
0 and 1 are the default's figures within the noise, so make_engine keeps psycopg's default.

    .venv/bin/python bench/prepare_threshold.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --rounds 20
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

from _compare import code_root  # noqa: E402

sys.path.insert(0, code_root(Path(__file__).resolve().parent.parent))

from invoice_detail import seed, view  # noqa: E402
from invoice_list import analyze, bench_engine  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from portal_app.services.billing import invoices  # noqa: E402
from portal_app.services.identity import auth  # noqa: E402

SETTINGS = {"default (5)": 5, "None (never)": None, "0 (at once)": 0, "1": 1}
_TICK = os.sysconf("SC_CLK_TCK")


def _backend_cpu(pid: int) -> float:
    """Seconds of CPU the PostgreSQL backend `pid` used so far (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def list_load(engine, token: str) -> None:
    """An invoice list load's database work: the session check and the first page."""
    with Session(engine, expire_on_commit=False) as db:
        actor = auth.resolve_actor(db, token=token)
        assert actor is not None
        invoices.list_invoices(db, actor=actor, query=invoices.ListQuery())
        db.commit()


def main(argv: list[str] | None = None) -> int:
    """Seed, then time the blocks alternated setting by setting; a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://...")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--block", type=int, default=100, help="actions per timed block")
    args = parser.parse_args(argv)
    with bench_engine(args.database_url) as (engine, label):
        SQLModel.metadata.create_all(engine)
        token, invoice_id = seed(engine, 4, 0)
        analyze(engine)
        with engine.connect() as conn:
            search_path = conn.execute(text("SHOW search_path")).scalar_one()
        engines = {
            name: create_engine(
                args.database_url,
                pool_size=1,
                max_overflow=0,
                connect_args={"options": f"-csearch_path={search_path}", "prepare_threshold": t},
            )
            for name, t in SETTINGS.items()
        }
        pids = {}
        for name, e in engines.items():
            with e.connect() as conn:
                pids[name] = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        actions = {
            "invoice page": lambda e: view(e, token, invoice_id),
            "invoice list": lambda e: list_load(e, token),
        }
        for e in engines.values():  # warm-up: past the threshold, caches
            for act in actions.values():
                for _ in range(10):
                    act(e)
        client: dict[tuple[str, str], list[float]] = {}
        server: dict[tuple[str, str], list[float]] = {}
        gc.collect()
        gc.disable()
        try:
            for _ in range(args.rounds):
                for action, act in actions.items():
                    for name, e in engines.items():
                        start_server, start_client = _backend_cpu(pids[name]), time.process_time()
                        for _ in range(args.block):
                            act(e)
                        per = 1000 / args.block
                        used = time.process_time() - start_client
                        client.setdefault((action, name), []).append(used * per)
                        used = _backend_cpu(pids[name]) - start_server
                        server.setdefault((action, name), []).append(used * per)
        finally:
            gc.enable()
            for e in engines.values():
                e.dispose()
    print(f"{label}; {args.rounds} rounds of {args.block} actions per setting, alternated; "
          f"CPU ms per action, median of the rounds (mean)")  # fmt: skip
    print()
    print("| action | prepare_threshold | client CPU | PostgreSQL backend CPU |")
    print("|---|---|---:|---:|")
    for (action, name), values in client.items():
        s = server[(action, name)]
        print(f"| {action} | {name} | {statistics.median(values):.3f} "
              f"({statistics.fmean(values):.3f}) | {statistics.median(s):.3f} "
              f"({statistics.fmean(s):.3f}) |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
