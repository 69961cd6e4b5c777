"""The documents' Unicode fonts, parsed once per process and handed to each new document.

Which font: DejaVu Sans (Latin, Greek, Cyrillic and Arabic) for every language but Japanese,
which needs CJK glyphs DejaVu lacks: IPAex Gothic (IPA Font License, Debian's
fonts-ipaexfont-gothic, installed by scripts/setup.sh). Documents select the family FONT in
either case; a document in Japanese where that font is not installed falls back to DejaVu
(its Japanese text then lacks glyphs) rather than failing. fpdf2 embeds only the glyphs used.

fpdf2's `add_font` parses the whole TrueType file (cmap, metrics, glyph names) for every
document: for the two DejaVu files that was more than half of an invoice's render time. Here
each font file is parsed once into a template `TTFFont`; a document gets a copy that
shares the read-only parts (cmap, glyph ids) and owns what fpdf2 changes while drawing and
writing: the subset map, the missing-glyph list, the widths dict (a defaultdict that grows on
lookups), the fontTools font, which `FPDF.output()` subsets in place, and the font descriptor,
which the writer numbers and links to the embedded file (shared, a document written while
another thread wrote one could reference the other's object numbers and fail to write).

That fontTools font is opened lazily per document from a lean copy of the file kept in memory:
without the tables fpdf2 drops from embedded fonts anyway (GSUB, GPOS, GDEF, ...: the subsetter
still decoded GPOS to look at it) and without `kern` (no reader of an embedded font uses it),
with only the Windows cmap subtables and without the glyph name strings of the `post` table
(the glyph order is handed over from the parse instead; the embedded subset never has glyph
names). The drawn glyphs, widths and text are the same.
A right-to-left document shapes its text with HarfBuzz (uharfbuzz), which reads the font's own
file (GSUB/GPOS for Arabic joining forms), not the lean copy.

Embedding (issue 23): fpdf2 subsets the document's fontTools font when the PDF is written, and
that cost grows with the glyphs the font holds (the subsetter and the writer decode the whole
glyph, metrics and cmap tables). So each font file also gets per-process core copies holding
only the glyphs of the scripts documents usually use: Western and Central European Latin with
punctuation and currency signs (~540 of DejaVu's 6,253 glyphs), and that with the rest of Latin,
Greek and Cyrillic (~1,600); `use_core_fonts` embeds from the smallest one that holds every glyph
the document drew, and from the lean copy otherwise (Arabic shaping's forms, a rare symbol).
Documents call it through `output`, when fpdf2 starts writing: `FPDF.output()` draws the last
page's footer first, so earlier some glyphs would not be drawn yet. The fonts are opened
without recalculating glyph bounding boxes on save: the file's own boxes are kept, where
recalculating them meant decoding and re-encoding every embedded glyph's outline.

Embedded programs (issue 23 item 5): even from a core copy, fontTools subsetting and saving
took ~8-10 ms a font on every document, mostly fixed per-table work, for a result that only
depends on the glyph set. So `use_core_fonts` also subsets the chosen copy itself, keeping the
drawn glyphs plus every printable ASCII one (so Latin documents that differ only in which
ASCII letters they draw share one program; ~4 KB more per font compressed), and keeps the
saved program per process, by (font, copy, glyph set), in a small LRU. fpdf2 has no hook for
a ready font program: it always runs the subsetter on the document's fontTools font and saves
it. So the document gets a `_ReadyFont`, a fontTools font without tables (nothing for the
subsetter to decode) whose glyph order is the program's and stays so, and whose `save` writes
the kept program (all plain `FPDF.output()` does after `use_core_fonts`).

Writing the fonts (issue 23 item 5): `output` writes the fonts with a kept program itself
(`_ReadyFontsOutput._add_fonts`, the writer's method for fonts), the same objects in the same
order as fpdf2's TrueType branch, with two differences. The font file is the kept program
deflated once per process, not again per document. And the CIDToGIDMap covers the codes up
to the highest one the document drew, not all 65,536 (fpdf2 built and deflated a 128 KB map
per font and document: ~4.5 ms a font, a fifth of an invoice's CPU). The codes are fpdf2's,
given in drawing order, so the map, the widths and the ToUnicode CMap depend on the document
and are built per document (small: they list the ~50-150 drawn codes). Other fonts (core
fonts of an SVG, a font missing glyphs, PDF/A-1's CIDSet) are written by fpdf2. Text,
extraction and rasters are fpdf2's own (tests/pdf/test_fonts.py).

Threads: Reflex runs handlers in threads, so the templates are built under a lock and never
changed afterwards; the program cache is changed under its own lock, a program is built
outside it (two threads missing the same key both build it, one result is kept).
"""

from __future__ import annotations

import copy
import threading
import zlib
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.output import (
    CIDSystemInfo,
    OutputProducer,
    PDFExtGState,
    PDFFont,
    PDFType3Font,
    PDFXObject,
    _build_cmap_blocks,  # pyright: ignore[reportPrivateUsage]
    _tt_font_widths,  # pyright: ignore[reportPrivateUsage]
)
from fpdf.pattern import Pattern
from fpdf.syntax import Name, PDFArray, PDFContentStream

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
# Tables no reader of the embedded font uses: a PDF positions every glyph itself, and fpdf2
# kerns only through HarfBuzz, which reads the font file (decoding `kern` cost ~1.5 ms a font).
_UNREAD_TABLES = ("kern",)
# Code point ranges (start, end exclusive) whose glyphs each core copy keeps, smallest first.
# Latin-1 and Extended-A (with Romanian's comma-below letters), general punctuation (the
# narrow no-break space of French amounts), currency signs, letterlike symbols (No., TM) and
# the minus sign of negative amounts; then also the rest of Latin (Extended-B, Extended
# Additional), Greek, Cyrillic, arrows and maths operators.
_LATIN_RANGES = (
    (0x0020, 0x007F), (0x00A0, 0x0180), (0x0218, 0x021C), (0x2000, 0x2070),
    (0x20A0, 0x20D0), (0x2100, 0x2150), (0x2212, 0x2213),
)  # fmt: skip
_CORE_RANGES = (
    _LATIN_RANGES,
    (
        *_LATIN_RANGES, (0x0180, 0x0250), (0x0370, 0x0530), (0x1E00, 0x1F00),
        (0x2190, 0x2300),
    ),
)  # fmt: skip


# Code points whose glyphs every embedded program holds besides the drawn ones (printable ASCII).
_BASE_CODES = range(0x20, 0x7F)
# Embedded programs kept per process: a program is ~15-40 KB.
PROGRAM_CACHE_SIZE = 64
# fpdf2's level for the streams it deflates, so a kept font file is the bytes fpdf2 would write.
_DEFLATE_LEVEL = PDFContentStream._COMPRESSION_LEVEL  # pyright: ignore[reportPrivateUsage]


@dataclass(frozen=True)
class _Core:
    """A core copy of a font file: its bytes, glyph order and glyph names."""

    data: bytes
    order: tuple[str, ...]
    glyphs: frozenset[str]


@dataclass(frozen=True)
class _Template:
    """One parsed font file: fpdf2's parsed font (never handed out), lean bytes, glyph order,
    and its core copies, smallest first (see the module docstring)."""

    font: TTFFont
    data: bytes
    glyph_order: tuple[str, ...]
    cores: tuple[_Core, ...]
    base: frozenset[str]  # the glyphs of _BASE_CODES


@dataclass(frozen=True)
class Program:
    """A saved embedded font program: its bytes, its glyph order, and the number of glyphs of
    the copy it was cut from (a core copy, or the lean copy of the whole font); its bytes
    deflated as a PDF font file stream holds them, and the glyph id of each glyph name."""

    data: bytes
    order: tuple[str, ...]
    source_glyphs: int
    deflated: bytes = field(repr=False)
    glyph_ids: dict[str, int] = field(repr=False, compare=False)


class _ReadyFont(ttLib.TTFont):
    """What fpdf2 subsets and saves at output when the program is ready (module docstring):
    no tables, so the subsetter only closes the glyph list over the glyph order, and a glyph
    order that the subsetter's `setGlyphOrder` leaves alone, so fpdf2's glyph ids are the
    program's; `save` writes the program."""

    def __init__(self, program: Program):
        super().__init__(recalcTimestamp=False, recalcBBoxes=False)
        self.glyphOrder = list(program.order)
        self.program = program

    def setGlyphOrder(self, glyphOrder: list[str]) -> None:
        """Keep the program's order: the subsetter would set the drawn glyphs' order."""

    def save(self, file, reorderTables: bool | None = True) -> None:
        """Write the ready program (to a file object, as fpdf2 does, or a path)."""
        if isinstance(file, (str, Path)):
            Path(file).write_bytes(self.program.data)
        else:
            file.write(self.program.data)


_templates: dict[tuple[str, Path], _Template] = {}
_lock = threading.Lock()
_programs: OrderedDict[tuple[str, Path, int, frozenset[str]], Program] = OrderedDict()
_programs_lock = threading.Lock()


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
            found = _Template(
                font=font,
                data=data,
                glyph_order=glyph_order,
                cores=tuple(_core(data, glyph_order, ranges) for ranges in _CORE_RANGES),
                base=_base_glyphs(data, glyph_order),
            )
            _templates[(style, path)] = found
    return found


def _lean(path: Path) -> tuple[bytes, tuple[str, ...]]:
    """The font file without what embedding drops and without glyph name strings; its order."""
    full = ttLib.TTFont(str(path), recalcTimestamp=False)
    try:
        glyph_order = tuple(full.getGlyphOrder())
        for tag in (*_DROPPED_TABLES, *_UNREAD_TABLES):
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


def _open(data: bytes, glyph_order: tuple[str, ...]) -> ttLib.TTFont:
    """A fontTools font on `data` (lazy), its glyph names from `glyph_order` (the lean and core
    copies carry no names), saved without recalculating bounding boxes (module docstring)."""
    font = ttLib.TTFont(BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    font.setGlyphOrder(list(glyph_order))
    return font


def _base_glyphs(data: bytes, glyph_order: tuple[str, ...]) -> frozenset[str]:
    """The names of the font's glyphs for _BASE_CODES."""
    font = _open(data, glyph_order)
    try:
        cmap = font.getBestCmap() or {}
    finally:
        font.close()
    return frozenset(cmap[code] for code in _BASE_CODES if code in cmap)


def _subset(
    data: bytes, glyph_order: tuple[str, ...], names: set[str] | frozenset[str]
) -> tuple[bytes, tuple[str, ...]]:
    """The font reduced to `names` (and their components), subset with the options fpdf2
    uses for embedding; the saved bytes and the glyph order."""
    font = _open(data, glyph_order)
    try:
        options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True)
        options.drop_tables += list(_DROPPED_TABLES)
        subsetter = ftsubset.Subsetter(options)
        subsetter.populate(glyphs=sorted(names))
        subsetter.subset(font)
        order = tuple(font.getGlyphOrder())
        out = BytesIO()
        font.save(out)
    finally:
        font.close()
    return out.getvalue(), order


def _core(data: bytes, glyph_order: tuple[str, ...], ranges: tuple[tuple[int, int], ...]) -> _Core:
    """The lean font reduced to the glyphs of the code points in `ranges`."""
    font = _open(data, glyph_order)
    try:
        cmap = font.getBestCmap() or {}
    finally:
        font.close()
    names = {name for code, name in cmap.items() if any(a <= code < b for a, b in ranges)}
    core_data, order = _subset(data, glyph_order, names)
    return _Core(data=core_data, order=order, glyphs=frozenset(order))


def _program(style: str, path: Path, template: _Template, drawn: frozenset[str]) -> Program:
    """The embedded program for a document that drew `drawn`: cut from the smallest core copy
    holding them all (else the lean copy) and kept per process (module docstring)."""
    index, data, order, names = next(
        (
            (i, core.data, core.order, core.glyphs)
            for i, core in enumerate(template.cores)
            if drawn <= core.glyphs
        ),
        (-1, template.data, template.glyph_order, frozenset(template.glyph_order)),
    )
    wanted = drawn | (template.base & names)
    key = (style, path, index, wanted)
    with _programs_lock:
        found = _programs.get(key)
        if found is not None:
            _programs.move_to_end(key)
            return found
    program_data, program_order = _subset(data, order, wanted)
    found = Program(
        data=program_data,
        order=program_order,
        source_glyphs=len(order),
        deflated=zlib.compress(program_data, _DEFLATE_LEVEL),
        glyph_ids={name: gid for gid, name in enumerate(program_order)},
    )
    with _programs_lock:
        _programs[key] = found
        while len(_programs) > PROGRAM_CACHE_SIZE:
            _programs.popitem(last=False)
    return found


def _clone(template: _Template, pdf: FPDF) -> TTFFont:
    """A document's own copy of the parsed font (see the module docstring for what is shared)."""
    base = template.font
    font = copy.copy(base)
    font.i = len(pdf.fonts) + 1
    # The names fpdf2 took from the full file's `post` table, which the lean copy lacks.
    font.ttfont = _open(template.data, template.glyph_order)
    font.cw = defaultdict(base.cw.default_factory, base.cw)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None  # a shaped (right-to-left) document builds its own from the file
    font.subset = SubsetMap(font)
    # fpdf2's writer numbers the descriptor and hangs the font file on it: a shared one would
    # take the numbers of whichever document another thread writes meanwhile.
    font.desc = copy.copy(base.desc)
    return font


def use_core_fonts(pdf: FPDF) -> None:
    """Once every glyph is drawn (`output` calls it after the last page's footer): have each
    of FONT's styles embed a ready program holding the glyphs the document drew, cut from the
    smallest core copy that holds them all (module docstring). Drawing is done, so the glyph
    ids the shaping used no longer matter: fpdf2 looks glyphs up by name when it embeds."""
    for style in LATIN_FILES:
        font = pdf.fonts.get(f"{FONT.lower()}{style}")
        if not isinstance(font, TTFFont):
            continue
        path = Path(font.ttffile)
        template = _templates.get((style, path))
        if template is None:
            continue
        program = _program(style, path, template, frozenset(font.subset.get_all_glyph_names()))
        if ".notdef" not in program.order:  # the subsetter always asks for it (no `glyf`)
            continue
        font.ttfont.close()
        font.ttfont = _ReadyFont(program)


class _KeptFontFile(PDFContentStream):
    """The FontFile2 stream of a kept program, deflated once per process (fpdf2's
    `PDFFontStream` deflates the program again for every document)."""

    def __init__(self, program: Program):
        super().__init__(contents=program.deflated)
        self.filter = Name("FlateDecode")
        self.length1 = len(program.data)


def _utf16(point: int) -> str:
    """A code point as UTF-16 hex digits (a surrogate pair above the BMP), as fpdf2 writes it."""
    if point > 0xFFFF:
        return f"{0xD800 | (point - 0x10000) >> 10:04X}{0xDC00 | (point & 0x3FF):04X}"
    return f"{point:04X}"


def _to_unicode(font: TTFFont) -> bytes:
    """The ToUnicode CMap of the codes the document drew, as fpdf2 writes it."""
    entries: list[str] = []
    for glyph, code in font.subset.items():
        if glyph is None or not isinstance(glyph.unicode, tuple) or not glyph.unicode:
            continue
        text = "".join(_utf16(point) for point in glyph.unicode)
        entries.append(f"<{code:04X}> <{text}>\n")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
        "<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{_build_cmap_blocks(entries, 'bfchar')}"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode("latin-1")


def _cid_to_gid_map(font: TTFFont, program: Program) -> bytes:
    """The CIDToGIDMap of the codes the document drew: two bytes per code up to the highest
    one drawn. fpdf2 writes all 65,536 codes (128 KB, ~3-5 ms to build and deflate a font);
    a reader maps only the codes the pages use, so the shorter map draws the same glyphs."""
    drawn = [(code, glyph.glyph_name) for glyph, code in font.subset.items() if glyph is not None]
    table = bytearray(2 * (max((code for code, _ in drawn), default=0) + 1))
    for code, name in drawn:
        table[2 * code : 2 * code + 2] = program.glyph_ids[name].to_bytes(2, "big")
    return bytes(table)


def _kept_program(font: TTFFont | object, pdf: FPDF) -> Program | None:
    """The kept program `font` embeds when this module writes it (`_ReadyFontsOutput`), else
    None: fpdf2 writes other fonts, fonts that miss glyphs (it warns of them) and PDF/A-1
    documents (which need a CIDSet)."""
    if not isinstance(font, TTFFont) or not isinstance(font.ttfont, _ReadyFont):
        return None
    compliance = pdf._compliance  # pyright: ignore[reportPrivateUsage]
    if font.missing_glyphs or (
        compliance and compliance.profile == "PDFA" and compliance.part == 1
    ):
        return None
    return font.ttfont.program


class _ReadyFontsOutput(OutputProducer):
    """fpdf2's writer, handing the document's fonts their ready programs first. `FPDF.output`
    draws the last page's footer just before it starts the writer, so this is the first
    moment every glyph of the document is known. The fonts with a kept program are written
    here (`_add_fonts`): the same objects in the same order as fpdf2's TrueType branch, but
    the font file deflated once per program and a CIDToGIDMap of the drawn codes only."""

    def bufferize(self) -> bytearray:
        """Swap in the ready fonts, then write the document as fpdf2 does."""
        use_core_fonts(self.fpdf)
        return super().bufferize()

    def _add_fonts(
        self,
        image_objects_per_index: dict[int, PDFXObject],
        gfxstate_objs_per_name: dict[str, PDFExtGState],
        pattern_objs_per_name: dict[str, Pattern],
    ) -> dict[int, PDFFont | PDFType3Font]:
        """Each font in fpdf2's order: a kept program's here, any other by fpdf2 (given a
        registry holding only that font for the call)."""
        catalog = self.fpdf._resource_catalog  # pyright: ignore[reportPrivateUsage]
        registry = catalog.font_registry
        written: dict[int, PDFFont | PDFType3Font] = {}
        try:
            for key, font in sorted(registry.items(), key=lambda item: item[1].i):
                program = _kept_program(font, self.fpdf)
                if program is not None and isinstance(font, TTFFont):
                    written[font.i] = self._add_kept_font(font, program)
                    continue
                catalog.font_registry = {key: font}
                written.update(
                    super()._add_fonts(
                        image_objects_per_index, gfxstate_objs_per_name, pattern_objs_per_name
                    )
                )
        finally:
            catalog.font_registry = registry
        return written

    def _add_kept_font(self, font: TTFFont, program: Program) -> PDFFont:
        """A Type0 font over a CIDFontType2 embedding `program`, as fpdf2 writes TrueType
        fonts (fpdf/output.py, `_add_fonts`)."""
        name = f"MPDFAA+{font.name}"
        composite = PDFFont(subtype="Type0", base_font=name, encoding="Identity-H")
        self._add_pdf_obj(composite, "fonts")
        cid_font = PDFFont(
            subtype="CIDFontType2",
            base_font=name,
            d_w=font.desc.missing_width,
            w=_tt_font_widths(font),
        )
        self._add_pdf_obj(cid_font, "fonts")
        composite.descendant_fonts = PDFArray([cid_font])
        to_unicode = PDFContentStream(_to_unicode(font))
        self._add_pdf_obj(to_unicode, "fonts")
        composite.to_unicode = to_unicode
        system_info = CIDSystemInfo()
        self._add_pdf_obj(system_info, "fonts")
        cid_font.c_i_d_system_info = system_info
        descriptor = font.desc  # the document's own (see _clone)
        descriptor.font_name = Name(name)
        self._add_pdf_obj(descriptor, "fonts")
        cid_font.font_descriptor = descriptor
        cid_to_gid = PDFContentStream(_cid_to_gid_map(font, program), compress=True)
        self._add_pdf_obj(cid_to_gid, "fonts")
        cid_font.c_i_d_to_g_i_d_map = cid_to_gid
        font_file = _KeptFontFile(program)
        self._add_pdf_obj(font_file, "fonts")
        descriptor.font_file2 = font_file  # pyright: ignore[reportAttributeAccessIssue]
        font.subset.pick.cache_clear()
        font.subset.get_glyph.cache_clear()
        font.close()
        return composite


def output(pdf: FPDF) -> bytes:
    """The finished document's bytes, as `pdf.output()` gives them, its fonts embedded from
    ready programs (module docstring)."""
    return bytes(pdf.output(output_producer_class=_ReadyFontsOutput))


def add_document_fonts(pdf: FPDF, language: str = "en") -> None:
    """Make FONT (regular and bold) for a document in `language` available to `pdf`, as
    `pdf.add_font` would, without parsing."""
    for style, path in font_files(language).items():
        pdf.fonts[f"{FONT.lower()}{style}"] = _clone(_template(style, path), pdf)
