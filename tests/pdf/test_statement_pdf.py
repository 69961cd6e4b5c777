"""Statement PDF read back with pypdf: closing balance equals the on-screen figure, over pages."""

import io
import re
from datetime import date, timedelta

from pypdf import PdfReader

from portal_app.pdf.statement_pdf import render_statement_pdf
from portal_app.services import statements
from portal_app.services.invoice_math import LineInput
from tests.services.test_statements import _pay


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
