"""pdf/fonts: documents embed their glyphs from the per-process core copy of the font when it
holds them all (issue 23), and from the whole font otherwise, as a program kept per process
and glyph set (issue 23 item 5); either way the page is the same as fpdf2's own embedding,
compared here as pdftoppm rasters and pdftotext text."""

from __future__ import annotations

import re
import subprocess
import zlib

from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.output import OutputProducer

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


def _font(pdf: FPDF, style: str) -> TTFFont:
    font = pdf.fonts[f"{fonts.FONT.lower()}{style}"]
    assert isinstance(font, TTFFont)
    return font


def _glyph_count(pdf: FPDF, style: str) -> int:
    """Glyphs of the copy the document embeds from (the program's source once it is ready)."""
    ttfont = _font(pdf, style).ttfont
    program = getattr(ttfont, "program", None)
    if isinstance(program, fonts.Program):
        return program.source_glyphs
    return len(ttfont.getGlyphOrder())


def _program(pdf: FPDF, style: str) -> fonts.Program:
    program = getattr(_font(pdf, style).ttfont, "program", None)
    assert isinstance(program, fonts.Program)
    return program


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


def test_pages_drawing_different_ascii_letters_share_one_embedded_program():
    first_text = "Invoice INV-0042 for Jane Roe, 12 Quay St: total €1,200.00 · Zoë"
    second_text = "Rechnung R-77 an Max Kowalski, Hauptweg 9: Summe €35.10 · Zoë"
    first, second = _document(first_text), _document(second_text)
    fonts.use_core_fonts(first)
    fonts.use_core_fonts(second)
    for style in ("", "B"):
        assert _program(first, style) is _program(second, style)
        assert len(_program(first, style).order) < 200
    for pdf, text in ((first, first_text), (second, second_text)):
        data = bytes(pdf.output())
        assert _raster(data) == _raster(bytes(_document(text).output()))
        assert _text(data) == "".join((text + text).split())


def test_the_same_glyphs_from_another_copy_of_the_font_are_another_program():
    western = _document("Zoë")
    fonts.use_core_fonts(western)
    greek = _document("Zoë Ερμού")
    fonts.use_core_fonts(greek)
    assert _program(western, "") is not _program(greek, "")
    assert _program(western, "").source_glyphs < _program(greek, "").source_glyphs


def test_the_kept_programs_are_bounded(monkeypatch):
    monkeypatch.setattr(fonts, "PROGRAM_CACHE_SIZE", 2)
    for text in ("½", "¼", "¾"):  # each a glyph set of its own
        fonts.use_core_fonts(_document(text))
        assert len(fonts._programs) <= 2
    last = _document("¾")
    fonts.use_core_fonts(last)
    assert _text(bytes(last.output())) == "¾¾"


class _FooterDocument(FPDF):
    """A page whose footer alone draws some glyphs (fpdf2 draws the last footer in output)."""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(fonts.FONT, "", 8)
        self.cell(0, 5, "Page 1 · ½", align="R")


def test_glyphs_only_the_last_footer_draws_are_embedded():
    pdf = _FooterDocument()
    fonts.add_document_fonts(pdf)
    pdf.add_page()
    pdf.set_font(fonts.FONT, "", 14)
    pdf.cell(0, 8, "Total due")
    data = fonts.output(pdf)
    assert _text(data) == "TotalduePage1·½"
    assert _program(pdf, "").source_glyphs < 1000


class _WritesAnotherDocumentMidway(fonts._ReadyFontsOutput):
    """fpdf2's writer that, between writing the fonts and the rest of its document, lets a
    document of another layout be written whole: what another thread's download does when the
    interpreter switches threads there."""

    def _add_fonts(self, *args):
        written = super()._add_fonts(*args)
        other = FPDF()
        fonts.add_document_fonts(other)
        for _ in range(3):  # more pages: its font objects get other numbers
            other.add_page()
            other.set_font(fonts.FONT, "", 14)
            other.cell(0, 8, "Another document")
        fonts.output(other)
        return written


def test_a_document_written_while_another_is_written_keeps_its_own_font_objects():
    pdf = _document("Total due")
    data = bytes(pdf.output(output_producer_class=_WritesAnotherDocumentMidway))
    assert _text(data) == "TotaldueTotaldue"
    assert _raster(data) == _raster(fonts.output(_document("Total due")))


class _Fpdf2FontWriter(fonts._ReadyFontsOutput):
    """The ready programs, written by fpdf2's own font writer (as before issue 23 item 5's
    kept font objects)."""

    _add_fonts = OutputProducer._add_fonts


def _streams(data: bytes) -> list[bytes]:
    """Every deflated stream of `data`, inflated (fpdf2 writes others, e.g. ToUnicode, plain)."""
    found = re.findall(rb"/FlateDecode[^>]*>>\s*stream\n(.*?)\nendstream", data, re.S)
    return [zlib.decompress(raw) for raw in found]


def test_kept_programs_are_written_as_fpdf2_writes_them_with_the_drawn_codes_mapped():
    text = LATIN + " · Chess set ♞"  # regular and bold: a core copy's program and the lean one's
    data = fonts.output(_document(text))
    by_fpdf2 = bytes(_document(text).output(output_producer_class=_Fpdf2FontWriter))
    assert _raster(data) == _raster(by_fpdf2)
    assert _text(data) == _text(by_fpdf2) == "".join((text + text).split())
    # fpdf2 maps all 65,536 codes (128 KB per font); here only up to the highest drawn one.
    assert max(map(len, _streams(by_fpdf2))) == 131072
    assert max(map(len, _streams(data))) < 131072
    # The font files are the kept programs, deflated once.
    pdf = _document(text)
    fonts.output(pdf)
    for style in ("", "B"):
        assert _program(pdf, style).deflated in data


def test_a_core_font_beside_the_kept_ones_is_written_by_fpdf2():
    pdf = _document("Zoë")
    pdf.set_font("helvetica", "", 12)
    pdf.cell(0, 8, "Plain Helvetica")
    data = fonts.output(pdf)
    assert _text(data) == "ZoëZoëPlainHelvetica"
    listed = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True)
    assert b"Helvetica" in listed.stdout and b"DejaVuSans" in listed.stdout
