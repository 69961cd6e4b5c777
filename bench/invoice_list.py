"""Benchmark: the client invoice list (first and deep page) and one invoice PDF, by list size.

Usage:
    .venv/bin/python bench/invoice_list.py [--sizes 100,10000,100000] [--database-url URL]

Without --database-url a fresh temporary SQLite file is used and deleted afterwards. With a
PostgreSQL URL the tables go into a throwaway schema that is dropped at the end. Each size gets
its own client (all in one company, so the small lists share the table with the big ones).

With `--before PATH` (issue 23 item 5) it times only the invoice PDF download, with the portal
code of another checkout (before) and of this one (after), each in a worker process with its own
database seeded by this script, alternated call by call (bench/_compare.py):

    .venv/bin/python bench/invoice_list.py --before /tmp/wt-before --sizes 100 --pdf-runs 21
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from _compare import code_root, compare, serve  # noqa: E402
from _compare import print_table as print_before_after  # noqa: E402

sys.path.insert(0, code_root(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel, col, func, select  # noqa: E402

import portal_app.models  # noqa: E402, F401  (registers every table)
from portal_app.core.db import make_engine  # noqa: E402
from portal_app.models import Client, ClientContact, Company, Invoice  # noqa: E402
from portal_app.models.invoice import VISIBLE_STATUSES  # noqa: E402
from portal_app.services.billing import invoice_files, invoices, payment_qr  # noqa: E402
from portal_app.services.billing.invoice_math import LineInput, apply_totals, build_lines  # noqa: E402
from portal_app.services.identity.actor import Actor  # noqa: E402
from portal_app.services.payments.ledger_stamp import ledger_stamp  # noqa: E402

CHUNK = 5_000
STATUS_WEIGHTS = {
    "draft": 4,
    "sent": 20,
    "partial": 8,
    "paid": 58,
    "cancelled": 7,
    "reversed": 3,
}
CURRENCY_WEIGHTS = {"USD": 60, "EUR": 25, "GBP": 10, "JPY": 5}
TARGET_RATIO = 1.5


@dataclass
class Result:
    """Medians for one list size."""

    size: int
    first_ms: float
    deep_ms: float
    deep_page: int
    pdf_ms: float


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000", help="comma-separated list sizes")
    parser.add_argument("--database-url", default="", help="default: a fresh temp SQLite file")
    parser.add_argument("--runs", type=int, default=21, help="timed runs per measurement")
    parser.add_argument("--pdf-runs", type=int, default=7, help="timed runs of the PDF")
    parser.add_argument("--seed", type=int, default=1234, help="random seed for the data")
    parser.add_argument(
        "--no-analyze", action="store_true", help="skip ANALYZE after seeding (planner stats)"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the query plans of the list queries"
    )
    parser.add_argument(
        "--no-paging",
        action="store_true",
        help="skip the OFFSET/keyset table (first, middle, last page of the largest list)",
    )
    parser.add_argument(
        "--extra-sql",
        action="append",
        default=[],
        help="SQL run after seeding, e.g. a candidate index to compare (repeatable)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout: time its invoice PDF (before) against this one's, alternated",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not args.sizes or min(args.sizes) <= 0:
        parser.error("--sizes needs positive integers")
    return args


@contextmanager
def bench_engine(url: str) -> Iterator[tuple[Engine, str]]:
    """An engine on a fresh database (temp SQLite file, or a throwaway PostgreSQL schema)."""
    if not url:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            try:
                yield engine, "SQLite (temp file)"
            finally:
                engine.dispose()
        return
    if url.startswith("sqlite"):
        engine = make_engine(url)
        try:
            yield engine, "SQLite"
        finally:
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine, f"PostgreSQL (schema {schema}, dropped after)"
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def invoice_rows(
    rng: random.Random, company_id: int, client_id: int, size: int, today: date
) -> Iterator[dict]:
    """`size` invoice rows with a realistic mix of statuses, dates, currencies and amounts."""
    now = datetime.now(UTC)
    for i in range(size):
        status = _weighted(rng, STATUS_WEIGHTS)
        currency = _weighted(rng, CURRENCY_WEIGHTS)
        scale = 1 if currency == "JPY" else 100
        subtotal = rng.randint(50, 20_000) * scale
        tax = subtotal * rng.choice((0, 0, 7, 19, 20)) // 100
        amount = subtotal + tax
        paid = {"paid": amount, "partial": amount * rng.randint(10, 90) // 100}.get(status, 0)
        balance = 0 if status in ("paid", "cancelled", "reversed") else amount - paid
        # Eight years of history; several invoices share a day once lists are large.
        issue = today - timedelta(days=rng.randint(0, 8 * 365))
        due = issue + timedelta(days=rng.choice((0, 14, 30, 30, 45, 60)))
        has_partial = status in ("sent", "partial") and rng.random() < 0.05
        yield {
            "company_id": company_id,
            "client_id": client_id,
            "number": f"INV-{size}-{i:07d}",
            "status": status,
            "currency": currency,
            "issue_date": issue,
            "due_date": due,
            "po_number": f"PO-{rng.randint(1000, 9999)}" if rng.random() < 0.3 else "",
            "subtotal_minor": subtotal,
            "tax_minor": tax,
            "amount_minor": amount,
            "paid_to_date_minor": paid,
            "balance_minor": balance,
            "partial_minor": amount // 4 if has_partial else 0,
            "partial_due_date": issue + timedelta(days=7) if has_partial else None,
            "terms": "",
            "public_notes": "",
            "footer": "",
            "sent_at": None if status == "draft" else now,
            "last_viewed_at": None,
            "created_at": now,
            "updated_at": now,
        }


def seed(engine: Engine, sizes: list[int], rng: random.Random) -> dict[int, tuple[Actor, int]]:
    """One company; per size a client with that many invoices, and one PDF invoice with lines."""
    today = date.today()
    actors: dict[int, tuple[Actor, int]] = {}
    with Session(engine) as session:
        company = Company(
            name="Northwind Studio",
            address1="12 Harbour Road",
            city="Berlin",
            postal_code="10115",
            country="Germany",
            email="billing@northwind.test",
            invoice_terms="Payment within 30 days.",
            invoice_footer="Northwind Studio · Registered in Berlin",
            # What an EN 16931 e-invoice and the EPC payment QR code need (issue 21).
            legal_name="Northwind Studio GmbH",
            country_code="DE",
            vat_number="DE123456789",
            iban="DE89370400440532013000",
            bic="COBADEFFXXX",
            payment_terms="30 days net",
        )
        session.add(company)
        session.flush()
        table = Invoice.__table__
        for size in sizes:
            client = Client(
                company_id=company.id,
                name=f"Client with {size} invoices",
                address1="Ring 2",
                postal_code="1010",
                city="Wien",
                country="Austria",
                country_code="AT",
                vat_number="ATU12345678",
            )
            session.add(client)
            session.flush()
            contact = ClientContact(
                company_id=company.id,
                client_id=client.id,
                email=f"ap-{size}@client.test",
                first_name="Ada",
                is_primary=True,
            )
            session.add(contact)
            session.flush()
            batch: list[dict] = []
            for row in invoice_rows(rng, company.id, client.id, size, today):
                batch.append(row)
                if len(batch) >= CHUNK:
                    session.execute(insert(table), batch)
                    batch = []
            if batch:
                session.execute(insert(table), batch)
            pdf_invoice = Invoice(
                company_id=company.id,
                client_id=client.id,
                number=f"INV-{size}-PDF",
                status="sent",
                currency="EUR",
                issue_date=today - timedelta(days=3),
                due_date=today + timedelta(days=27),
                po_number="PO-7781",
                public_notes="Thank you for your business.",
            )
            lines = build_lines(
                [
                    LineInput("Brand workshop (two days, on site)", 2000, 1_200_00, "VAT", 1900),
                    LineInput("Logo design, three revision rounds", 1000, 2_400_00, "VAT", 1900),
                    LineInput("Website hosting, 12 months", 12000, 29_00, "VAT", 1900),
                    LineInput("Printed business cards (500)", 500, 18_00, "VAT", 700),
                ]
            )
            apply_totals(pdf_invoice, lines, paid_minor=500_00)
            session.add(pdf_invoice)
            session.flush()
            for line in lines:
                line.invoice_id = pdf_invoice.id
                session.add(line)
            actor = Actor(
                company_id=company.id,
                client_id=client.id,
                contact_id=contact.id,
                session_id=0,
                kind="password",
            )
            # The pay-link QR code's invitation, as the first download commits it: later
            # renders find it (the PDF is the one clients get: Factur-X EN 16931 hybrid with
            # the EPC and pay-link QR codes).
            assert payment_qr.pay_link(session, actor=actor, invoice=pdf_invoice)
            actors[size] = (actor, pdf_invoice.id)
        session.commit()
    return actors


def pdf_job(engine: Engine, actor_and_invoice: tuple[Actor, int]) -> Callable[[], object]:
    """One download of the client's PDF invoice, in a fresh session as the download route does
    (invoice_files.invoice_pdf: the Factur-X hybrid with its EPC and pay-link QR codes)."""
    actor, pdf_id = actor_and_invoice

    def run() -> object:
        with Session(engine) as session:
            return invoice_files.invoice_pdf(session, actor=actor, invoice_id=pdf_id)

    return run


def pdf_before_after(args: argparse.Namespace) -> int:
    """The invoice PDF by the --before checkout's code and this one's, alternated; a table."""
    here = Path(__file__).resolve()
    worker_args = ["--sizes", ",".join(map(str, args.sizes)), "--seed", str(args.seed)]
    if args.database_url:
        worker_args += ["--database-url", args.database_url]
    results = compare(args.before.resolve(), here.parent.parent, here, worker_args, args.pdf_runs)
    database = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(f"{database}, median of {args.pdf_runs} downloads per checkout, alternated; ms; "
          f"before = {args.before}")  # fmt: skip
    print()
    print_before_after("invoice PDF download", results)
    return 0


def analyze(engine: Engine) -> None:
    """Refresh planner statistics (and PostgreSQL's visibility map), as autovacuum would."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        return
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def interleaved_medians(jobs: dict[Any, Callable[[], object]], runs: int) -> dict[Any, float]:
    """Median ms per job; runs go round-robin over the jobs so machine noise hits all alike.

    Like timeit, the garbage collector is paused while timing.
    """
    for fn in jobs.values():
        fn()  # warm-up: caches, prepared plans, imports
    times: dict[int, list[float]] = {key: [] for key in jobs}
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            for key, fn in jobs.items():
                start = time.perf_counter()
                fn()
                times[key].append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    return {key: statistics.median(values) for key, values in times.items()}


def visible_count(session: Session, actor: Actor) -> int:
    """How many invoices the client's list holds (drafts excluded)."""
    return session.exec(
        select(func.count())
        .select_from(Invoice)
        .where(
            Invoice.company_id == actor.company_id,
            Invoice.client_id == actor.client_id,
            col(Invoice.status).in_(VISIBLE_STATUSES),
        )
    ).one()


def measure(engine: Engine, actors: dict[int, tuple[Actor, int]], args) -> list[Result]:
    """Per size: first page, deep page (90% into the list) and one PDF of that client."""
    page_size = invoices.ListQuery().page_size
    deep_pages = {}
    with Session(engine) as session:
        for size, (actor, _) in actors.items():
            total = visible_count(session, actor)
            deep_pages[size] = max(1, int(total * 0.9) // page_size)

    # Each call gets a fresh session, like one page load in the app.
    def page(size: int, number: int) -> Callable[[], object]:
        actor, _ = actors[size]
        query = invoices.ListQuery(page=number)

        def run() -> object:
            with Session(engine) as session:
                return invoices.list_invoices(session, actor=actor, query=query)

        return run

    def pdf(size: int) -> Callable[[], object]:
        return pdf_job(engine, actors[size])

    for size in actors:
        assert page(size, 1)().rows, "the first page should not be empty"
    first = interleaved_medians({size: page(size, 1) for size in actors}, args.runs)
    print("measured first pages", file=sys.stderr)
    deep = interleaved_medians({size: page(size, deep_pages[size]) for size in actors}, args.runs)
    print("measured deep pages", file=sys.stderr)
    pdfs = interleaved_medians({size: pdf(size) for size in actors}, args.pdf_runs)
    return [
        Result(
            size=size,
            first_ms=first[size],
            deep_ms=deep[size],
            deep_page=deep_pages[size],
            pdf_ms=pdfs[size],
        )
        for size in actors
    ]


# (sort, descending) pairs the paging table measures: the default and one ascending sort.
PAGING_SORTS = (("date", True), ("due_date", False))


def measure_paging(
    engine: Engine, actor: Actor, runs: int
) -> tuple[list[tuple[str, str, int, float, float, float]], float]:
    """First, middle and last page of one client's list, by OFFSET (before: the page number
    alone, what every page cost until keyset paging), by keyset (from the page before's last
    key, or the reversed order for the last page; counted on every call, as a page turn
    does) and by keyset with the count kept (`ListQuery.ledger_stamp`: what a page load
    does, which reads the stamp anyway for its live watch), for each sort of PAGING_SORTS;
    all calls interleaved in one run. Returns the rows (sort, page, number, OFFSET, keyset,
    kept) and the median ms of the ledger stamp read itself (the load's, not in the rows)."""
    page_size = invoices.ListQuery().page_size
    with Session(engine) as session:
        total = visible_count(session, actor)
        stamp = ledger_stamp(session, actor=actor)
    last_page = max(1, -(-total // page_size))
    middle = max(2, last_page // 2)
    jobs: dict[tuple[str, str, str], Callable[[], object]] = {}
    numbers: dict[str, int] = {"first": 1, "middle": middle, "last": last_page}

    def call(query: invoices.ListQuery) -> Callable[[], object]:
        def run() -> object:
            with Session(engine) as session:
                return invoices.list_invoices(session, actor=actor, query=query)

        return run

    for sort, descending in PAGING_SORTS:
        base = {"sort": sort, "descending": descending, "page_size": page_size}
        with Session(engine) as session:
            before_middle = invoices.list_invoices(
                session, actor=actor, query=invoices.ListQuery(**base, page=middle - 1)
            )
            last = invoices.list_invoices(
                session, actor=actor, query=invoices.ListQuery(**base, last=True)
            )
            by_offset = invoices.list_invoices(
                session, actor=actor, query=invoices.ListQuery(**base, page=last_page)
            )
        # Both ways must show the same rows, or the comparison means nothing.
        assert last.page == last_page and [r.id for r in last.rows] == [
            r.id for r in by_offset.rows
        ], "keyset and OFFSET disagree on the last page"
        label = f"{sort} {'desc' if descending else 'asc'}"
        jobs[(label, "first", "offset")] = call(invoices.ListQuery(**base))
        jobs[(label, "first", "keyset")] = call(invoices.ListQuery(**base))
        jobs[(label, "middle", "offset")] = call(invoices.ListQuery(**base, page=middle))
        jobs[(label, "middle", "keyset")] = call(
            invoices.ListQuery(**base, page=middle, after=before_middle.last_key)
        )
        jobs[(label, "last", "offset")] = call(invoices.ListQuery(**base, page=last_page))
        jobs[(label, "last", "keyset")] = call(invoices.ListQuery(**base, last=True))
        kept = {**base, "ledger_stamp": stamp}
        jobs[(label, "first", "kept")] = call(invoices.ListQuery(**kept))
        jobs[(label, "middle", "kept")] = call(
            invoices.ListQuery(**kept, page=middle, after=before_middle.last_key)
        )
        jobs[(label, "last", "kept")] = call(invoices.ListQuery(**kept, last=True))

    def read_stamp() -> object:
        with Session(engine) as session:
            return ledger_stamp(session, actor=actor)

    jobs[("stamp", "", "")] = read_stamp
    medians = interleaved_medians(jobs, runs)
    rows = []
    for sort, descending in PAGING_SORTS:
        label = f"{sort} {'desc' if descending else 'asc'}"
        for which in ("first", "middle", "last"):
            rows.append(
                (
                    label,
                    which,
                    numbers[which],
                    medians[(label, which, "offset")],
                    medians[(label, which, "keyset")],
                    medians[(label, which, "kept")],
                )
            )
    return rows, medians[("stamp", "", "")]


def print_paging_table(
    rows: list[tuple[str, str, int, float, float, float]], size: int, stamp_ms: float
) -> None:
    """The OFFSET/keyset table and, per sort, the last page against the first (target 2x)."""
    print(f"\n#### Pages of the {size:,}-invoice list: OFFSET, keyset, keyset + kept count, ms\n")
    print(
        "| sort | page | number | OFFSET ms | keyset ms | keyset / first | count kept ms "
        "| kept / first |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    firsts = {sort: (after, kept) for sort, which, _, _, after, kept in rows if which == "first"}
    for sort, which, number, before, after, kept in rows:
        first, first_kept = firsts[sort]
        print(
            f"| {sort} | {which} | {number:,} | {before:.2f} | {after:.2f} "
            f"| {after / first:.2f}x | {kept:.2f} | {kept / first_kept:.2f}x |"
        )
    for sort, (first, first_kept) in firsts.items():
        last, last_kept = next(
            (after, kept) for s, which, _, _, after, kept in rows if s == sort and which == "last"
        )
        for how, ratio in (("counted", last / first), ("count kept", last_kept / first_kept)):
            verdict = "met" if ratio <= 2 else "MISSED"
            print(f"\n{sort}, {how}: last page / first page {ratio:.2f}x (target <= 2x: {verdict})")
    print(f"\nthe ledger stamp read by a page load (not in the figures above): {stamp_ms:.2f} ms")


def explain(engine: Engine, actor: Actor, page: int) -> None:
    """Print the plan of every statement list_invoices runs for `page`."""
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    with Session(engine) as session:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            invoices.list_invoices(session, actor=actor, query=invoices.ListQuery(page=page))
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        raw = session.connection().connection.driver_connection
        is_sqlite = engine.dialect.name == "sqlite"
        for statement, parameters in captured:
            if "FROM invoice" not in statement:
                continue
            prefix = "EXPLAIN QUERY PLAN " if is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
            cursor = raw.cursor()
            cursor.execute(prefix + statement, parameters)
            plan = cursor.fetchall()
            cursor.close()
            print(f"\n-- page {page}: {' '.join(statement.split())[:160]}...")
            for row in plan:
                print("   ", " | ".join(str(v) for v in row) if is_sqlite else row[0])


def print_table(results: list[Result], label: str) -> None:
    """The markdown table and the first-page ratio against the target."""
    print(f"\n### {label}\n")
    print("| size | first page ms | deep page ms | pdf ms |")
    print("|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.size:,} | {r.first_ms:.2f} | {r.deep_ms:.2f} | {r.pdf_ms:.1f} |")
    pages = ", ".join(f"{r.deep_page:,}" for r in results)
    print(f"\ndeep page = the page 90% into the list (page {pages}); 25 rows a page")
    smallest, largest = results[0], results[-1]
    ratio = largest.first_ms / smallest.first_ms if smallest.first_ms else float("inf")
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"\nfirst-page ratio {largest.size:,} / {smallest.size:,}: {ratio:.2f}x "
        f"(target <= {TARGET_RATIO}x: {verdict})"
    )


def main(argv: list[str] | None = None) -> int:
    """Seed, measure and print the results."""
    args = parse_args(argv)
    if args.before:
        return pdf_before_after(args)
    rng = random.Random(args.seed)
    with bench_engine(args.database_url) as (engine, label):
        SQLModel.metadata.create_all(engine)
        start = time.perf_counter()
        actors = seed(engine, args.sizes, rng)
        if args.worker:
            serve(
                {
                    f"invoice PDF, {size:,} invoices": pdf_job(engine, actors[size])
                    for size in actors
                }
            )
            return 0
        with engine.begin() as conn:
            for statement in args.extra_sql:
                conn.execute(text(statement))
        if not args.no_analyze:
            analyze(engine)
        print(
            f"seeded {sum(args.sizes):,} invoices in {time.perf_counter() - start:.1f}s "
            f"on {label}{'' if args.no_analyze else ', ANALYZEd'}"
            + "".join(f"; extra SQL: {sql}" for sql in args.extra_sql),
            file=sys.stderr,
        )
        results = measure(engine, actors, args)
        extra = "".join(f"; with `{sql}`" for sql in args.extra_sql)
        print_table(results, f"{label}, median of {args.runs} runs{extra}")
        if not args.no_paging:
            largest = args.sizes[-1]
            paging, stamp_ms = measure_paging(engine, actors[largest][0], args.runs)
            print_paging_table(paging, largest, stamp_ms)
        if args.explain:
            largest = args.sizes[-1]
            actor, _ = actors[largest]
            explain(engine, actor, 1)
            explain(engine, actor, results[-1].deep_page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
