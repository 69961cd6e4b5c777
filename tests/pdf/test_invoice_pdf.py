import dataclasses
import io
from datetime import date

from pypdf import PdfReader

from portal_app.pdf.invoice_pdf import render_invoice_pdf
from portal_app.services.billing import invoices
from portal_app.services.billing.invoice_math import LineInput


def _reader(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def _norm(text: str) -> str:
    """Babel puts no-break spaces in amounts; compare them as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _text(data: bytes) -> str:
    return _norm("\n".join(page.extract_text() for page in _reader(data).pages))


def _view(make, session, *, client_kw=None, **invoice_kw):
    company = make.company(name="Northwind Studio", city="Berlin", address1="12 Harbour Road")
    client = make.client(company, **(client_kw or {}))
    contact = make.contact(client)
    invoice = make.invoice(client, **invoice_kw)
    return invoices.invoice_view(session, actor=make.actor(contact), invoice_id=invoice.id)


def test_pdf_shows_number_totals_and_balance(make, session):
    # 2 x 100.00 + 20% VAT = 240.00; 100.00 paid leaves 140.00.
    view = _view(
        make,
        session,
        number="INV-0001",
        po_number="PO-42",
        lines=[LineInput("Consulting", 2000, 100_00, "VAT", 2000)],
        paid_minor=100_00,
    )
    data = render_invoice_pdf(view)
    text = _text(data)
    assert "INVOICE" in text
    assert "INV-0001" in text and "PO-42" in text
    assert "Northwind Studio" in text and "12 Harbour Road" in text
    assert view.client.name in text
    assert "Subtotal $200.00" in text
    assert "VAT 20% $40.00" in text
    assert "Total $240.00" in text
    assert "Paid to date $100.00" in text
    assert "Balance due $140.00" in text
    assert "Page 1 of 1" in text
    assert _reader(data).metadata.title == "Invoice INV-0001"


def test_partial_deposit_and_its_due_date(make, session):
    view = _view(
        make,
        session,
        lines=[LineInput("Retainer", 1000, 500_00)],
        partial_minor=150_00,
        partial_due_date=date(2026, 7, 1),
    )
    text = _text(render_invoice_pdf(view))
    assert "PARTIAL DEPOSIT DUE" in text
    assert "$150.00" in text
    assert "Due by Jul 1, 2026" in text
    assert "Partial deposit due Jul 1, 2026 $150.00" in text


def test_no_deposit_block_without_partial(make, session):
    view = _view(make, session, lines=[LineInput("Retainer", 1000, 500_00)])
    assert view.partial == ""
    assert "deposit" not in _text(render_invoice_pdf(view)).lower()


def test_euro_amounts_in_german_format(make, session):
    view = _view(
        make,
        session,
        client_kw={"locale": "de_DE"},
        currency="EUR",
        lines=[LineInput("Beratung", 1000, 1234_50, "MwSt.", 1900)],
    )
    text = _text(render_invoice_pdf(view))
    assert "1.234,50 €" in text
    assert "MwSt. 19% 234,56 €" in text
    assert "Total 1.469,06 €" in text


def test_yen_without_decimals(make, session):
    view = _view(make, session, currency="JPY", lines=[LineInput("Licence", 3000, 1500)])
    text = _text(render_invoice_pdf(view))
    assert "¥1,500" in text
    assert "Balance due ¥4,500" in text


def test_fullwidth_yen_of_japanese_locale_is_drawn(make, session):
    view = _view(
        make,
        session,
        client_kw={"locale": "ja_JP"},
        currency="JPY",
        lines=[LineInput("Licence", 1000, 2500)],
    )
    assert "\uffe5" in view.total  # Babel's ja_JP symbol, which DejaVu lacks
    assert "¥2,500" in _text(render_invoice_pdf(view))


def test_200_lines_flow_over_pages_with_header_and_page_numbers(make, session):
    lines = [LineInput(f"Line item number {i:03d}", 1000, 10_00) for i in range(200)]
    view = _view(make, session, lines=lines)
    reader = _reader(render_invoice_pdf(view))
    pages = [_norm(page.extract_text()) for page in reader.pages]
    count = len(pages)
    assert count >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in page
    table_pages = [page for page in pages if "Line item number" in page]
    assert len(table_pages) >= 3
    assert all("Description Qty Unit price Tax Net" in page for page in table_pages)
    everything = "\n".join(pages)
    assert all(f"Line item number {i:03d}" in everything for i in range(200))
    assert "Total $2,000.00" in pages[-1]


def test_database_text_is_plain_text(make, session):
    view = _view(
        make,
        session,
        lines=[LineInput("Widget {nb} <b>bold</b> **stars**", 1000, 10_00)],
        public_notes="<script>alert(1)</script>",
        terms="Pay within 14 days.\nNo cash.",
        footer="Registered in Berlin",
    )
    text = _text(render_invoice_pdf(view))
    assert "Widget {nb} <b>bold</b> **stars**" in text
    assert "<script>alert(1)</script>" in text
    assert "NOTES" in text and "TERMS" in text
    assert "Pay within 14 days." in text and "No cash." in text
    assert "Registered in Berlin" in text


def test_logo_drawn_only_when_the_file_exists(make, session, tmp_path):
    view = _view(make, session)
    assert view.logo_path.endswith("logo.png")  # the committed default logo
    with_logo = _reader(render_invoice_pdf(view))
    assert len(with_logo.pages[0].images) == 1

    without = _reader(render_invoice_pdf(dataclasses.replace(view, logo_path="")))
    assert len(without.pages[0].images) == 0
    missing = dataclasses.replace(view, logo_path=str(tmp_path / "nope.png"))
    assert len(_reader(render_invoice_pdf(missing)).pages[0].images) == 0
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    broken_view = dataclasses.replace(view, logo_path=str(broken))
    assert len(_reader(render_invoice_pdf(broken_view)).pages[0].images) == 0


def test_bad_primary_color_falls_back(make, session):
    view = dataclasses.replace(_view(make, session), primary_color="red;}")
    assert "INVOICE" in _text(render_invoice_pdf(view))
