"""An invoice view's record (`invoices.record_view`): its audit INSERT built per call or once.

Usage:
    .venv/bin/python bench/record_view.py [--calls 2000] [--rounds 5]
    .venv/bin/python bench/record_view.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

`record_view` is what every client view of an invoice writes: the invoice's `last_viewed_at`
(an UPDATE built once) and an `invoice_viewed` audit row. Two arms alternate in rounds in one
process, on one seeded invoice (bench/invoice_detail.py's seed) in a fresh database (a temp
SQLite file, or a throwaway PostgreSQL schema): **built per call**, the audit INSERT as
`audit.insert_contact_action` made it until issue 25 (`insert(table).values(...)` on each
call), and **built once** (the statement with bound parameters, made at import). Each call
runs in the session of the page's event and is committed after it, outside the timing.
Printed: median CPU µs per `record_view` call (the thread's CPU: SQLAlchemy and the driver,
for SQLite its engine too; not PostgreSQL's server).
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
from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

import portal_app.models  # noqa: E402, F401  (registers every table)
from portal_app.core.db import utcnow  # noqa: E402
from portal_app.models import AuditEvent, Invoice  # noqa: E402
from portal_app.services.billing import invoices  # noqa: E402
from portal_app.services.identity import audit, auth  # noqa: E402

BUILT_ONCE = audit.insert_contact_action


def built_per_call(session, actor, entity_type, entity_id, action, /) -> None:
    """`audit.insert_contact_action` as it was before issue 25's change (the statement per call)."""
    session.execute(
        insert(AuditEvent.__table__).values(  # type: ignore[attr-defined]
            company_id=actor.company_id,
            client_id=actor.client_id,
            actor_type="contact",
            actor_id=actor.contact_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            ip=actor.ip[:64],
            details="{}",
            created_at=utcnow(),
        )
    )


def run(session: Session, actor, invoice: Invoice, calls: int) -> float:
    """CPU µs per record_view call, the median of `calls`."""
    times = []
    for _ in range(calls):
        c0 = time.thread_time()
        invoices.record_view(session, actor=actor, invoice=invoice)
        times.append(time.thread_time() - c0)
        session.commit()
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a fresh temp SQLite file")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    arms = {"built per call": built_per_call, "built once": BUILT_ONCE}
    cpu: dict[str, list[float]] = {arm: [] for arm in arms}
    with bench_engine(args.database_url) as (engine, label):
        SQLModel.metadata.create_all(engine)
        token, invoice_id = seed(engine, 4, 0)
        with Session(engine, expire_on_commit=False) as session:
            actor = auth.resolve_actor(session, token=token)
            assert actor is not None
            invoice = session.get(Invoice, invoice_id)
            assert invoice is not None
            for function in arms.values():  # warm-up: statement caches, connection
                audit.insert_contact_action = function
                run(session, actor, invoice, 50)
            for r, arm, function in in_turn(arms, args.rounds):
                audit.insert_contact_action = function
                cpu[arm].append(run(session, actor, invoice, args.calls))
                print(f"round {r + 1} {arm}: {cpu[arm][-1]:.1f} µs", file=sys.stderr)
            audit.insert_contact_action = BUILT_ONCE
            rows = session.exec(select(AuditEvent).where(AuditEvent.action == "invoice_viewed"))
            written = len(rows.all())
        expected = len(arms) * (50 + args.rounds * args.calls)
    assert written == expected, (written, expected)  # one audit row per view, either arm

    print(f"{label}: {args.rounds} rounds x {args.calls} calls alternated; {written} audit rows")
    print()
    print("| database | built per call µs | built once µs | once/per call |")
    print("|---|---:|---:|---:|")
    before = statistics.median(cpu["built per call"])
    after = statistics.median(cpu["built once"])
    database = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(f"| {database} | {before:.1f} | {after:.1f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
