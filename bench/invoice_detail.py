"""Invoice detail page: the database work of one view, wall and CPU time, and its statements.

What `InvoiceDetailState.load` does in its one database session: the session check
(`auth.resolve_actor`, which also notes the modules and locale for the services),
`invoices.open_invoice_with_stamp` (the invoice with the ledger stamp, whether it has files
and its question thread; its lines, the view record, the payments), the files
(`documents.invoice_documents`) when it has some and the thread's view
(`threads.client_thread_of`), then the commit. A repeated view of one invoice with
`--lines` lines and `--documents` files (0: the common invoice, without files), in a fresh
Session each time.

The portal code measured is the one next to this script (`../portal_app`). With `--before
PATH` it times the same views with the portal code of another checkout (before, e.g. a
`git worktree add /tmp/wt-before <rev>`) and of this one (after), each in a worker process
with its own database seeded by this script, alternated view by view (bench/_compare.py);
each worker also prints the statements one view sends.

    .venv/bin/python bench/invoice_detail.py --runs 201
    .venv/bin/python bench/invoice_detail.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/invoice_detail.py --before /tmp/wt-before --runs 401 [--database-url ...]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from _compare import code_root, compare, serve  # noqa: E402
from _compare import print_table as print_before_after  # noqa: E402

sys.path.insert(0, code_root(Path(__file__).resolve().parent.parent))

from invoice_list import analyze, bench_engine  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import portal_app  # noqa: E402
import portal_app.models  # noqa: E402, F401  (registers every table)
from portal_app.models import Client, ClientContact, Company, Document, Invoice  # noqa: E402
from portal_app.services.billing import invoices  # noqa: E402
from portal_app.services.billing.invoice_math import (  # noqa: E402
    LineInput,
    apply_totals,
    build_lines,
)
from portal_app.services.documents import documents, threads  # noqa: E402
from portal_app.services.identity import auth  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="default: a fresh temp SQLite file")
    parser.add_argument("--runs", type=int, default=101, help="timed views")
    parser.add_argument("--lines", type=int, default=4, help="lines of the invoice")
    parser.add_argument("--documents", type=int, default=3, help="files attached to it")
    parser.add_argument("--label", default="", help="first column of the printed row")
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout: time its views (before) against this one's, alternated",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def seed(engine, lines: int, files: int) -> tuple[str, int]:
    """One company, client and contact signed in (the session token), and one sent invoice
    with its lines and files."""
    with Session(engine) as session:
        company = Company(name="Northwind Studio", city="Berlin", country="Germany")
        session.add(company)
        session.flush()
        client = Client(company_id=company.id, name="Bench client")
        session.add(client)
        session.flush()
        contact = ClientContact(
            company_id=company.id, client_id=client.id, email="bench@example.test"
        )
        session.add(contact)
        invoice = Invoice(
            company_id=company.id,
            client_id=client.id,
            number="INV-DETAIL-1",
            status="sent",
            currency="EUR",
            issue_date=date.today(),
        )
        built = build_lines(
            [LineInput(f"Line {i}", 1000, 100_00 + i, "VAT", 1900) for i in range(lines)]
        )
        apply_totals(invoice, built)
        session.add(invoice)
        session.flush()
        for line in built:
            line.invoice_id = invoice.id
            session.add(line)
        for i in range(files):
            session.add(
                Document(
                    company_id=company.id,
                    client_id=client.id,
                    invoice_id=invoice.id,
                    name=f"file-{i}.pdf",
                    sha256=f"{i:064x}",
                    size_bytes=1000,
                    media_type="application/pdf",
                )
            )
        opened = auth.open_session(
            session, contact=contact, kind="password", lifetime=timedelta(days=1)
        )
        session.commit()
        return opened.token, invoice.id


def view(engine, token: str, invoice_id: int) -> None:
    """One view's database work, as the page's event does it (the shell already loaded)."""
    with Session(engine, expire_on_commit=False) as db:
        actor = auth.resolve_actor(db, token=token)
        assert actor is not None
        opened = invoices.open_invoice_with_stamp(db, actor=actor, invoice_id=invoice_id)
        if isinstance(opened, tuple):
            # A checkout before 87b932f (--before): files and thread read as the page read
            # them then, the thread through its document's id.
            documents.invoice_documents(db, actor=actor, invoice_id=invoice_id)
            threads.client_thread(db, actor=actor, document_type="invoice", document_id=invoice_id)
        else:
            if opened.may_have_files:
                documents.invoice_documents(db, actor=actor, invoice_id=invoice_id)
            threads.client_thread_of(
                db, actor=actor, document_type="invoice", document=opened.invoice,
                thread=opened.thread,
            )  # fmt: skip
        db.commit()


def count_statements(engine, token: str, invoice_id: int) -> int:
    """The statements one view sends (BEGIN and COMMIT are not statements here)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    view(engine, token, invoice_id)
    event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def before_after(args: argparse.Namespace) -> int:
    """The views by the --before checkout's code and this one's, alternated; a table."""
    here = Path(__file__).resolve()
    worker_args = ["--lines", str(args.lines), "--documents", str(args.documents)]
    if args.database_url:
        worker_args += ["--database-url", args.database_url]
    results = compare(args.before.resolve(), here.parent.parent, here, worker_args, args.runs)
    database = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(f"{database}, median of {args.runs} views per checkout, alternated; ms; "
          f"before = {args.before}")  # fmt: skip
    print()
    print_before_after("invoice view", results)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Seed, time the views and print one markdown row."""
    args = parse_args(argv)
    if args.before:
        return before_after(args)
    with bench_engine(args.database_url) as (engine, label):
        SQLModel.metadata.create_all(engine)
        token, invoice_id = seed(engine, args.lines, args.documents)
        analyze(engine)
        for _ in range(5):  # warm-up: the pay link's first view, caches, prepared plans
            view(engine, token, invoice_id)
        statements = count_statements(engine, token, invoice_id)
        if args.worker:
            tree = Path(portal_app.__file__).resolve().parent.parent
            print(f"{tree}: {statements} statements per view ({label})", file=sys.stderr)
            serve({"invoice view": lambda: view(engine, token, invoice_id)})
            return 0

        wall: list[float] = []
        cpu: list[float] = []
        gc.collect()
        gc.disable()
        try:
            for _ in range(args.runs):
                start_wall, start_cpu = time.perf_counter(), time.thread_time()
                view(engine, token, invoice_id)
                cpu.append((time.thread_time() - start_cpu) * 1000)
                wall.append((time.perf_counter() - start_wall) * 1000)
        finally:
            gc.enable()
    tree = Path(portal_app.__file__).resolve().parent.parent
    print(f"{label}; portal_app from {tree}; median of {args.runs} views", file=sys.stderr)
    print("| tree | wall median ms | wall p90 ms | cpu median ms | statements |")
    print("|---|---:|---:|---:|---:|")
    p90 = statistics.quantiles(wall, n=10)[-1]
    print(
        f"| {args.label or tree} | {statistics.median(wall):.2f} | {p90:.2f} "
        f"| {statistics.median(cpu):.2f} | {statements} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
