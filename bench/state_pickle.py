"""Pickling a page's Reflex state, with the rows' dataclasses pickled generically or positionally.

Usage:
    .venv/bin/python bench/state_pickle.py [--calls 2000] [--rounds 5]

One process, the portal's real state tree. Two states as an event finds them: the invoice
list's (25 rows, two "pay all due" groups) and the invoice page's (an invoice with 4 lines, 2
payments, both parties' addresses, 3 attachments). Each is pickled with Reflex's own
`BaseState._serialize` and loaded with `BaseState._deserialize`, what the Redis state manager
does per event for every state it writes and reads. Two arms alternate in rounds in this one
process: **generic**, the reducer core/pickling.positional_pickle adds taken off every class
that has it (dataclasses' copyreg/__setstate__ path, what the portal did before), and
**positional**, the reducer in place. Printed: process CPU µs per call (median of the rounds)
and the pickle's bytes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _compare import in_turn  # noqa: E402
from reflex.state import BaseState, State  # noqa: E402

import portal_app.pages.route_table  # noqa: E402, F401  (registers every page's state)
from portal_app.core import pickling  # noqa: E402
from portal_app.pages.client.invoice_detail import InvoiceDetailState  # noqa: E402
from portal_app.pages.client.invoices import InvoicesState  # noqa: E402
from portal_app.schemas.document import DocumentRowView  # noqa: E402
from portal_app.schemas.invoice import (  # noqa: E402
    InvoiceLineView,
    InvoicePaymentView,
    InvoiceRowView,
    InvoiceView,
    PartyView,
)
from portal_app.services.payments.checkout import PayableGroup  # noqa: E402


def _state(root: State, cls: type[BaseState]) -> BaseState:
    return root.get_substate(cls.get_full_name().split(".")[1:])


def _fill(root: State) -> list[BaseState]:
    """The two states with what a page view puts in them."""
    invoices = _state(root, InvoicesState)
    invoices.rows = [  # type: ignore[attr-defined]
        InvoiceRowView(
            id=1000 + i,
            number=f"INV-2026-{1000 + i:05d}",
            status="sent" if i % 3 else "paid",
            status_label="Sent" if i % 3 else "Paid",
            issue_date="Mar 4, 2026",
            due_date="Apr 3, 2026",
            amount=f"€{1234 + i * 17:,}.50",
            balance="€0.00" if i % 3 == 0 else f"€{1234 + i * 17:,}.50",
            is_overdue=i % 5 == 0,
            is_payable=i % 3 != 0,
        )
        for i in range(25)
    ]
    invoices.pay_groups = [  # type: ignore[attr-defined]
        PayableGroup(currency="EUR", count=12, total="€18,204.00"),
        PayableGroup(currency="USD", count=3, total="$2,010.00"),
    ]
    detail = _state(root, InvoiceDetailState)
    party = PartyView(name="Acme GmbH", lines=["Hauptstr. 1", "10115 Berlin", "Germany", "VAT DE1"])
    detail.invoice = InvoiceView(  # type: ignore[attr-defined]
        id=1001,
        number="INV-2026-01001",
        status="partial",
        status_label="Partly paid",
        currency="EUR",
        issue_date="Mar 4, 2026",
        due_date="Apr 3, 2026",
        po_number="PO-7731",
        company=party,
        client=PartyView(name="Client Ltd", lines=["1 High St", "London", "EC1A 1AA", "UK"]),
        lines=[
            InvoiceLineView(f"Consulting, week {i}", "12.5", "€95.00", "19%", "€1,187.50")
            for i in range(4)
        ],
        taxes=[("VAT 19%", "€902.50")],
        subtotal="€4,750.00",
        tax_total="€902.50",
        total="€5,652.50",
        paid_to_date="€2,000.00",
        balance="€3,652.50",
        partial="",
        partial_due_date="",
        terms="Payable within 30 days.",
        public_notes="Thank you for your business.",
        footer="Acme GmbH · Registergericht Berlin HRB 1234",
        is_overdue=False,
        is_payable=True,
        logo_path="",
        primary_color="#1f6feb",
        payment_qr_src="/api/invoices/1001/qr/epc",
        pay_link_qr_src="/api/invoices/1001/qr/pay",
        payments=[
            InvoicePaymentView(
                kind="payment",
                number=f"PAY-2026-{i:05d}",
                date="Mar 9, 2026",
                method="Visa •••• 4242",
                amount="€1,000.00",
                refunded="",
                is_refunded=False,
                href=f"/client/payments/{i}",
            )
            for i in range(2)
        ],
    )
    detail.attachments = [  # type: ignore[attr-defined]
        DocumentRowView(
            id=i,
            name=f"timesheet-march-{i}.pdf",
            type_label="PDF",
            size="182 KB",
            date="Mar 4, 2026",
            belongs_to="Invoice INV-2026-01001",
            belongs_to_url="/client/invoices/1001",
            preview="pdf",
        )
        for i in range(3)
    ]
    detail.loading = False  # type: ignore[attr-defined]
    return [invoices, detail]


def _reducers(on: bool, saved: dict[type, object]) -> None:
    """Put the positional reducers in place (on) or take them off every class that has one."""
    for cls, reducer in saved.items():
        if on:
            cls.__reduce_ex__ = reducer
        elif "__reduce_ex__" in cls.__dict__:
            delattr(cls, "__reduce_ex__")


def _time(states: list[BaseState], calls: int) -> dict[str, float]:
    """CPU µs per call of dumping and of loading each state."""
    out: dict[str, float] = {}
    for state in states:
        name = type(state).__name__
        c0 = time.process_time()
        for _ in range(calls):
            data = state._serialize()
        out[f"{name} dump"] = (time.process_time() - c0) / calls * 1e6
        c0 = time.process_time()
        for _ in range(calls):
            BaseState._deserialize(data)
        out[f"{name} load"] = (time.process_time() - c0) / calls * 1e6
        out[f"{name} bytes"] = len(data)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    saved = {cls: cls.__dict__["__reduce_ex__"] for cls in pickling._POSITIONAL}
    states = _fill(State(_reflex_internal_init=True))  # type: ignore[call-arg]
    arms = {"generic": False, "positional": True}
    results: dict[str, list[dict[str, float]]] = {arm: [] for arm in arms}
    for arm, on in arms.items():  # warm-up, and both arms must give back equal states
        _reducers(on, saved)
        _time(states, 50)
        for state in states:
            back = BaseState._deserialize(state._serialize())
            for var in ("rows", "pay_groups", "invoice", "attachments"):
                assert getattr(back, var, None) == getattr(state, var, None), (arm, var)
    for r, arm, on in in_turn(arms, args.rounds):
        _reducers(on, saved)
        results[arm].append(_time(states, args.calls))
        print(f"round {r + 1} {arm}: {results[arm][-1]}", file=sys.stderr)
    _reducers(True, saved)

    keys = list(results["generic"][0])
    print(
        f"{args.rounds} rounds x {args.calls} calls, alternated; CPU µs per call (median of rounds)"
    )
    print()
    print("| state | what | generic | positional | positional/generic |")
    print("|---|---|---:|---:|---:|")
    for key in keys:
        state, what = key.rsplit(" ", 1)
        before = statistics.median(run[key] for run in results["generic"])
        after = statistics.median(run[key] for run in results["positional"])
        if what == "bytes":
            print(f"| {state} | pickle bytes | {before:.0f} | {after:.0f} | {after / before:.2f} |")
        else:
            print(f"| {state} | {what} µs | {before:.1f} | {after:.1f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
