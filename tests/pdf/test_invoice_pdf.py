import dataclasses
import io
import subprocess
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


def test_a_long_description_wraps_inside_its_column(make, session):
    """One-line rows are placed straight (issue 23); a description longer than its column
    still wraps over several lines of the table, its amounts on the row."""
    words = " ".join(f"word{i:02d}" for i in range(40))
    view = _view(
        make,
        session,
        lines=[LineInput("Short line", 1000, 10_00), LineInput(words, 2000, 7_50)],
    )
    text = _text(render_invoice_pdf(view))
    assert "Description Qty Unit price Tax Net" in text
    assert "Short line 1 $10.00" in text
    assert " ".join(text.split()).count("word") == 40
    lines = text.splitlines()
    wrapped = [i for i, line in enumerate(lines) if "word" in line]
    assert len(wrapped) >= 3  # several lines, one after another
    assert wrapped == list(range(wrapped[0], wrapped[0] + len(wrapped)))
    assert "$15.00" in text


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


NON_ASCII = "Zoë Ærøskøbing Ελλάδα Москва"


def _embedded_fonts(data: bytes) -> list[str]:
    """Base font names of the fonts embedded in the PDF (with their font file)."""
    names = []
    for page in _reader(data).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor
                names.append(str(descendant.get_object()["/BaseFont"]))
    return sorted(set(names))


def test_fonts_embedded_in_every_pdf_of_the_process(make, session):
    # The fonts are parsed once per process; each document still embeds its own subset.
    first = _view(make, session, client_kw={"name": NON_ASCII}, number="INV-A")
    second = _view(make, session, client_kw={"name": "Ørsted Ελλάδα"}, number="INV-B")
    data_first, data_second = render_invoice_pdf(first), render_invoice_pdf(second)
    again = render_invoice_pdf(first)
    assert NON_ASCII in _text(data_first) and "INV-A" in _text(data_first)
    assert "Ørsted Ελλάδα" in _text(data_second) and NON_ASCII not in _text(data_second)
    assert _text(again) == _text(data_first)
    for data, name in ((data_first, NON_ASCII), (data_second, "Ørsted Ελλάδα")):
        assert (
            name
            in subprocess.run(
                ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
            ).stdout.decode()
        )
        assert _embedded_fonts(data) == ["/MPDFAA+DejaVuSansBold", "/MPDFAA+DejaVuSansBook"]


def test_pdfs_rendered_in_threads_at_once_read_back(make, session):
    # Reflex runs handlers in threads: documents drawn at the same time share parsed fonts.
    from concurrent.futures import ThreadPoolExecutor

    names = [f"{NON_ASCII} {i}" for i in range(6)]
    views = [_view(make, session, client_kw={"name": name}) for name in names]
    with ThreadPoolExecutor(max_workers=6) as pool:
        pdfs = list(pool.map(render_invoice_pdf, views))
    for name, data in zip(names, pdfs, strict=True):
        text = _text(data)
        assert name in text
        assert [other for other in names if other != name and other in text] == []
