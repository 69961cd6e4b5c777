"""Client PDFs in the reader's language (issue 20), read back with pdftotext: a Japanese
statement with its headings and yen amounts in a CJK font, an Arabic invoice right to left with
Arabic headings, and German money for a US client whose contact reads German."""

from __future__ import annotations

import subprocess
from datetime import date

from portal_app.core.i18n import use_language
from portal_app.pdf.fonts import CJK_FONT_PATHS
from portal_app.pdf.invoice_pdf import render_invoice_pdf
from portal_app.services.billing import invoices, statement_files
from portal_app.services.billing.invoice_math import LineInput

# pdftotext marks right-to-left runs with embedding characters; the words are what count.
_BIDI_MARKS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u200e\u200f"))


def _text(data: bytes, *, layout: bool = False) -> str:
    assert data.startswith(b"%PDF-")
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    out = subprocess.run(args, input=data, capture_output=True, check=True).stdout.decode()
    return out.translate(_BIDI_MARKS).replace("\u00a0", " ").replace("\u202f", " ")


def _fonts(data: bytes) -> str:
    return subprocess.run(
        ["pdffonts", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_a_japanese_statement_has_japanese_headings_and_yen_amounts(make, session):
    assert any(path.is_file() for path in CJK_FONT_PATHS), "scripts/setup.sh installs IPAex"
    company = make.company(name="Northwind Studio", locale="ja_JP", currency="JPY")
    client = make.client(company, name="株式会社サンプル", locale="ja_JP")
    actor = make.actor(make.contact(client, language="ja"))
    make.invoice(
        client,
        currency="JPY",
        number="INV-J1",
        lines=[LineInput("コンサルティング", 1000, 12_000)],
        issue_date=date(2026, 3, 2),
        due_date=date(2026, 4, 1),
    )
    with use_language("ja"):
        filename, data = statement_files.statement_pdf(
            session, actor=actor, start="2026-03-01", end="2026-03-31"
        )
    text = _text(data)
    assert filename == "statement-2026-03-01-2026-03-31.pdf"
    for heading in ("取引明細書", "開始日", "終了日", "期首残高", "期末残高 JPY", "日付", "金額"):
        assert heading in text, heading
    assert "株式会社サンプル" in text and "コンサルティング" not in text  # rows, not lines
    assert "INV-J1" in text
    # ja_JP writes yen with the full-width sign and no decimals; the CJK font has the glyph.
    assert "￥12,000" in text
    assert "2026/03/02" in text
    assert "1 / 1 ページ" in text
    assert "IPAexGothic" in _fonts(data) and "DejaVu" not in _fonts(data)


def _invoice_view(make, session, *, locale="en_US", **invoice_kw):
    company = make.company(name="Northwind Studio", city="Berlin", address1="12 Harbour Road")
    client = make.client(company, name="Acme Corp", locale=locale)
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client, **invoice_kw)
    return invoices.invoice_view(session, actor=actor, invoice_id=invoice.id)


def test_an_arabic_invoice_is_right_to_left_with_arabic_headings(make, session):
    with use_language("ar"):
        view = _invoice_view(
            make,
            session,
            number="INV-0042",
            lines=[LineInput("Consulting", 2000, 100_00, "VAT", 2000)],
        )
        data = render_invoice_pdf(view)
    text = _text(data)
    for heading in ("فاتورة", "رقم الفاتورة", "فاتورة إلى", "المجموع الفرعي", "الصفحة"):
        assert heading in text, heading
    assert "INV-0042" in text and "Acme Corp" in text
    assert "INVOICE" not in text and "Subtotal" not in text
    # Mirrored: the title stands on the left, the company's name (which starts a line) right.
    lines = _text(data, layout=True).splitlines()
    title = next(line for line in lines if line.strip() == "فاتورة" or line.startswith("فاتورة "))
    company = next(line for line in lines if "Northwind Studio" in line)
    assert title.index("فاتورة") < 10 < company.index("Northwind Studio")
    assert "DejaVuSans" in _fonts(data)


def test_a_german_reader_of_a_us_client_gets_german_money_in_the_pdf(make, session):
    with use_language("de"):
        view = _invoice_view(
            make, session, lines=[LineInput("Beratung", 2000, 1_100_00, "VAT", 2000)]
        )
        text = _text(render_invoice_pdf(view))
    assert "RECHNUNG" in text and "Zwischensumme" in text
    assert "2.640,00 $" in text  # not "$2,640.00": German numbers in the client's currency
