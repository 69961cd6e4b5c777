"""pdf/fonts: documents embed their glyphs from the per-process core copy of the font when it
holds them all (issue 23), and from the whole font otherwise; either way the page is the same,
compared here as pdftoppm rasters and pdftotext text."""

from __future__ import annotations

import subprocess

from fpdf import FPDF
from fpdf.fonts import TTFFont

from portal_app.pdf import fonts

WESTERN = "Zoë Ærøskøbing · Łódź · Ștefan · €1,200.00 −5 % ‰ “quoted” № 7 £ ¥"
LATIN = WESTERN + " · Οδός Ερμού 5 · Москва · Nguyễn"
# Outside the core ranges: a chess knight and a Braille pattern (DejaVu Sans has both).
RARE = "Chess set ♞ and Braille ⠿"


def _document(text: str) -> FPDF:
    pdf = FPDF()
    fonts.add_document_fonts(pdf)
    pdf.add_page()
    pdf.set_font(fonts.FONT, "", 14)
    pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.FONT, "B", 14)
    pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    return pdf


def _glyph_count(pdf: FPDF, style: str) -> int:
    font = pdf.fonts[f"{fonts.FONT.lower()}{style}"]
    assert isinstance(font, TTFFont)
    return len(font.ttfont.getGlyphOrder())


def _raster(data: bytes) -> bytes:
    return subprocess.run(
        ["pdftoppm", "-r", "100", "-gray", "-"], input=data, capture_output=True, check=True
    ).stdout


def _text(data: bytes) -> str:
    """The page's text without any white space (pdftotext's line breaks vary)."""
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return "".join(out.stdout.decode().split())


def test_a_latin_greek_cyrillic_page_is_embedded_from_the_core_copy_and_looks_the_same():
    whole = _document(LATIN)
    lean_glyphs = _glyph_count(whole, "")
    core = _document(LATIN)
    fonts.use_core_fonts(core)
    assert _glyph_count(core, "") < lean_glyphs / 2
    assert _glyph_count(core, "B") < lean_glyphs / 2
    from_core, from_whole = bytes(core.output()), bytes(whole.output())
    assert _raster(from_core) == _raster(from_whole)
    assert _text(from_core) == _text(from_whole) == "".join((LATIN + LATIN).split())


def test_a_western_page_takes_the_smallest_core_copy():
    whole = _document(WESTERN)
    pdf = _document(WESTERN)
    fonts.use_core_fonts(pdf)
    assert _glyph_count(pdf, "") < 1000 and _glyph_count(pdf, "B") < 1000
    greek = _document(LATIN)
    fonts.use_core_fonts(greek)
    assert _glyph_count(greek, "") > 1000
    data = bytes(pdf.output())
    assert _raster(data) == _raster(bytes(whole.output()))
    assert _text(data) == "".join((WESTERN + WESTERN).split())


def test_a_glyph_outside_the_core_keeps_the_whole_font():
    whole = _document(RARE)
    pdf = _document(RARE)
    fonts.use_core_fonts(pdf)
    assert _glyph_count(pdf, "") == _glyph_count(whole, "") > 6000
    data = bytes(pdf.output())
    assert "♞" in _text(data) and "⠿" in _text(data)
    assert _raster(data) == _raster(bytes(whole.output()))
