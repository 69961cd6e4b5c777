"""Benchmark: the client payment list (first and deep page) and one receipt PDF, by list size.

Usage:
    .venv/bin/python bench/payments_list.py [--sizes 100,10000] [--database-url URL]

Without --database-url a fresh temporary SQLite file is used and deleted afterwards. With a
PostgreSQL URL the tables go into a throwaway schema that is dropped at the end. Each size gets
its own client (all in one company). Engine set-up, ANALYZE and timing are shared with
bench/invoice_list.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from invoice_list import analyze, bench_engine, interleaved_medians  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel, func, select  # noqa: E402

import portal_app.models  # noqa: E402, F401  (registers every table)
from portal_app.models import (  # noqa: E402
    Client,
    Company,
    Credit,
    Invoice,
    Payment,
    PaymentAllocation,
)
from portal_app.services.identity.actor import Actor  # noqa: E402
from portal_app.services.payments import payment_files, payments

CHUNK = 5_000
STATUS_WEIGHTS = {"completed": 86, "failed": 6, "refunded": 3, "partly_refunded": 3, "pending": 2}
INVOICES_PER_CLIENT = 50
TARGET_RATIO = 1.5


@dataclass
class Result:
    """Medians for one list size."""

    size: int
    first_ms: float
    deep_ms: float
    deep_page: int
    receipt_ms: float


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000", help="comma-separated list sizes")
    parser.add_argument("--database-url", default="", help="default: a fresh temp SQLite file")
    parser.add_argument("--runs", type=int, default=21, help="timed runs per measurement")
    parser.add_argument("--pdf-runs", type=int, default=7, help="timed runs of the receipt")
    parser.add_argument("--seed", type=int, default=1234, help="random seed for the data")
    parser.add_argument(
        "--no-analyze", action="store_true", help="skip ANALYZE after seeding (planner stats)"
    )
    args = parser.parse_args(argv)
    args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not args.sizes or min(args.sizes) <= 0:
        parser.error("--sizes needs positive integers")
    return args


def _invoice_row(company_id: int, client_id: int, number: str, issue: date, now) -> dict:
    return {
        "company_id": company_id,
        "client_id": client_id,
        "number": number,
        "status": "paid",
        "currency": "USD",
        "issue_date": issue,
        "due_date": issue + timedelta(days=30),
        "po_number": "",
        "subtotal_minor": 100_00,
        "tax_minor": 0,
        "amount_minor": 100_00,
        "paid_to_date_minor": 100_00,
        "balance_minor": 0,
        "partial_minor": 0,
        "partial_due_date": None,
        "terms": "",
        "public_notes": "",
        "footer": "",
        "sent_at": now,
        "last_viewed_at": None,
        "created_at": now,
        "updated_at": now,
    }


def payment_rows(
    rng: random.Random, company_id: int, client_id: int, size: int, first_id: int
) -> Iterator[tuple[dict, list[dict]]]:
    """`size` payments over eight years with their allocations (ids assigned here)."""
    start = datetime.now(UTC) - timedelta(days=8 * 365)
    for i in range(size):
        payment_id = first_id + i
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        amount = rng.randint(10, 5_000) * 100
        received = status != "failed" and status != "pending"
        applied = amount if received and rng.random() < 0.95 else 0
        refunded = {"refunded": amount, "partly_refunded": amount // 4}.get(status, 0)
        when = start + timedelta(seconds=rng.randint(0, 8 * 365 * 86_400))
        yield (
            {
                "id": payment_id,
                "company_id": company_id,
                "client_id": client_id,
                "contact_id": None,
                "number": f"PAY-{size}-{i:07d}",
                "status": status,
                "currency": "USD",
                "amount_minor": amount,
                "applied_minor": applied,
                "refunded_minor": refunded,
                "method": "card",
                "method_label": "Visa •••• 4242",
                "gateway": "stripe",
                "gateway_reference": None,
                "failure_message": "Your card was declined." if status == "failed" else "",
                "paid_at": when if received else None,
                "created_at": when,
                "updated_at": when,
            },
            [{"payment_id": payment_id, "amount_minor": applied, "refunded_minor": refunded}]
            if applied
            else [],
        )


def seed(engine: Engine, sizes: list[int], rng: random.Random) -> dict[int, tuple[Actor, int]]:
    """One company; per size a client with that many payments, a few invoices and a credit."""
    today = date.today()
    now = datetime.now(UTC)
    actors: dict[int, tuple[Actor, int]] = {}
    next_payment_id = 1
    with Session(engine) as session:
        company = Company(name="Northwind Studio", address1="12 Harbour Road", city="Berlin")
        session.add(company)
        session.flush()
        for size in sizes:
            client = Client(company_id=company.id, name=f"Client with {size} payments")
            session.add(client)
            session.flush()
            session.execute(
                insert(Invoice.__table__),
                [
                    _invoice_row(company.id, client.id, f"INV-{size}-{n:04d}", today, now)
                    for n in range(INVOICES_PER_CLIENT)
                ],
            )
            invoice_ids = list(
                session.exec(select(Invoice.id).where(Invoice.client_id == client.id)).all()
            )
            credit = Credit(
                company_id=company.id,
                client_id=client.id,
                number=f"CR-{size}",
                status="partial",
                currency="USD",
                issue_date=today,
                amount_minor=1_000_000,
                balance_minor=500_000,
            )
            session.add(credit)
            session.flush()
            batch: list[dict] = []
            allocations: list[dict] = []
            for payment, its_allocations in payment_rows(
                rng, company.id, client.id, size, next_payment_id
            ):
                batch.append(payment)
                for allocation in its_allocations:
                    allocations.append(
                        {
                            **allocation,
                            "company_id": company.id,
                            "credit_id": None,
                            "invoice_id": rng.choice(invoice_ids),
                            "created_at": payment["created_at"],
                        }
                    )
                    if rng.random() < 0.05:  # some checkouts also used credit
                        allocations.append(
                            {
                                **allocation,
                                "company_id": company.id,
                                "credit_id": credit.id,
                                "invoice_id": rng.choice(invoice_ids),
                                "amount_minor": 10_00,
                                "refunded_minor": 0,
                                "created_at": payment["created_at"],
                            }
                        )
                if len(batch) >= CHUNK:
                    session.execute(insert(Payment.__table__), batch)
                    session.execute(insert(PaymentAllocation.__table__), allocations)
                    batch, allocations = [], []
            if batch:
                session.execute(insert(Payment.__table__), batch)
            if allocations:
                session.execute(insert(PaymentAllocation.__table__), allocations)
            next_payment_id += size
            # The receipt is rendered for the newest payment of the client.
            newest = session.exec(
                select(Payment.id)
                .where(Payment.client_id == client.id)
                .order_by(Payment.created_at.desc(), Payment.id.desc())
            ).first()
            actor = Actor(company.id, client.id, 0, 0, "password")
            actors[size] = (actor, newest)
        session.commit()
    if engine.dialect.name == "postgresql":  # ids were given explicitly: move the sequence on
        with engine.begin() as conn:
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('payment', 'id'), :v)"),
                {"v": next_payment_id},
            )
    return actors


def measure(engine: Engine, actors: dict[int, tuple[Actor, int]], args) -> list[Result]:
    """Per size: first page, deep page (90% into the list) and the receipt of one payment."""
    page_size = 25
    deep_pages = {}
    with Session(engine) as session:
        for size, (actor, _) in actors.items():
            total = session.exec(
                select(func.count())
                .select_from(Payment)
                .where(Payment.client_id == actor.client_id)
            ).one()
            deep_pages[size] = max(1, int(total * 0.9) // page_size)

    def page(size: int, number: int) -> Callable[[], object]:
        actor, _ = actors[size]

        def run() -> object:
            with Session(engine) as session:
                return payments.list_payments(session, actor=actor, page=number)

        return run

    def receipt(size: int) -> Callable[[], object]:
        actor, payment_id = actors[size]

        def run() -> object:
            with Session(engine) as session:
                return payment_files.payment_receipt(session, actor=actor, payment_id=payment_id)

        return run

    for size in actors:
        assert page(size, 1)().rows, "the first page should not be empty"
        assert page(size, deep_pages[size])().rows, "the deep page should not be empty"
    first = interleaved_medians({size: page(size, 1) for size in actors}, args.runs)
    print("measured first pages", file=sys.stderr)
    deep = interleaved_medians({size: page(size, deep_pages[size]) for size in actors}, args.runs)
    print("measured deep pages", file=sys.stderr)
    pdfs = interleaved_medians({size: receipt(size) for size in actors}, args.pdf_runs)
    return [Result(size, first[size], deep[size], deep_pages[size], pdfs[size]) for size in actors]


def print_table(results: list[Result], label: str) -> None:
    """The markdown table and the first-page ratio against the target."""
    print(f"\n### {label}\n")
    print("| payments | first page ms | deep page ms | receipt pdf ms |")
    print("|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.size:,} | {r.first_ms:.2f} | {r.deep_ms:.2f} | {r.receipt_ms:.1f} |")
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
    rng = random.Random(args.seed)
    with bench_engine(args.database_url) as (engine, label):
        SQLModel.metadata.create_all(engine)
        start = time.perf_counter()
        actors = seed(engine, args.sizes, rng)
        if not args.no_analyze:
            analyze(engine)
        print(
            f"seeded {sum(args.sizes):,} payments in {time.perf_counter() - start:.1f}s "
            f"on {label}{'' if args.no_analyze else ', ANALYZEd'}",
            file=sys.stderr,
        )
        results = measure(engine, actors, args)
        print_table(results, f"{label}, median of {args.runs} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
