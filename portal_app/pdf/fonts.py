"""The documents' Unicode fonts, parsed once per process and handed to each new document.

Which font: DejaVu Sans (Latin, Greek, Cyrillic and Arabic) for every language but Japanese,
which needs CJK glyphs DejaVu lacks: IPAex Gothic (IPA Font License, Debian's
fonts-ipaexfont-gothic, installed by scripts/setup.sh). Documents select the family FONT in
either case; a document in Japanese where that font is not installed falls back to DejaVu
(its Japanese text then lacks glyphs) rather than failing. fpdf2 embeds only the glyphs used.

fpdf2's `add_font` parses the whole TrueType file (cmap, metrics, glyph names) for every
document: for the two DejaVu files that was more than half of an invoice's render time. Here
each font file is parsed once into a template `TTFFont`; a document gets a copy that
shares the read-only parts (cmap, glyph ids, descriptor) and owns what fpdf2 changes while
drawing and writing: the subset map, the missing-glyph list, the widths dict (a defaultdict
that grows on lookups) and the fontTools font, which `FPDF.output()` subsets in place.

That fontTools font is opened lazily per document from a lean copy of the file kept in memory:
without the tables fpdf2 drops from embedded fonts anyway (GSUB, GPOS, GDEF, ...: the subsetter
still decoded GPOS to look at it), with only the Windows cmap subtables and without the glyph
name strings of the `post` table (the glyph order is handed over from the parse instead; the
embedded subset never has glyph names). The drawn glyphs, widths and text are the same.
A right-to-left document shapes its text with HarfBuzz (uharfbuzz), which reads the font's own
file (GSUB/GPOS for Arabic joining forms), not the lean copy.

Threads: Reflex runs handlers in threads, so the templates are built under a lock and never
changed afterwards.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from portal_app.core.settings import PROJECT_ROOT

FONT_DIR = PROJECT_ROOT / "assets" / "fonts"
# The family every document selects with set_font(FONT, style); its files depend on the language.
FONT = "Document"
# style -> file: every style a document may select with set_font(FONT, style).
LATIN_FILES = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}
FONT_FILES = {style: path.name for style, path in LATIN_FILES.items()}
# Where Debian's fonts-ipaexfont-gothic puts IPAex Gothic (one weight: bold uses it too).
CJK_FONT_PATHS = (
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
)
CJK_LANGUAGES = frozenset({"ja"})
# Tables fpdf2's output drops from every embedded TrueType font (fpdf/output.py, _add_fonts).
_DROPPED_TABLES = (
    "FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix",
    "CBDT", "CBLC", "EBDT", "EBLC", "EBSC", "SVG ", "CPAL", "COLR",
)  # fmt: skip


@dataclass(frozen=True)
class _Template:
    """One parsed font file: fpdf2's parsed font (never handed out), lean bytes, glyph order."""

    font: TTFFont
    data: bytes
    glyph_order: tuple[str, ...]


_templates: dict[tuple[str, Path], _Template] = {}
_lock = threading.Lock()


def font_files(language: str) -> dict[str, Path]:
    """style -> font file of a document in `language` (IPAex Gothic for Japanese when
    installed, else DejaVu Sans)."""
    if language in CJK_LANGUAGES:
        cjk = next((path for path in CJK_FONT_PATHS if path.is_file()), None)
        if cjk is not None:
            return dict.fromkeys(LATIN_FILES, cjk)
    return LATIN_FILES


def _template(style: str, path: Path) -> _Template:
    """The parsed font file for `style`, parsing it on the first call in this process."""
    found = _templates.get((style, path))
    if found is not None:
        return found
    with _lock:
        found = _templates.get((style, path))
        if found is None:
            scratch = FPDF()
            scratch.add_font(FONT, style, str(path))
            font = scratch.fonts[f"{FONT.lower()}{style}"]
            assert isinstance(font, TTFFont)
            font.ttfont.close()  # clones open their own from the lean bytes
            data, glyph_order = _lean(path)
            found = _Template(font=font, data=data, glyph_order=glyph_order)
            _templates[(style, path)] = found
    return found


def _lean(path: Path) -> tuple[bytes, tuple[str, ...]]:
    """The font file without what embedding drops and without glyph name strings; its order."""
    full = ttLib.TTFont(str(path), recalcTimestamp=False)
    try:
        glyph_order = tuple(full.getGlyphOrder())
        for tag in _DROPPED_TABLES:
            if tag in full:
                del full[tag]
        cmap = full["cmap"]
        cmap.tables = [table for table in cmap.tables if table.platformID == 3]
        full["post"].formatType = 3.0
        out = BytesIO()
        full.save(out)
    finally:
        full.close()
    return out.getvalue(), glyph_order


def _clone(template: _Template, pdf: FPDF) -> TTFFont:
    """A document's own copy of the parsed font (see the module docstring for what is shared)."""
    base = template.font
    font = copy.copy(base)
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(BytesIO(template.data), recalcTimestamp=False, lazy=True)
    # The names fpdf2 took from the full file's `post` table, which the lean copy lacks.
    font.ttfont.setGlyphOrder(list(template.glyph_order))
    font.cw = defaultdict(base.cw.default_factory, base.cw)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None  # a shaped (right-to-left) document builds its own from the file
    font.subset = SubsetMap(font)
    return font


def add_document_fonts(pdf: FPDF, language: str = "en") -> None:
    """Make FONT (regular and bold) for a document in `language` available to `pdf`, as
    `pdf.add_font` would, without parsing."""
    for style, path in font_files(language).items():
        pdf.fonts[f"{FONT.lower()}{style}"] = _clone(_template(style, path), pdf)
