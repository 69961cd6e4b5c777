"""Quote PDF read back with pypdf (and pdftotext when installed): number, lines, totals."""

import io
import shutil
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from portal_app.pdf.quote_pdf import render_quote_pdf
from portal_app.services.billing import quote_files, quotes
from portal_app.services.billing.invoice_math import LineInput
from tests.helpers.quotes import add_quote


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(data)).pages
    return "\n".join(p.extract_text() for p in pages).replace("\u00a0", " ").replace("\u202f", " ")


def _setup(make, session, **kw):
    company = make.company(name="Northwind Studio", address1="12 Harbour Road")
    client = make.client(company, name="Acme Corp")
    actor = make.actor(make.contact(client))
    quote = add_quote(
        session,
        client,
        number="Q-0042",
        issue_date=date(2026, 3, 2),
        valid_until=kw.pop("valid_until", date(2026, 4, 1)),
        lines=[
            LineInput("Website redesign", 1000, 2400_00, "VAT", 2000),
            LineInput("Hosting {nb} setup", 2000, 50_00),
        ],
        terms="Half up front.",
        **kw,
    )
    return actor, quote


def test_quote_pdf_shows_number_lines_and_totals(make, session):
    actor, quote = _setup(make, session)
    view = quotes.quote_view(session, actor=actor, quote_id=quote.id, today=date(2026, 3, 5))
    text = _text(render_quote_pdf(view))
    for expected in (
        "QUOTE",
        "Q-0042",
        "Valid until",
        "Apr 1, 2026",
        "Acme Corp",
        "Northwind Studio",
        "Website redesign",
        "Hosting {nb} setup",  # database text is never a page-count alias
        "$2,500.00",  # subtotal
        "VAT 20%",
        "$480.00",
        "$2,980.00",
        "Half up front.",
        "Pending",
        "Page 1 of 1",
    ):
        assert expected in text, expected


def test_converted_quote_pdf_names_its_invoice(make, session):
    actor, quote = _setup(make, session, valid_until=None)
    result = quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id])
    _, data = quote_files.quote_pdf(session, actor=actor, quote_id=quote.id)
    text = _text(data)
    from portal_app.models import Invoice

    number = session.get(Invoice, result.invoice_ids[0]).number
    assert "Converted" in text and number in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_lines(make, session):
    actor, quote = _setup(make, session)
    # The day after its last valid day the quote reads as expired.
    view = quotes.quote_view(session, actor=actor, quote_id=quote.id, today=date(2026, 4, 2))
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=render_quote_pdf(view),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "Website redesign" in out and "Expired" in out
