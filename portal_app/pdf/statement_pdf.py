"""Statement PDF: a StatementDocument in, PDF bytes out, in the current language (right to left
in Arabic, see pdf/invoice_pdf.py). No database access here.

One section per currency: opening balance, every movement with its running balance, then the
totals and the closing balance, then the aging table. When the movements run over a page, the
page ends with a "Carried forward" line and the next one starts with "Brought forward", both
carrying the running balance, and the column header is repeated.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache
from types import SimpleNamespace

from fpdf.enums import XPos, YPos

from portal_app.core.i18n import N_, pgettext
from portal_app.core.i18n import gettext as _
from portal_app.pdf.invoice_pdf import (
    FONT,
    MUTED,
    RULE,
    TEXT,
    ZEBRA,
    _drawable,
    _font_codepoints,
    _section_label,
)
from portal_app.pdf.portal_document import (
    PortalDocument,
    draw_footer_text,
    draw_heading,
    draw_note,
    draw_party,
    draw_table,
    draw_totals,
)
from portal_app.schemas.statement import StatementDocument, StatementView

# The last column is the running balance (pgettext: not the "balance due" of an invoice).
COLUMNS = (N_("Date"), N_("Reference"), N_("Description"), N_("Amount"), "Balance")
WIDTHS = (24.0, 32.0, 70.0, 24.0, 24.0)
ALIGN = ("L", "L", "L", "R", "R")
ROW_H = 6.0
PROGRESS_EVERY = 250


class _DrawableChars(dict):
    """str.translate() table built on demand: each character as plain() would draw it with
    the font `codepoints` (the document language's).

    plain() looks at every character in Python; a statement has ~30,000 cells, mostly
    unique balances, so the per-character answer is cached here and the loop runs in C.
    """

    def __init__(self, codepoints: frozenset[int]):
        super().__init__()
        self.codepoints = codepoints

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        drawn = " " if char in "\r\n\t" else _drawable(char, self.codepoints)
        self[codepoint] = drawn
        return drawn


# One table per font (the fonts' code points are cached, so they are the same object).
_CHARS: dict[int, _DrawableChars] = {}


def _clean(text: str) -> str:
    """plain(text, single_line=True), fast: same characters out, whitespace runs collapsed."""
    codepoints = _font_codepoints()
    table = _CHARS.get(id(codepoints))
    if table is None:
        table = _CHARS.setdefault(id(codepoints), _DrawableChars(codepoints))
    return " ".join(text.translate(table).split())


def render_statement_pdf(
    doc: StatementDocument,
    *,
    progress: Callable[[int, int], None] | None = None,
    every: int = PROGRESS_EVERY,
) -> bytes:
    """Render the statement to PDF bytes (A4, Unicode fonts, 'Page N of M').

    `progress(lines_done, lines_total)` is called every `every` statement lines and once
    when all are drawn (before the file is assembled); an exception it raises (a cancel)
    stops the rendering and propagates.
    """
    counter = _Progress(progress, sum(len(view.rows) for view in doc.views), max(1, every))
    period = f"{doc.start} – {doc.end}"
    pdf = PortalDocument(
        SimpleNamespace(number=period, primary_color=doc.primary_color, company=doc.company),
        _("Statement"),
    )
    pdf.add_page()
    draw_heading(
        pdf,
        title=_("STATEMENT"),
        logo_path=doc.logo_path,
        company=doc.company,
        details=[
            (pgettext("statement period", "From"), doc.start),
            (pgettext("statement period", "To"), doc.end),
            (_("Showing"), doc.status_label),
        ],
    )
    draw_party(pdf, _("Statement for"), doc.client)
    counter.report()
    for view in doc.views:
        _draw_currency(pdf, view, counter)
    counter.report()
    draw_footer_text(pdf, doc.footer)
    return pdf.finish()


class _Progress:
    """Counts drawn lines and tells the callback every `every` lines."""

    __slots__ = ("callback", "done", "every", "total")

    def __init__(self, callback, total: int, every: int):
        self.callback, self.total, self.every, self.done = callback, total, every, 0

    def step(self) -> None:
        self.done += 1
        if self.callback is not None and self.done % self.every == 0:
            self.callback(self.done, self.total)

    def report(self) -> None:
        if self.callback is not None:
            self.callback(self.done, self.total)


def _row(pdf: PortalDocument, cells: tuple[str, ...], *, bold=False, fill=None) -> None:
    """One table line, drawn straight as text (no cell layout): thousands of lines a statement.

    FPDF.cell() lays out every string as styled fragments (~100 us a cell); a statement row
    needs none of that: one font, one line, known column widths. So the zebra band is one
    rectangle and each text goes to its column with FPDF.text(), right-aligned ones shifted
    by their width from the font's metrics. It looks the same as the cell-based row did.
    A right-to-left page goes through `_rtl_cells`.
    """
    pdf.set_font(FONT, "B" if bold else "", 8)
    pdf.set_text_color(*TEXT)
    x, y = pdf.l_margin, pdf.get_y()
    if fill:
        pdf.set_fill_color(*fill)
        pdf.rect(x, y, sum(WIDTHS), ROW_H, style="F")
    baseline = y + 0.5 * ROW_H + 0.3 * pdf.font_size
    if pdf.rtl:
        _rtl_cells(pdf, cells, y, baseline)
        return
    font = pdf.current_font
    size_pt = pdf.font_size_pt
    pad = pdf.c_margin
    for width, align, text in zip(WIDTHS, ALIGN, cells, strict=True):
        if text:
            text = _clean(text)
            if align == "R":
                text_w = font.get_text_width(text, size_pt, None)[1] / pdf.k
                pdf.text(x + width - pad - text_w, baseline, text)
            else:
                pdf.text(x + pad, baseline, text)
        x += width
    pdf.set_xy(pdf.l_margin, y + ROW_H)


def _rtl_cells(pdf: PortalDocument, cells: tuple[str, ...], y: float, baseline: float) -> None:
    """`_row`'s texts on a right-to-left page: columns mirrored, and only a text with Arabic
    letters takes the cell path (the shaping engine joins them; FPDF.text() and the font's
    plain widths know nothing of that)."""
    x = pdf.l_margin
    for width, align, text in zip(WIDTHS, ALIGN, cells, strict=True):
        if text:
            text = _clean(text)
            left, drawn_align = pdf.mirror(x, width), pdf.align(align)
            if _needs_shaping(text):
                pdf.set_xy(left, y)
                pdf.cell(width, ROW_H, text, align=drawn_align)
            else:
                _text_at(pdf, left, width, drawn_align, baseline, text)
        x += width
    pdf.set_xy(pdf.l_margin, y + ROW_H)


def _text_at(
    pdf: PortalDocument, left: float, width: float, align: str, baseline: float, text: str
) -> None:
    """`text` with no right-to-left letters in the column at `left`, drawn straight."""
    shaping = pdf.text_shaping
    pdf.text_shaping = None  # dates, numbers, amounts: nothing to shape even on an Arabic page
    try:
        if align == "R":
            text_w = pdf.current_font.get_text_width(text, pdf.font_size_pt, None)[1] / pdf.k
            pdf.text(left + width - pdf.c_margin - text_w, baseline, text)
        else:
            pdf.text(left + pdf.c_margin, baseline, text)
    finally:
        pdf.text_shaping = shaping


@lru_cache(maxsize=4096)
def _needs_shaping(text: str) -> bool:
    """Whether `text` holds right-to-left letters (Arabic, Hebrew)."""
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


def _header(pdf: PortalDocument) -> None:
    pdf.set_font(FONT, "B", 8)
    pdf.set_text_color(*MUTED)
    x, y = pdf.l_margin, pdf.get_y()
    names = [_(text) for text in COLUMNS[:-1]] + [pgettext("running balance", "Balance")]
    for width, align, text in zip(WIDTHS, ALIGN, names, strict=True):
        pdf.set_xy(pdf.mirror(x, width), y)
        pdf.cell(width, ROW_H, text, align=pdf.align(align))
        x += width
    pdf.set_xy(pdf.l_margin, y)
    pdf.ln(ROW_H)
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())


def _draw_currency(pdf: PortalDocument, view: StatementView, counter: _Progress) -> None:
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.ln(2)
    currency = {"currency": view.currency}
    _section_label(pdf, _("Statement in %(currency)s") % currency, pdf.epw)
    pdf.ln(1)
    if view.is_empty:
        draw_note(
            pdf,
            _("No activity in this period"),
            _("Balance: %(amount)s") % {"amount": view.closing},
        )
    else:
        _header(pdf)
        _row(pdf, ("", "", _("Opening balance"), "", view.opening), bold=True)
        balance = view.opening
        bottom = pdf.h - 22  # the auto page-break margin
        pdf.set_auto_page_break(auto=False)
        try:
            for index, row in enumerate(view.rows):
                # Room for this row and the "Carried forward" line under it.
                if pdf.get_y() + 2 * ROW_H > bottom:
                    _row(pdf, ("", "", _("Carried forward"), "", balance), bold=True)
                    pdf.add_page()
                    continued = _("Statement in %(currency)s (continued)") % currency
                    _section_label(pdf, continued, pdf.epw)
                    _header(pdf)
                    _row(pdf, ("", "", _("Brought forward"), "", balance), bold=True)
                _row(
                    pdf,
                    (
                        row.date,
                        row.reference,
                        row.description,
                        row.amount,
                        row.balance,
                    ),
                    fill=ZEBRA if index % 2 else None,
                )
                balance = row.balance
                counter.step()
        finally:
            pdf.set_auto_page_break(auto=True, margin=22)
        pdf.ln(3)
    draw_totals(
        pdf,
        [
            (_("Opening balance"), view.opening, False),
            (_("Invoices"), view.invoices_total, False),
            (_("Payments"), view.payments_total, False),
            (_("Credits"), view.credits_total, False),
        ],
        (_("Closing balance %(currency)s") % currency, view.closing),
    )
    if view.aging:
        draw_table(
            pdf,
            title=_("Aging in %(currency)s (days past due)") % currency,
            columns=tuple(b.label for b in view.aging),
            widths=(29.0,) * len(view.aging),
            align=("RIGHT",) * len(view.aging),
            rows=[[b.amount for b in view.aging]],
        )
    pdf.set_x(pdf.l_margin)
    pdf.cell(0, 1, "", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
