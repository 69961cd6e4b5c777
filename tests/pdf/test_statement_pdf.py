"""Statement PDF read back with pypdf: closing balance equals the on-screen figure, over pages."""

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from portal_app.pdf.invoice_pdf import plain
from portal_app.pdf.statement_pdf import _clean, render_statement_pdf
from portal_app.schemas.invoice import PartyView
from portal_app.schemas.statement import StatementDocument, StatementRowView, StatementView
from portal_app.services.billing import statements
from portal_app.services.billing.invoice_math import LineInput
from tests.services.billing.test_statements import _pay


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [
        p.extract_text().replace("\u00a0", " ").replace("\u202f", " ")
        for p in PdfReader(io.BytesIO(data)).pages
    ]


def _closing(text: str, currency: str) -> str:
    match = re.search(rf"Closing balance {currency}\s*(\S+)", text)
    assert match, text[-500:]
    return match.group(1)


def test_multi_page_statement_in_two_currencies_reads_back(make, session):
    company = make.company(name="Northwind Studio", city="Berlin")
    client = make.client(company, name="Acme Corp")
    actor = make.actor(make.contact(client))
    first = date(2024, 1, 1)
    for i in range(90):
        invoice = make.invoice(
            client,
            lines=[LineInput("Work", 1000, 100_00 + i)],
            issue_date=first + timedelta(days=i * 3),
            due_date=first + timedelta(days=i * 3 + 30),
        )
        if i % 2:
            _pay(session, invoice, 50_00, first + timedelta(days=i * 3 + 5), f"P-{i}")
    eur = make.invoice(
        client,
        currency="EUR",
        lines=[LineInput("Work", 1000, 70_00)],
        issue_date=date(2024, 3, 1),
    )
    _pay(session, eur, 20_00, date(2024, 3, 10), "P-EUR")
    # Starts and ends inside the payment runs.
    views = statements.statement(
        session, actor=actor, start=date(2024, 1, 20), end=date(2024, 9, 1)
    )
    doc = statements.statement_document(session, actor=actor, views=views)
    pages = _pages(render_statement_pdf(doc))
    text = "\n".join(pages)
    assert len(pages) >= 3
    assert f"Page 1 of {len(pages)}" in pages[0]
    for view in views:
        assert (
            view.opening_minor + view.invoices_minor - view.payments_minor - view.credits_minor
            == view.closing_minor
        )
        assert _closing(text, view.currency) == view.closing.replace("\u00a0", " ")
    assert "Northwind Studio" in pages[0] and "Acme Corp" in pages[0]
    carried = re.findall(r"Carried forward\s*(\S+)", text)
    brought = re.findall(r"Brought forward\s*(\S+)", text)
    assert carried and carried == brought
    assert "AGING IN USD" in text.upper()


def test_empty_statement_says_no_activity(make, session):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    views = statements.statement(
        session, actor=actor, start=date(2024, 1, 1), end=date(2024, 1, 31)
    )
    pages = _pages(
        render_statement_pdf(statements.statement_document(session, actor=actor, views=views))
    )
    assert "NO ACTIVITY IN THIS PERIOD" in pages[0].upper()
    assert "Invoice" not in pages[0].replace("Invoices", "")


def _synthetic(lines: int, currencies=("USD",)) -> StatementDocument:
    """A statement document of `lines` rows per currency, no database needed."""
    party = PartyView(name="Northwind Studio", lines=["Berlin"])
    views = []
    for currency in currencies:
        rows = [
            StatementRowView(
                kind="invoice",
                date=f"Jan {1 + i % 28}, 2024",
                reference=f"INV-{i:05d}",
                description="Invoice",
                amount=f"${i}.00",
                balance=f"${i * 2:,}.00",
                amount_minor=i * 100,
                balance_minor=i * 200,
            )
            for i in range(lines)
        ]
        views.append(
            StatementView(
                currency=currency,
                start="Jan 1, 2024",
                end="Dec 31, 2024",
                opening="$0.00",
                invoices_total="$1.00",
                payments_total="$0.00",
                credits_total="$0.00",
                closing="$1.00",
                opening_minor=0,
                invoices_minor=100,
                payments_minor=0,
                credits_minor=0,
                closing_minor=100,
                rows=rows,
            )
        )
    return StatementDocument(
        company=party,
        client=PartyView(name="Acme Corp", lines=[]),
        start="Jan 1, 2024",
        end="Dec 31, 2024",
        status_label="All invoices",
        views=views,
    )


def test_progress_is_reported_every_n_lines_and_at_the_end():
    calls = []
    data = render_statement_pdf(
        _synthetic(120, ("EUR", "USD")),
        progress=lambda done, total: calls.append((done, total)),
        every=50,
    )
    assert data.startswith(b"%PDF-")
    assert calls[0] == (0, 240)
    assert calls[-1] == (240, 240)
    assert [done for done, _ in calls[1:-1]] == [50, 100, 150, 200]
    assert all(total == 240 for _, total in calls)


def test_a_progress_callback_that_raises_stops_the_rendering():
    class Stop(Exception):
        pass

    seen = []

    def cancel(done, total):
        seen.append(done)
        if done >= 100:
            raise Stop

    with pytest.raises(Stop):
        render_statement_pdf(_synthetic(1000), progress=cancel, every=100)
    assert seen[-1] == 100


def test_fast_rows_keep_every_line_and_right_align_the_amounts():
    text = "\n".join(_pages(render_statement_pdf(_synthetic(300))))
    for i in (0, 1, 57, 299):
        assert f"INV-{i:05d}" in text and f"${i * 2:,}.00" in text
    # Text cleaning matches the shared plain() used by every other PDF.
    for raw in ("a\r\nb\tc", " $1,234.00\u00a0", "x\u200by", "\uffe5100", "ok\x07z", ""):
        assert _clean(raw) == plain(raw, single_line=True)


def test_right_aligned_cells_end_at_the_column_edge():
    """Balances are right-aligned: longer figures start further left, equal ones line up."""
    reader = PdfReader(io.BytesIO(render_statement_pdf(_synthetic(30))))
    starts: dict[int, set[float]] = {}

    def visit(text, cm, tm, font, size):
        x, text = tm[4] * cm[0] + cm[4], text.strip()
        bold = "Bold" in str((font or {}).get("/BaseFont", ""))
        if text.startswith("$") and x > 480 and not bold:  # balance column, not the totals
            starts.setdefault(len(text), set()).add(round(x, 1))

    reader.pages[0].extract_text(visitor_text=visit)
    assert set(starts) >= {5, 6}, starts  # "$8.00" and "$18.00"
    assert len(starts[5]) == 1 and len(starts[6]) == 1
    assert min(starts[5]) > min(starts[6])
