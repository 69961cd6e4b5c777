"""Benchmark: checkout to paid, for 1 and for 50 invoices at once, against a real localstripe.

Usage:
    .venv/bin/python bench/checkout.py [--runs 7] [--localstripe http://localhost:8420]

Without --localstripe a localstripe is started on a free port (from scratch) and stopped after.
Each run makes fresh invoices in a temporary SQLite database and goes through what the checkout
page does for a saved card: start the checkout (amounts, locks), claim it, charge it at Stripe,
and settle it from what Stripe reports. Prints a markdown table of median and worst times.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, SQLModel  # noqa: E402

import portal_app.models  # noqa: E402, F401
from portal_app.core.db import make_engine  # noqa: E402
from portal_app.gateways.stripe_gateway import StripeGateway  # noqa: E402
from portal_app.models import Client, ClientContact, Company, Invoice  # noqa: E402
from portal_app.services.billing.invoice_math import LineInput, apply_totals, build_lines  # noqa: E402
from portal_app.services.identity.actor import Actor  # noqa: E402
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _localstripe(url: str | None):
    if url:
        yield url
        return
    port = _free_port()
    exe = shutil.which("localstripe") or str(Path(sys.executable).parent / "localstripe")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    try:
        yield f"http://localhost:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _setup(engine, count: int) -> tuple[Actor, list[int]]:
    with Session(engine, expire_on_commit=False) as session:
        company = Company(name=f"Bench {time.monotonic_ns()}")
        session.add(company)
        session.flush()
        client = Client(company_id=company.id, name="Bench client")
        session.add(client)
        session.flush()
        contact = ClientContact(
            company_id=company.id, client_id=client.id, email=f"b{time.monotonic_ns()}@x.test"
        )
        session.add(contact)
        session.flush()
        ids = []
        for n in range(count):
            invoice = Invoice(
                company_id=company.id,
                client_id=client.id,
                number=f"B-{client.id}-{n}",
                status="sent",
                currency="USD",
                issue_date=__import__("datetime").date.today(),
            )
            lines = build_lines([LineInput("Work", 1000, 100_00, "Tax", 1000)])
            apply_totals(invoice, lines)
            session.add(invoice)
            session.flush()
            for line in lines:
                line.invoice_id = invoice.id
                session.add(line)
            ids.append(invoice.id)
        session.commit()
        return Actor(company.id, client.id, contact.id, 0, "password"), ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--localstripe")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, _localstripe(args.localstripe) as stripe_url:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        SQLModel.metadata.create_all(engine)
        gateway = StripeGateway(
            secret_key="sk_test_bench",
            publishable_key="pk_test_bench",
            webhook_secret="whsec_bench",
            api_base=stripe_url,
            js_url="",
        )
        import stripe  # the benchmark stands in for Stripe.js, which attaches the card

        sdk = stripe.StripeClient("sk_test_bench", base_addresses={"api": stripe_url})

        @contextmanager
        def tx():
            with Session(engine, expire_on_commit=False) as session:
                yield session
                session.commit()

        rows = []
        for count in (1, 50):
            times = []
            for _ in range(args.runs):
                actor, ids = _setup(engine, count)
                with tx() as session:
                    customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
                card = sdk.v1.payment_methods.create(
                    params={
                        "type": "card",
                        "card": {
                            "number": "4242424242424242",
                            "exp_month": 12,
                            "exp_year": 2031,
                            "cvc": "123",
                        },
                    }
                )
                sdk.v1.payment_methods.attach(card.id, params={"customer": customer})
                started_at = time.perf_counter()
                with tx() as session:
                    started = co.start_checkout(
                        session, actor=actor, request=co.CheckoutRequest(invoice_ids=ids)
                    )
                outcome = flow.pay_with_card(
                    tx,
                    actor=actor,
                    gateway=gateway,
                    checkout_id=started.checkout_id,
                    method_ref=card.id,
                )
                times.append((time.perf_counter() - started_at) * 1000)
                assert outcome.status == "succeeded", outcome
                with Session(engine) as session:
                    assert all(session.get(Invoice, i).status == "paid" for i in ids)
            rows.append((count, statistics.median(times), max(times)))

    print("| invoices in one checkout | median ms | worst ms |")
    print("|---:|---:|---:|")
    for count, median, worst in rows:
        print(f"| {count} | {median:.1f} | {worst:.1f} |")


if __name__ == "__main__":
    main()
