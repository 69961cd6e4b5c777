"""Benchmark: statements of 1,000 and 10,000 lines, on screen and as PDF, beside a plain table.

Usage:
    .venv/bin/python bench/statement.py [--sizes 1000,10000] [--runs 3]

A fresh temporary SQLite file per run of the script (deleted afterwards). Per size one client
with size/2 invoices and size/2 part payments (so the statement has `size` rows) over one year.
Measured, each the median of --runs, with the peak of Python allocations (tracemalloc):
- screen: services.statements.statement for the page's first window of 100 lines (what the
  Statement page calls), and "all" for every line formatted;
- pdf: what the page's background build does: the statement with every line and its document
  (statement_files.prepare_statement), drawn with progress reports into a private file with a
  signed token (statement_files.write_statement_file);
- render: pdf.statement_pdf.render_statement_pdf alone, on the prepared document;
- plain: fpdf2 writing the same rows as a plain four-column table (date, reference, amount,
  balance) with the built-in Helvetica, the baseline the PDF is compared with.
Target: the 10,000-line PDF within 2x of the plain table, under 300 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fpdf import FPDF  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

import portal_app.models  # noqa: E402, F401  (registers every table)
from portal_app.core.db import make_engine  # noqa: E402
from portal_app.core.settings import get_settings  # noqa: E402
from portal_app.models import Client, Company, Invoice, Payment, PaymentAllocation  # noqa: E402
from portal_app.pdf.statement_pdf import render_statement_pdf  # noqa: E402
from portal_app.services.billing import statement_files, statements
from portal_app.services.identity.actor import Actor  # noqa: E402

START, END = date(2024, 1, 1), date(2024, 12, 31)


def seed(session: Session, company_id: int, size: int) -> Actor:
    client = Client(company_id=company_id, name=f"Client {size}")
    session.add(client)
    session.flush()
    now = datetime.now(UTC)
    half = size // 2
    invoices = [
        {
            "company_id": company_id,
            "client_id": client.id,
            "number": f"S{size}-{i:06d}",
            "status": "partial",
            "currency": "USD",
            "issue_date": START + timedelta(days=i * 365 // half),
            "due_date": START + timedelta(days=i * 365 // half + 30),
            "amount_minor": 100_00 + i,
            "paid_to_date_minor": 40_00,
            "balance_minor": 60_00 + i,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(half)
    ]
    session.execute(insert(Invoice), invoices)
    ids = session.exec(
        select(Invoice.id).where(Invoice.client_id == client.id).order_by(Invoice.id)
    ).all()
    payments = [
        {
            "company_id": company_id,
            "client_id": client.id,
            "number": f"P{size}-{i:06d}",
            "status": "completed",
            "currency": "USD",
            "amount_minor": 40_00,
            "applied_minor": 40_00,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(half)
    ]
    session.execute(insert(Payment), payments)
    pay_ids = session.exec(
        select(Payment.id).where(Payment.client_id == client.id).order_by(Payment.id)
    ).all()
    session.execute(
        insert(PaymentAllocation),
        [
            {
                "company_id": company_id,
                "payment_id": pid,
                "invoice_id": iid,
                "amount_minor": 40_00,
                "refunded_minor": 0,
                "created_at": datetime.combine(
                    START + timedelta(days=min(364, i * 365 // half + 5)),
                    datetime.min.time(),
                    tzinfo=UTC,
                ),
            }
            for i, (pid, iid) in enumerate(zip(pay_ids, ids, strict=True))
        ],
    )
    session.commit()
    return Actor(company_id=company_id, client_id=client.id, contact_id=0, session_id=0, kind="x")


def plain_table(view) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", size=8)
    for row in view.rows:
        for width, text in ((40, row.date), (50, row.reference), (40, row.amount)):
            pdf.cell(width, 6, text.replace("\u00a0", " "))
        pdf.cell(40, 6, row.balance.replace("\u00a0", " "), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def measure(fn, runs: int) -> tuple[float, float]:
    """Median seconds over `runs` (untraced), and the peak of Python allocations (MB) of one
    more traced run (tracemalloc slows the code down, so it is never timed)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return statistics.median(times), peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        # Built files go to the temporary folder too.
        os.environ["DOCUMENTS_ROOT"] = str(Path(tmp) / "documents")
        get_settings.cache_clear()
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        SQLModel.metadata.create_all(engine)
        with Session(engine) as session:
            company = Company(name="Bench")
            session.add(company)
            session.commit()
            actors = {size: seed(session, company.id, size) for size in sizes}
        print(
            "| lines | screen s | screen MB | screen all s | screen all MB | pdf s | pdf MB "
            "| render s | render MB | plain s | plain MB | pdf/plain | render/plain |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        span = {"start": START, "end": END}
        for size in sizes:
            actor = actors[size]

            def screen(actor=actor, limit=100):
                with Session(engine) as session:
                    return statements.statement(session, actor=actor, row_limit=limit, **span)

            def pdf(actor=actor, size=size):
                reports = []
                with Session(engine) as session:
                    name, doc = statement_files.prepare_statement(session, actor=actor, **span)
                built = statement_files.write_statement_file(
                    actor=actor,
                    filename=name,
                    doc=doc,
                    progress=lambda done, total: reports.append(done),
                )
                assert reports[-1] == size and built.size_bytes > 0
                return built

            with Session(engine) as session:
                doc = statement_files.prepare_statement(session, actor=actor, **span)[1]
            [view] = doc.views
            assert len(view.rows) == size, len(view.rows)
            s_t, s_m = measure(screen, args.runs)
            a_t, a_m = measure(lambda: screen(limit=None), args.runs)
            p_t, p_m = measure(pdf, args.runs)
            r_t, r_m = measure(lambda doc=doc: render_statement_pdf(doc), args.runs)
            b_t, b_m = measure(lambda view=view: plain_table(view), args.runs)
            print(
                f"| {size:,} | {s_t:.2f} | {s_m:.0f} | {a_t:.2f} | {a_m:.0f} | {p_t:.2f} "
                f"| {p_m:.0f} | {r_t:.2f} | {r_m:.0f} | {b_t:.2f} | {b_m:.0f} "
                f"| {p_t / b_t:.1f}x | {r_t / b_t:.1f}x |"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
