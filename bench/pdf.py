"""Render time of each client PDF, fonts parsed per document (before) and once per process (after).

Builds one view per kind in memory (no database: the renderers take view objects) with
non-ASCII names and addresses, then renders each kind `--runs` times per arm, the two arms
interleaved run by run so background load hits both alike, and prints median and p95 wall
milliseconds and median CPU milliseconds of the rendering thread per kind and arm.

- before: each document calls fpdf2's `add_font` for both DejaVu files, as
  `pdf.invoice_pdf._InvoiceDocument` did before `pdf.fonts` existed;
- after: `pdf.fonts.add_document_fonts`, the code in use.

    .venv/bin/python bench/pdf.py --runs 41

With `--einvoice` (issue 21) it times instead the same invoice as a plain PDF (no XML, no QR
codes) and as what clients get now: the Factur-X hybrid (EN 16931 XML written and XSD-checked,
PDF/A-3 with the XML embedded), the EPC payment QR code and the pay-link QR code; and a CHF
invoice with the Swiss QR-bill payment part (SVG drawn by fpdf2) and the pay-link QR. Target:
the hybrid within 1.5x of the plain PDF.

    .venv/bin/python bench/pdf.py --einvoice --runs 21

With `--before PATH` (issue 23) it renders every kind and the e-invoice arms with the portal
code of another checkout (e.g. a `git worktree` of the start commit) and of this one, in two
worker processes, alternated call by call (bench/_compare.py), and prints before and after.

    .venv/bin/python bench/pdf.py --before /tmp/wt-before --runs 21
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _compare import code_root, compare, print_table, serve  # noqa: E402

sys.path.insert(0, code_root(Path(__file__).resolve().parent.parent))

from dataclasses import replace  # noqa: E402

from fpdf import FPDF  # noqa: E402

from portal_app.core.i18n import use_language  # noqa: E402
from portal_app.pdf import fonts, invoice_pdf  # noqa: E402
from portal_app.pdf.credit_pdf import render_credit_pdf  # noqa: E402
from portal_app.pdf.invoice_pdf import render_invoice_pdf  # noqa: E402
from portal_app.pdf.quote_pdf import render_quote_pdf  # noqa: E402
from portal_app.pdf.receipt_pdf import render_receipt_pdf  # noqa: E402
from portal_app.pdf.statement_pdf import render_statement_pdf  # noqa: E402
from portal_app.schemas.credit import CreditView  # noqa: E402
from portal_app.schemas.einvoice import (  # noqa: E402
    EInvoiceData,
    EInvoiceLine,
    EInvoiceParty,
    EInvoiceTax,
)
from portal_app.schemas.invoice import InvoiceLineView, InvoiceView, PartyView  # noqa: E402
from portal_app.schemas.payment import PaymentInvoiceView, PaymentView  # noqa: E402
from portal_app.schemas.quote import QuoteView  # noqa: E402
from portal_app.schemas.statement import (  # noqa: E402
    StatementDocument,
    StatementRowView,
    StatementView,
)

COMPANY = PartyView(
    name="Northwind Studio", lines=["12 Harbour Road", "10115 Berlin", "Germany", "VAT DE123"]
)
CLIENT = PartyView(name="Zoë Ærøskøbing", lines=["Οδός Ερμού 5", "105 63 Αθήνα, Ελλάδα", "Москва"])
LINES = [
    InvoiceLineView("Brand workshop (two days, on site)", "2", "€1,200.00", "VAT 19%", "€2,400.00"),
    InvoiceLineView("Logo design, three revision rounds", "1", "€2,400.00", "VAT 19%", "€2,400.00"),
    InvoiceLineView("Website hosting, 12 months", "12", "€29.00", "VAT 19%", "€348.00"),
    InvoiceLineView("Printed business cards (500)", "500", "€0.036", "VAT 7%", "€18.00"),
]
TOTALS = {
    "taxes": [("VAT 19%", "€979.12"), ("VAT 7%", "€1.26")],
    "subtotal": "€5,166.00",
    "tax_total": "€980.38",
    "total": "€6,146.38",
}


def invoice_view() -> InvoiceView:
    """An invoice of four lines, partly paid, as bench/invoice_list.py renders."""
    return InvoiceView(
        id=1,
        number="INV-2026-0042",
        status="partial",
        status_label="Partly paid",
        currency="EUR",
        issue_date="3 Dec 2026",
        due_date="2 Jan 2027",
        po_number="PO-7781",
        company=COMPANY,
        client=CLIENT,
        lines=LINES,
        paid_to_date="€500.00",
        balance="€5,646.38",
        partial="",
        partial_due_date="",
        terms="Payment within 30 days.",
        public_notes="Thank you for your business.",
        footer="Northwind Studio · Registered in Berlin",
        is_overdue=False,
        is_payable=True,
        logo_path="",
        primary_color="#4f46e5",
        **TOTALS,
    )


def quote_view() -> QuoteView:
    """A quote of the same four lines."""
    return QuoteView(
        id=1,
        number="QUO-0007",
        status="sent",
        status_label="Sent",
        currency="EUR",
        issue_date="3 Dec 2026",
        valid_until="2 Jan 2027",
        po_number="",
        company=COMPANY,
        client=CLIENT,
        lines=LINES,
        terms="Valid for 30 days.",
        **TOTALS,
    )


def credit_view() -> CreditView:
    """A credit note of the same four lines."""
    return CreditView(
        id=1,
        number="CR-0003",
        status="sent",
        status_label="Open",
        currency="EUR",
        issue_date="3 Dec 2026",
        company=COMPANY,
        client=CLIENT,
        lines=LINES,
        used="€0.00",
        balance="€6,146.38",
        **TOTALS,
    )


def receipt_view() -> PaymentView:
    """A card payment for three invoices."""
    return PaymentView(
        id=1,
        number="PAY-000123",
        status="completed",
        status_label="Completed",
        currency="EUR",
        date="3 Dec 2026",
        method_label="Visa •••• 4242",
        transaction_reference="pi_3Nk2",
        failure_message="",
        company=COMPANY,
        client=CLIENT,
        invoices=[
            PaymentInvoiceView(i, f"INV-2026-00{40 + i}", "€1,000.00", "", True) for i in range(3)
        ],
        amount="€3,000.00",
        total="€3,000.00",
        applied="€3,000.00",
    )


def statement_doc(lines: int = 200) -> StatementDocument:
    """A one-currency statement of `lines` rows (about five pages)."""
    rows = [
        StatementRowView(
            kind="invoice",
            date=f"{1 + i % 28} Jan 2026",
            reference=f"INV-{i:05d}",
            description="Invoice",
            amount=f"€{i}.00",
            balance=f"€{i * 2:,}.00",
            amount_minor=i * 100,
            balance_minor=i * 200,
        )
        for i in range(lines)
    ]
    view = StatementView(
        currency="EUR",
        start="1 Jan 2026",
        end="31 Dec 2026",
        opening="€0.00",
        invoices_total="€1.00",
        payments_total="€0.00",
        credits_total="€0.00",
        closing="€1.00",
        opening_minor=0,
        invoices_minor=100,
        payments_minor=0,
        credits_minor=0,
        closing_minor=100,
        rows=rows,
    )
    return StatementDocument(
        company=COMPANY,
        client=CLIENT,
        start="1 Jan 2026",
        end="31 Dec 2026",
        status_label="All invoices",
        views=[view],
    )


def einvoice_data(currency: str = "EUR") -> EInvoiceData:
    """The EN 16931 data of `invoice_view()`'s four lines, every required field present."""
    party = {"address1": "12 Harbour Road", "postal_code": "10115", "city": "Berlin"}
    return EInvoiceData(
        type_code="380",
        number="INV-2026-0042",
        issue_date="2026-12-03",
        due_date="2027-01-02",
        currency=currency,
        seller=EInvoiceParty(
            name="Northwind Studio GmbH", vat_number="DE123456789", country_code="DE", **party
        ),
        buyer=EInvoiceParty(
            name="Zoë Ærøskøbing",
            address1="Οδός Ερμού 5",
            postal_code="10563",
            city="Αθήνα",
            country_code="GR",
        ),  # fmt: skip
        lines=[
            EInvoiceLine(
                "1",
                "Brand workshop (two days, on site)",
                "2.000",
                "1200.00",
                "2400.00",
                "S",
                "19.00",
            ),
            EInvoiceLine(
                "2",
                "Logo design, three revision rounds",
                "1.000",
                "2400.00",
                "2400.00",
                "S",
                "19.00",
            ),
            EInvoiceLine(
                "3", "Website hosting, 12 months", "12.000", "29.00", "348.00", "S", "19.00"
            ),
            EInvoiceLine(
                "4", "Printed business cards (500)", "500.000", "0.04", "18.00", "S", "7.00"
            ),
        ],  # fmt: skip
        taxes=[
            EInvoiceTax("S", "19.00", "5148.00", "978.12"),
            EInvoiceTax("S", "7.00", "18.00", "1.26"),
        ],  # fmt: skip
        line_total="5166.00",
        tax_total="979.38",
        grand_total="6145.38",
        prepaid="500.00",
        due_payable="5645.38",
        payment_terms="30 days net",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
    )


PAY_LINK = "https://portal.example.com/client/invoice/" + "k" * 22
EPC = "\n".join(
    ["BCD", "002", "1", "SCT", "COBADEFFXXX", "Northwind Studio GmbH",
     "DE89370400440532013000", "EUR5645.38", "", "", "INV-2026-0042"]
)  # fmt: skip


def swiss_bill_svg() -> tuple[str, str]:
    """The Swiss QR-bill (payload, SVG) of the invoice's balance in CHF, as qrbill writes it."""
    import io

    import qrbill

    bill = qrbill.QRBill(
        account="CH9300762011623852957",
        creditor={"name": "Northwind Studio GmbH", "street": "Bahnhofstrasse 1",
                  "pcode": "8001", "city": "Zürich", "country": "CH"},
        amount="5645.38",
        currency="CHF",
        additional_information="INV-2026-0042",
        font_factor=0.9,
    )  # fmt: skip
    out = io.StringIO()
    bill.as_svg(out)
    return bill.qr_data(), out.getvalue()


# Letters one of which or more goes into the client's name of the "new glyphs" arm, a
# different choice on every render (the bits of the render's number pick them).
GLYPH_POOL = "ĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘę"


def einvoice_arms() -> dict[str, Callable[[], bytes]]:
    """The plain invoice PDF, the hybrid with its QR codes (as clients get it; the same codes on
    every render, as for one invoice), the same with new QR payloads on every render (as for
    many invoices: no code is drawn twice), the same with a glyph set never drawn before on
    every render (no kept font program fits: issue 23 item 5), and the CHF one with the Swiss
    QR-bill."""
    plain = invoice_view()
    hybrid = replace(plain, einvoice=einvoice_data(), payment_qr=EPC, pay_link=PAY_LINK)
    counter = itertools.count()
    glyph_counter = itertools.count(1)

    def fresh_glyphs() -> bytes:
        n = next(glyph_counter)
        extra = "".join(ch for i, ch in enumerate(GLYPH_POOL) if n >> i & 1)
        client = replace(hybrid.client, name=f"{hybrid.client.name} {extra}")
        return render_invoice_pdf(replace(hybrid, client=client))

    def fresh_codes() -> bytes:
        n = next(counter)
        return render_invoice_pdf(
            replace(hybrid, payment_qr=f"{EPC}-{n}", pay_link=f"{PAY_LINK[:-8]}{n:08d}")
        )

    swiss_payload, swiss_svg = swiss_bill_svg()
    swiss = replace(
        plain,
        currency="CHF",
        einvoice=einvoice_data("CHF"),
        swiss_qr=swiss_payload,
        swiss_qr_svg=swiss_svg,
        pay_link=PAY_LINK,
    )
    return {
        "plain PDF": lambda: render_invoice_pdf(plain),
        "hybrid + EPC + pay-link QR": lambda: render_invoice_pdf(hybrid),
        "hybrid + EPC + pay-link QR, new codes each render": fresh_codes,
        "hybrid + EPC + pay-link QR, new glyphs each render": fresh_glyphs,
        "hybrid + Swiss QR-bill + pay-link QR (CHF)": lambda: render_invoice_pdf(swiss),
    }


def einvoice_main(runs: int) -> None:
    """Plain invoice PDF against the hybrid with its QR codes (and the Swiss QR-bill), timed
    interleaved; prints median and p95 wall and median CPU ms, and each arm's ratio to plain."""
    arms = einvoice_arms()
    results = {arm: Timing([], []) for arm in arms}
    for run in range(runs + 1):  # run 0 warms up (fonts, XSD, imports)
        for arm, render in arms.items():
            wall, cpu = timed(render)
            if run:
                results[arm].wall.append(wall)
                results[arm].cpu.append(cpu)
        print(f"run {run}/{runs}", file=sys.stderr)
    base = statistics.median(results["plain PDF"].wall)
    print(f"median of {runs} renders per arm, interleaved; ms")
    print()
    print("| invoice PDF | median | p95 | cpu | / plain |")
    print("|---|---:|---:|---:|---:|")
    for arm, timing in results.items():
        median = statistics.median(timing.wall)
        print(
            f"| {arm} | {median:.1f} | {p95(timing.wall):.1f} | "
            f"{statistics.median(timing.cpu):.1f} | {median / base:.2f} |"
        )


def parse_every_time(pdf: FPDF, language: str = "en") -> None:
    """The fonts as documents got them before pdf.fonts: fpdf2 parses both files."""
    for style, path in fonts.font_files(language).items():
        pdf.add_font(fonts.FONT, style, str(path))


ARMS: dict[str, Callable[[FPDF], None]] = {
    "before": parse_every_time,
    "after": fonts.add_document_fonts,
}


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]


def timed(render: Callable[[], bytes]) -> tuple[float, float]:
    """Wall and thread-CPU milliseconds of one render, the garbage collector paused."""
    gc.collect()
    gc.disable()
    try:
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        render()
        return (time.perf_counter() - wall0) * 1000, (time.thread_time() - cpu0) * 1000
    finally:
        gc.enable()


def p95(values: list[float]) -> float:
    """The 95th percentile (inclusive method)."""
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> None:
    """Render every kind in both arms, interleaved, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed renders per kind and arm")
    parser.add_argument("--statement-lines", type=int, default=200)
    parser.add_argument(
        "--einvoice", action="store_true", help="plain invoice PDF against the e-invoice one"
    )
    parser.add_argument(
        "--language",
        default="en",
        help="render in this language (issue 20: ja has the CJK font, ar is right to left)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout: time its code (before) against this one's (after), alternated",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.before:
        before_after(args)
        return
    with use_language(args.language):
        if args.worker:
            jobs = {**kinds(args.statement_lines), **einvoice_arms()}
            serve({name: _in_language(job, args.language) for name, job in jobs.items()})
            return
        _run(args)


def _in_language(job: Callable[[], bytes], language: str) -> Callable[[], bytes]:
    def run() -> bytes:
        with use_language(language):
            return job()

    return run


def before_after(args: argparse.Namespace) -> None:
    """Every kind and e-invoice arm rendered by the --before checkout's code and this one's."""
    here = Path(__file__).resolve()
    worker_args = ["--statement-lines", str(args.statement_lines), "--language", args.language]
    results = compare(args.before.resolve(), here.parent.parent, here, worker_args, args.runs)
    print(f"median of {args.runs} renders per kind and checkout, alternated; ms; "
          f"language {args.language}; before = {args.before}")  # fmt: skip
    print()
    print_table("PDF", results)


def kinds(statement_lines: int) -> dict[str, Callable[[], bytes]]:
    """One render per client PDF kind, from views built once."""
    return {
        "invoice": lambda v=invoice_view(): render_invoice_pdf(v),
        "quote": lambda v=quote_view(): render_quote_pdf(v),
        "credit": lambda v=credit_view(): render_credit_pdf(v),
        "receipt": lambda v=receipt_view(): render_receipt_pdf(v),
        "statement": lambda d=statement_doc(statement_lines): render_statement_pdf(d),
    }


def _run(args: argparse.Namespace) -> None:
    if args.einvoice:
        einvoice_main(args.runs)
        return
    kinds_ = kinds(args.statement_lines)
    results = {(kind, arm): Timing([], []) for kind in kinds_ for arm in ARMS}
    for run in range(args.runs + 1):  # run 0 warms up (first parse, imports)
        for kind, render in kinds_.items():
            for arm, add_fonts in ARMS.items():
                invoice_pdf.add_document_fonts = add_fonts  # what _InvoiceDocument calls
                wall, cpu = timed(render)
                if run:
                    results[kind, arm].wall.append(wall)
                    results[kind, arm].cpu.append(cpu)
        print(f"run {run}/{args.runs}", file=sys.stderr)
    invoice_pdf.add_document_fonts = fonts.add_document_fonts

    print(f"median of {args.runs} renders per kind and arm, interleaved; ms")
    print()
    print("| kind | before median | before p95 | before cpu | after median | after p95 "
          "| after cpu | after/before |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in kinds_:
        before, after = results[kind, "before"], results[kind, "after"]
        b_med, a_med = statistics.median(before.wall), statistics.median(after.wall)
        print(
            f"| {kind} | {b_med:.1f} | {p95(before.wall):.1f} | "
            f"{statistics.median(before.cpu):.1f} | {a_med:.1f} | {p95(after.wall):.1f} | "
            f"{statistics.median(after.cpu):.1f} | {a_med / b_med:.2f} |"
        )


if __name__ == "__main__":
    main()
