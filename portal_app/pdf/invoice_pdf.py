"""Invoice PDF: an InvoiceView in, PDF bytes out. No database access here.

Every value on the page comes from the view already formatted (money, dates, locale). The
document's own words (headings, labels) are translated with core.i18n into the language of
the context the caller renders in (`with i18n.use_language(code)`), which also picks the font
(pdf/fonts.py: CJK glyphs for Japanese) and the direction: an Arabic document is laid out right
to left, mirrored, its text shaped by HarfBuzz. Text from the database is written as plain
text: no markdown, no HTML, and the page-count alias is only active while the page footer is
drawn, so a description containing "{nb}" stays as is.
"""

from __future__ import annotations

import io
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, TableCellFillMode, XPos, YPos
from PIL import Image

from portal_app.core.i18n import N_, current_language, gettext, text_direction
from portal_app.core.qr import qr_rects
from portal_app.pdf import facturx
from portal_app.pdf.fonts import FONT, add_document_fonts, font_files, output
from portal_app.pdf.logo import preload_logo
from portal_app.schemas.einvoice import EInvoiceData
from portal_app.schemas.invoice import InvoiceView, PartyView

DEFAULT_COLOR = (79, 70, 229)  # #4f46e5
TEXT = (31, 41, 55)
MUTED = (107, 114, 128)
RULE = (209, 213, 219)
ZEBRA = (243, 244, 246)

MARGIN = 18.0
PAGE_ALIAS = "{nb}"
LOGO_BOX = (48.0, 20.0)  # max width, max height in mm
LINE_COLUMNS = (N_("Description"), N_("Qty"), N_("Unit price"), N_("Tax"), N_("Net"))
LINE_WIDTHS = (62, 18, 30, 30, 34)
LINE_ALIGN = ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")

_HEX_COLOR = re.compile(r"^#?([0-9a-fA-F]{6})$")


def parse_color(value: str) -> tuple[int, int, int]:
    """An (r, g, b) tuple from '#rrggbb'; the default accent for anything else."""
    match = _HEX_COLOR.match((value or "").strip())
    if not match:
        return DEFAULT_COLOR
    raw = match.group(1)
    return int(raw[0:2], 16), int(raw[2:4], 16), int(raw[4:6], 16)


def _on_color(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """White or dark text, whichever reads better on a fill of `rgb`."""
    r, g, b = rgb
    luminance = 0.299 * r + 0.587 * g + 0.114 * b
    return (255, 255, 255) if luminance < 160 else TEXT


def _font_codepoints() -> frozenset[int]:
    """Code points the regular font of a document in the current language can draw."""
    return _codepoints_of(font_files(current_language())[""])


@lru_cache(maxsize=4)
def _codepoints_of(path: Path) -> frozenset[int]:
    font = TTFont(str(path), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def _drawable(ch: str, codepoints: frozenset[int]) -> str:
    """`ch`, or its compatibility form when the font lacks it (e.g. fullwidth ￥ -> ¥)."""
    if ch == "\n":
        return ch
    category = unicodedata.category(ch)
    if category in ("Cc", "Zl", "Zp"):
        return " "
    if category in ("Cf", "Cs", "Co"):
        # Bidi marks (Babel's Arabic amounts carry them), zero-width characters: the bidi
        # algorithm of a right-to-left document orders the text without them.
        return ""
    if ord(ch) in codepoints:
        return ch
    compat = unicodedata.normalize("NFKC", ch)
    if compat != ch and all(ord(c) in codepoints for c in compat):
        return compat
    return ch


def plain(text: str | None, *, single_line: bool = False) -> str:
    """Database text made safe to draw: no control characters, optional single line."""
    value = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    codepoints = _font_codepoints()
    value = "".join(_drawable(ch, codepoints) for ch in value)
    if single_line:
        value = " ".join(value.split())
    return value.strip()


class _InvoiceDocument(FPDF):
    """A4 page with an accent bar, a running header after page 1 and a 'Page N of M' footer.

    `label` names the document kind in the metadata, the running header and the footer
    (already translated: "Invoice", "Credit", "Receipt"). `view` needs `number`,
    `primary_color` and `company.name`. The current language (core.i18n) picks the font and,
    for Arabic, a right-to-left page: `start`/`end` are the alignments of a line's start and
    end and `mirror` places a box from the other edge.
    """

    def __init__(self, view: InvoiceView, label: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.view = view
        self.label = label or gettext("Invoice")
        self.language = current_language()
        self.rtl = text_direction(self.language) == "rtl"
        self.start, self.end = ("R", "L") if self.rtl else ("L", "R")
        # The page whose bottom holds a Swiss QR-bill payment part draws no footer.
        self.no_footer_page = 0
        self.accent = parse_color(view.primary_color)
        self.number = plain(view.number, single_line=True)
        self.company_name = plain(view.company.name, single_line=True)
        # The page-count alias is switched on only inside footer() (see module docstring).
        self.alias_nb_pages(None)
        add_document_fonts(self, self.language)  # parsed once per process, not per document
        if self.rtl:
            # HarfBuzz joins the Arabic letters. Each text takes its direction from its first
            # strong letter (Unicode bidi): Arabic labels read right to left while a Latin name
            # or a date such as "Dec 3, 2026" keeps its own order; the layout is mirrored here.
            self.set_text_shaping(use_shaping_engine=True)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=22)
        self.set_lang(self.language.replace("_", "-"))
        names = {"document": self.label, "number": self.number}
        self.set_title(gettext("%(document)s %(number)s") % names)
        self.set_subject(
            gettext("%(document)s %(number)s from %(company)s")
            % {**names, "company": self.company_name}
        )
        self.set_author(self.company_name)
        self.set_creator("Client Portal")
        self.set_display_mode("fullwidth")

    def mirror(self, x: float, width: float) -> float:
        """Where a box of `width` drawn at `x` on a left-to-right page goes on this page."""
        return self.w - x - width if self.rtl else x

    def align(self, align: str) -> str:
        """`align` ("L"/"R"/"LEFT"/"RIGHT"/"C") as drawn on this page: swapped right to left."""
        if not self.rtl:
            return align
        return {"L": "R", "R": "L", "LEFT": "RIGHT", "RIGHT": "LEFT"}.get(align, align)

    def continued(self) -> str:
        """'Invoice INV-1 (continued)' for the running header of later pages."""
        return gettext("%(document)s %(number)s (continued)") % {
            "document": self.label,
            "number": self.number,
        }

    def header(self) -> None:
        """Accent bar on every page; company and document number on continuation pages."""
        self.set_fill_color(*self.accent)
        self.rect(0, 0, self.w, 4, style="F")
        if self.page_no() == 1:
            self.set_y(MARGIN)
            return
        self.set_xy(MARGIN, 9)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        half = self.epw / 2
        self.set_x(self.mirror(MARGIN, half))
        self.cell(half, 5, self.company_name, align=self.start)
        self.set_x(self.mirror(MARGIN + half, half))
        self.cell(half, 5, self.continued(), align=self.end)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(MARGIN, 15, self.w - MARGIN, 15)
        self.set_y(MARGIN + 2)

    def footer(self) -> None:
        """Rule, company and document number, and 'Page N of M'."""
        if self.page_no() == self.no_footer_page:
            return
        previous_alias = self.str_alias_nb_pages
        self.str_alias_nb_pages = PAGE_ALIAS
        try:
            self.set_y(-15)
            self.set_draw_color(*RULE)
            self.set_line_width(0.2)
            self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
            self.set_y(-13)
            self.set_font(FONT, "", 8)
            self.set_text_color(*MUTED)
            half = self.epw / 2
            self.set_x(self.mirror(MARGIN, half))
            self.cell(
                half, 5, f"{self.company_name} · {self.label} {self.number}", align=self.start
            )
            self.set_x(self.mirror(MARGIN + half, half))
            page = gettext("Page %(page)s of %(pages)s")
            self.cell(half, 5, page % {"page": self.page_no(), "pages": PAGE_ALIAS}, align=self.end)
        finally:
            self.str_alias_nb_pages = previous_alias

    def finish(self) -> bytes:
        """Close the document and return its bytes."""
        # Substitution of the alias happens while closing; the footer used it, so turn it on.
        self.str_alias_nb_pages = PAGE_ALIAS
        return output(self)  # embeds ready font programs once the last footer is drawn


def render_invoice_pdf(view: InvoiceView) -> bytes:
    """Render one invoice to PDF bytes (A4, Unicode fonts, 'Page N of M' on every page)."""
    pdf = _InvoiceDocument(view)
    pdf.add_page()
    _draw_heading(pdf, view)
    _draw_parties(pdf, view)
    _draw_lines(pdf, view)
    _draw_totals(pdf, view)
    _draw_payment_qr(pdf, view)
    _draw_texts(pdf, view)
    _draw_swiss_bill(pdf, view)
    attach_einvoice(pdf, view.einvoice)
    return pdf.finish()


def attach_einvoice(pdf: _InvoiceDocument, einvoice: EInvoiceData | None) -> None:
    """Before `pdf.finish()`: make the document a Factur-X hybrid (PDF/A-3, its XML embedded),
    or leave it a plain PDF without e-invoice data."""
    if einvoice is not None:
        facturx.attach(pdf, einvoice)


QR_SIZE = 32.0  # mm; the EPC guideline asks for at least 2 x 2 cm
QR_BLOCK_WIDTH = 87.0  # two blocks side by side in the 174 mm text width
EPC_CAPTION = N_(
    "Scan this code with your banking app (EPC QR / GiroCode): the IBAN, the amount and "
    "the invoice number are filled in."
)
PAY_LINK_CAPTION = N_("Scan this code with your phone to open this invoice and pay it by card.")
# The Swiss QR-bill's receipt and payment part: full page width, the bottom of an A4 (qrbill's
# SVG is 106 mm high: 105 mm and the scissors line above).
SWISS_BILL_HEIGHT = 106.0
SWISS_QR_SIZE = 46.0  # mm, as the standard fixes it
# qrbill draws its text in Arial/Helvetica, which a PDF/A may not use unembedded.
_SVG_FONT = 'font-family="Arial,Helvetica"'
# In qrbill's SVG: its width in user units (the page's 210 mm), its white background, and the
# QR code's path with its position (translate x, y in user units).
_SVG_VIEWBOX = re.compile(r'viewBox="0 0 ([\d.]+) [\d.]+"')
_SVG_BACKGROUND = '<rect fill="white" height="100%" width="100%" x="0" y="0" />'
_SWISS_QR_PATH = re.compile(
    r'<path d="[^"]*" style="[^"]*" transform="translate\(([\d.]+),([\d.]+)\) scale\([\d.]+\)" />'
)


def _draw_payment_qr(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    """The EPC payment QR code and the pay-link QR code, each with its caption, side by side
    and kept together; nothing when neither applies."""
    blocks = [
        (payload, title, caption)
        for payload, title, caption in (
            (view.payment_qr, N_("Pay by bank transfer"), EPC_CAPTION),
            (view.pay_link, N_("Pay online"), PAY_LINK_CAPTION),
        )
        if payload
    ]
    if not blocks:
        return
    if pdf.will_page_break(QR_SIZE + 10):
        pdf.add_page()
    top = pdf.get_y()
    for i, (payload, title, caption) in enumerate(blocks):
        left = MARGIN + i * QR_BLOCK_WIDTH
        text_w = QR_BLOCK_WIDTH - QR_SIZE - 5
        text_x = pdf.mirror(left + QR_SIZE + 3, text_w)
        draw_qr(pdf, payload, x=pdf.mirror(left, QR_SIZE), y=top, size=QR_SIZE)
        pdf.set_xy(text_x, top + 4)
        pdf.set_font(FONT, "B", 9)
        pdf.set_text_color(*TEXT)
        pdf.cell(text_w, 5, gettext(title), align=pdf.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_x(text_x)
        pdf.set_font(FONT, "", 8.5)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(
            text_w, 4.4, gettext(caption), align=pdf.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.set_y(top + QR_SIZE + 4)


def draw_qr(pdf: FPDF, payload: str, *, x: float, y: float, size: float, quiet: int = 4) -> None:
    """The QR code of `payload` as black rectangles filling a `size` mm square at (x, y), with
    `quiet` modules of white quiet zone inside it."""
    width, rects = qr_rects(payload)
    if not width:
        return
    module = size / (width + 2 * quiet)
    if quiet:
        pdf.set_fill_color(255, 255, 255)
        pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    # One path of a few hundred rectangles filled at once, written straight into the page
    # (what FPDF.rect writes for each, without its per-call checks: ~7 ms an invoice).
    k = pdf.k
    left, top = x * k, (pdf.h - y) * k
    step = module * k
    ops = [
        f"{left + (quiet + column) * step:.2f} {top - (quiet + row) * step:.2f} "
        f"{length * step:.2f} {-height * step:.2f} re"
        for row, column, length, height in rects
    ]
    pdf._out("\n".join([*ops, "f"]))  # fpdf2 has no public call for raw path operators


def _draw_swiss_bill(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    """The Swiss QR-bill receipt and payment part across the bottom of the last page (a new
    page when the content reaches into it), the page's footer left off to make room."""
    svg = view.swiss_qr_svg
    if not svg:
        return
    top = pdf.h - SWISS_BILL_HEIGHT
    if pdf.get_y() > top - 4:
        pdf.add_page()
    pdf.no_footer_page = pdf.page_no()
    svg = svg.replace(_SVG_FONT, f'font-family="{FONT}"')
    # fpdf2 takes ~25 ms to parse the QR code's one huge SVG path: the code is drawn here from
    # the payload instead (46 mm, no quiet zone, where qrbill puts it), under the SVG's Swiss
    # cross, the SVG's white background left out so that it does not cover it.
    qr_path, viewbox = _SWISS_QR_PATH.search(svg), _SVG_VIEWBOX.search(svg)
    if qr_path and viewbox and _SVG_BACKGROUND in svg and view.swiss_qr:
        unit = pdf.w / float(viewbox.group(1))
        draw_qr(
            pdf,
            view.swiss_qr,
            x=float(qr_path.group(1)) * unit,
            y=top + float(qr_path.group(2)) * unit,
            size=SWISS_QR_SIZE,
            quiet=0,
        )
        svg = svg.replace(qr_path.group(0), "").replace(_SVG_BACKGROUND, "")
    # The SVG's text is drawn in the current colours.
    pdf.set_text_color(0, 0, 0)
    pdf.set_fill_color(0, 0, 0)
    pdf.image(io.BytesIO(svg.encode("utf-8")), x=0, y=top, w=pdf.w, h=SWISS_BILL_HEIGHT)


def _logo_size(path: Path) -> tuple[float, float] | None:
    """Width and height in mm that fit the logo box, or None when the file is not an image."""
    try:
        with Image.open(path) as image:
            width_px, height_px = image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    if width_px <= 0 or height_px <= 0:
        return None
    max_w, max_h = LOGO_BOX
    scale = min(max_w / width_px, max_h / height_px)
    return width_px * scale, height_px * scale


def _draw_heading(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    """The invoice's heading: company block, 'INVOICE' and the invoice details."""
    draw_heading(
        pdf,
        title=gettext("INVOICE"),
        logo_path=view.logo_path,
        company=view.company,
        details=[
            (gettext("Invoice number"), view.number),
            (gettext("Issue date"), view.issue_date),
            (gettext("Due date"), view.due_date),
            (gettext("PO number"), view.po_number),
            (gettext("Status"), view.status_label),
        ],
    )


def draw_heading(
    pdf: _InvoiceDocument,
    *,
    title: str,
    logo_path: str,
    company: PartyView,
    details: list[tuple[str, str]],
) -> None:
    """Logo and company block at the start (left, or right on a right-to-left page); the
    title and (label, value) details at the end."""
    top = MARGIN
    left_width = 88.0
    y = top
    logo = Path(logo_path) if logo_path else None
    if logo is not None and logo.is_file():
        size = _logo_size(logo)
        if size is not None:
            try:
                preload_logo(pdf, logo)  # decoded once per process, not per document
                pdf.image(str(logo), x=pdf.mirror(MARGIN, size[0]), y=top, w=size[0], h=size[1])
                y = top + size[1] + 4
            except (OSError, ValueError, RuntimeError):
                y = top  # an unreadable logo is left out rather than failing the document

    left_x = pdf.mirror(MARGIN, left_width)
    pdf.set_xy(left_x, y)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*TEXT)
    _line(pdf, left_width, 6, pdf.company_name, pdf.start)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*MUTED)
    for line in company.lines:
        pdf.set_x(left_x)
        _line(pdf, left_width, 4.2, plain(line, single_line=True), pdf.start)
    left_bottom = pdf.get_y()

    right_width = 78.0
    right_x = pdf.w - MARGIN - right_width
    pdf.set_xy(pdf.mirror(right_x, right_width), top - 1)
    pdf.set_font(FONT, "B", 24)
    pdf.set_text_color(*pdf.accent)
    pdf.cell(right_width, 11, title, align=pdf.end, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.ln(2)

    label_width = 34.0
    for label, value in details:
        value = plain(value, single_line=True)
        if not value:
            continue
        row_y = pdf.get_y()
        pdf.set_xy(pdf.mirror(right_x, label_width), row_y)
        pdf.set_font(FONT, "", 8.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(label_width, 5, label, align=pdf.end)
        pdf.set_xy(pdf.mirror(right_x + label_width, right_width - label_width), row_y)
        pdf.set_font(FONT, "B", 8.5)
        pdf.set_text_color(*TEXT)
        _line(pdf, right_width - label_width, 5, value, pdf.end)
    right_bottom = pdf.get_y()
    pdf.set_y(max(left_bottom, right_bottom) + 6)


def _line(pdf: _InvoiceDocument, width: float, height: float, text: str, align: str) -> None:
    """`text` in a `width` box at the cursor, then the start of the next line, as
    `multi_cell(..., new_x=LMARGIN, new_y=NEXT)` draws it; through FPDF.cell (no line breaking,
    ~4x cheaper: issue 23) when it is one line that fits, as names and address lines are."""
    if pdf.rtl or "\n" in text or pdf.get_string_width(text) > width - 2 * pdf.c_margin:
        pdf.multi_cell(width, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.cell(width, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _section_label(pdf: _InvoiceDocument, text: str, width: float) -> None:
    """A small upper-case heading in the accent colour, at the start of the line."""
    pdf.set_font(FONT, "B", 8)
    pdf.set_text_color(*pdf.accent)
    pdf.set_x(pdf.mirror(pdf.get_x(), width))
    pdf.cell(width, 5, text.upper(), align=pdf.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _draw_party_block(pdf: _InvoiceDocument, title: str, party: PartyView) -> None:
    """A titled name-and-address block on the starting half of the page."""
    width = 88.0
    x = pdf.mirror(MARGIN, width)
    _section_label(pdf, title, width)
    pdf.set_font(FONT, "B", 10)
    pdf.set_text_color(*TEXT)
    pdf.set_x(x)
    _line(pdf, width, 5.5, plain(party.name, single_line=True), pdf.start)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*MUTED)
    for line in party.lines:
        pdf.set_x(x)
        _line(pdf, width, 4.2, plain(line, single_line=True), pdf.start)


def _draw_parties(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    """The 'Bill to' block, plus the deposit call-out beside it when one is asked."""
    top = pdf.get_y()
    _draw_party_block(pdf, gettext("Bill to"), view.client)
    left_bottom = pdf.get_y()

    right_bottom = top
    if view.partial:
        box_w = 78.0
        box_x = pdf.mirror(pdf.w - MARGIN - box_w, box_w)
        due = plain(view.partial_due_date, single_line=True)
        box_h = 17.0 if due else 12.0
        pdf.set_fill_color(*_tint(pdf.accent, 0.88))
        pdf.set_draw_color(*pdf.accent)
        pdf.set_line_width(0.3)
        pdf.rect(box_x, top, box_w, box_h, style="DF")
        pdf.set_xy(box_x + 3, top + 2)
        pdf.set_font(FONT, "B", 8)
        pdf.set_text_color(*pdf.accent)
        pdf.cell(
            box_w - 6,
            4,
            gettext("PARTIAL DEPOSIT DUE"),
            align=pdf.start,
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )
        pdf.set_font(FONT, "B", 11)
        pdf.set_text_color(*TEXT)
        pdf.cell(
            box_w - 6,
            6,
            plain(view.partial, single_line=True),
            align=pdf.start,
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )
        if due:
            pdf.set_font(FONT, "", 8.5)
            pdf.set_text_color(*MUTED)
            by = gettext("Due by %(date)s") % {"date": due}
            pdf.cell(box_w - 6, 4.5, by, align=pdf.start, new_x=XPos.LEFT, new_y=YPos.NEXT)
        right_bottom = top + box_h
    pdf.set_y(max(left_bottom, right_bottom) + 7)


def _tint(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    """`rgb` mixed with white: amount 0 keeps the colour, 1 gives white."""
    r, g, b = (round(c + (255 - c) * amount) for c in rgb)
    return r, g, b


def _draw_lines(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    """The lines table; it flows over as many pages as needed with its header repeated."""
    header = [gettext(column) for column in LINE_COLUMNS]
    rows = [
        [
            plain(line.description),
            plain(line.quantity, single_line=True),
            plain(line.unit_price, single_line=True),
            plain(line.tax, single_line=True),
            plain(line.net, single_line=True),
        ]
        for line in view.lines
    ] or [[gettext("No lines"), "", "", "", ""]]
    if pdf.rtl or not _fits_one_line(pdf, header, rows):
        with _table(pdf, LINE_WIDTHS, LINE_ALIGN) as table:
            table.row(_ordered(pdf, header))
            for row in rows:
                table.row(_ordered(pdf, row))
    else:
        _draw_one_line_rows(pdf, header, rows)
    _end_table(pdf)


# The lines table's geometry (as `_table` gives fpdf2): text line height, padding in mm.
TABLE_LINE_H = 4.6
TABLE_PAD_V, TABLE_PAD_H = 1.8, 2.0
TABLE_FONT_SIZE = 8.5


def _fits_one_line(pdf: _InvoiceDocument, header: list[str], rows: list[list[str]]) -> bool:
    """Whether every cell of the lines table is one line in its column."""
    for style, cells in (("B", header), *(("", row) for row in rows)):
        pdf.set_font(FONT, style, TABLE_FONT_SIZE)
        for text, width in zip(cells, LINE_WIDTHS, strict=True):
            if "\n" in text or pdf.get_string_width(text) > width - 2 * TABLE_PAD_H:
                return False
    return True


def _draw_one_line_rows(pdf: _InvoiceDocument, header: list[str], rows: list[list[str]]) -> None:
    """The lines table as `_table` draws it (accent header repeated on every page, zebra rows)
    when every cell is one line: each text placed straight with FPDF.text, without fpdf2's
    table layout (which lays every cell out twice, character by character: ~25% of an
    invoice's CPU, issue 23)."""
    row_h = TABLE_LINE_H + 2 * TABLE_PAD_V

    def draw(cells: list[str], style: str, color: tuple[int, int, int], fill) -> None:
        y = pdf.get_y()
        if fill is not None:
            pdf.set_fill_color(*fill)
            pdf.rect(pdf.l_margin, y, pdf.epw, row_h, style="F")
        pdf.set_font(FONT, style, TABLE_FONT_SIZE)
        pdf.set_text_color(*color)
        baseline = y + TABLE_PAD_V + 0.5 * TABLE_LINE_H + 0.3 * pdf.font_size
        x = pdf.l_margin
        for text, width, align in zip(cells, LINE_WIDTHS, LINE_ALIGN, strict=True):
            if text:
                if align == "RIGHT":
                    left = x + width - TABLE_PAD_H - pdf.get_string_width(text)
                else:
                    left = x + TABLE_PAD_H
                pdf.text(left, baseline, text)
            x += width
        pdf.set_xy(pdf.l_margin, y + row_h)

    def heading() -> None:
        draw(header, "B", _on_color(pdf.accent), pdf.accent)

    if pdf.will_page_break(2 * row_h):
        pdf.add_page()
    heading()
    for index, row in enumerate(rows, start=1):
        if pdf.will_page_break(row_h):
            pdf.add_page()
            heading()
        draw(row, "", TEXT, ZEBRA if index % 2 == 0 else None)


def _ordered(pdf: _InvoiceDocument, cells: list[str]) -> list[str]:
    """A table row's cells in drawing order: the first column on the right of a right-to-left
    page (the widths and alignments of `_table` are turned round alike)."""
    return cells[::-1] if pdf.rtl else cells


def _table(pdf: _InvoiceDocument, widths: tuple[float, ...], align: tuple[str, ...]):
    """A zebra-striped table with an accent header row, repeated on every page it flows to;
    give it rows through `_ordered`."""
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*TEXT)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    # Rows that are not zebra-striped are drawn with the current fill colour: make it white.
    pdf.set_fill_color(255, 255, 255)
    headings = FontFace(
        family=FONT,
        emphasis="BOLD",
        size_pt=8.5,
        color=_on_color(pdf.accent),
        fill_color=pdf.accent,
    )
    return pdf.table(
        width=pdf.epw,
        col_widths=_ordered(pdf, list(widths)),
        text_align=_ordered(pdf, [pdf.align(a) for a in align]),
        headings_style=headings,
        borders_layout=TableBordersLayout.NONE,
        cell_fill_color=ZEBRA,
        cell_fill_mode=TableCellFillMode.EVEN_ROWS,
        line_height=4.6,
        padding=(1.8, 2.0),
        repeat_headings=1,
        markdown=False,
    )


def _end_table(pdf: _InvoiceDocument) -> None:
    """The accent rule under a table, and some space."""
    pdf.set_draw_color(*pdf.accent)
    pdf.set_line_width(0.4)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(5)


def _draw_totals(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    """Subtotal, tax per rate, total, paid to date and balance due, kept on one page."""
    rows: list[tuple[str, str, str]] = [(gettext("Subtotal"), view.subtotal, "")]
    rows += [(plain(label, single_line=True), amount, "") for label, amount in view.taxes]
    rows.append((gettext("Total"), view.total, "bold"))
    rows.append((gettext("Paid to date"), view.paid_to_date, ""))
    row_h = 6.0
    height = row_h * len(rows) + 11
    if view.partial:
        height += row_h
    if pdf.will_page_break(height):
        pdf.add_page()

    box_w = 86.0
    label_w = 50.0
    x = pdf.w - MARGIN - box_w
    for label, amount, style in rows:
        if style == "bold":
            pdf.set_draw_color(*RULE)
            rule_x = pdf.mirror(x, box_w)
            pdf.line(rule_x, pdf.get_y() + 0.5, rule_x + box_w, pdf.get_y() + 0.5)
            pdf.ln(1)
        weight = "B" if style == "bold" else ""
        pdf.set_font(FONT, weight, 9)
        value = plain(amount, single_line=True)
        color = TEXT if style else MUTED
        draw_pair(pdf, x, label_w, box_w - label_w, row_h, label, value, label_color=color)

    _draw_highlight(pdf, x, box_w, label_w, gettext("Balance due"), view.balance)
    if view.partial:
        pdf.set_font(FONT, "", 8.5)
        due = plain(view.partial_due_date, single_line=True)
        label = (
            gettext("Partial deposit due %(date)s") % {"date": due}
            if due
            else gettext("Partial deposit due")
        )
        value = plain(view.partial, single_line=True)
        draw_pair(pdf, x, label_w, box_w - label_w, row_h, label, value, value_style="B")
    pdf.ln(6)


def draw_pair(
    pdf: _InvoiceDocument,
    x: float,
    label_w: float,
    value_w: float,
    height: float,
    label: str,
    value: str,
    *,
    label_color: tuple[int, int, int] = MUTED,
    value_style: str | None = None,
) -> None:
    """One totals line: `label` then `value` (aligned to the line's end) in the box at `x`
    of a left-to-right page, mirrored on a right-to-left one; then the next line. The current
    font is the label's; the value's weight is `value_style` when given."""
    y = pdf.get_y()
    pdf.set_xy(pdf.mirror(x, label_w), y)
    pdf.set_text_color(*label_color)
    pdf.cell(label_w, height, label, align=pdf.start)
    if value_style is not None:
        pdf.set_font(FONT, value_style, pdf.font_size_pt)
    pdf.set_text_color(*TEXT)
    pdf.set_xy(pdf.mirror(x + label_w, value_w), y)
    pdf.cell(value_w, height, value, align=pdf.end, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _draw_highlight(
    pdf: _InvoiceDocument, x: float, box_w: float, label_w: float, label: str, amount: str
) -> None:
    """A total in a full-width accent bar at `x` (mirrored right to left), after a little space."""
    pdf.ln(1.5)
    y = pdf.get_y()
    pdf.set_fill_color(*pdf.accent)
    pdf.set_text_color(*_on_color(pdf.accent))
    pdf.set_font(FONT, "B", 10.5)
    pdf.set_xy(pdf.mirror(x, box_w), y)
    pdf.cell(box_w, 9, "", fill=True)
    pdf.set_xy(pdf.mirror(x + 2, label_w - 2), y)
    pdf.cell(label_w - 2, 9, label, align=pdf.start)
    pdf.set_xy(pdf.mirror(x + label_w, box_w - label_w - 2), y)
    pdf.cell(
        box_w - label_w - 2,
        9,
        plain(amount, single_line=True),
        align=pdf.end,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _draw_texts(pdf: _InvoiceDocument, view: InvoiceView) -> None:
    """Public notes, terms and the invoice footer, each as plain wrapped text."""
    draw_note(pdf, gettext("Notes"), view.public_notes)
    draw_note(pdf, gettext("Terms"), view.terms)
    draw_footer_text(pdf, view.footer)


def draw_note(pdf: _InvoiceDocument, title: str, body: str) -> None:
    """A titled paragraph of plain text; nothing when the text is empty."""
    text = plain(body)
    if not text:
        return
    if pdf.will_page_break(14):
        pdf.add_page()
    _section_label(pdf, title, pdf.epw)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(
        pdf.epw, 4.4, text, align="R" if pdf.rtl else "J", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(4)


def draw_footer_text(pdf: _InvoiceDocument, footer: str) -> None:
    """The company's document footer, centred under a rule."""
    text = plain(footer)
    if not text:
        return
    if pdf.will_page_break(12):
        pdf.add_page()
    pdf.set_draw_color(*RULE)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.ln(2.5)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(pdf.epw, 4.2, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
