"""Building blocks for client documents other than invoices (receipt, credit note).

They reuse the invoice PDF's fonts, colours, text cleaning and page furniture
(pdf.invoice_pdf); only the document's name in the running header and footer, the heading's
details and the totals differ. No database access here.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FontFace
from fpdf.enums import TableBordersLayout, TableCellFillMode, XPos, YPos

from portal_app.pdf.invoice_pdf import (
    FONT,
    MARGIN,
    MUTED,
    PAGE_ALIAS,
    RULE,
    TEXT,
    ZEBRA,
    _InvoiceDocument,
    _logo_size,
    _on_color,
    _section_label,
    plain,
)
from portal_app.schemas.invoice import PartyView


class PortalDocument(_InvoiceDocument):
    """The invoice's A4 page (accent bar, 'Page N of M') named after another document kind.

    `view` needs `number`, `primary_color` and `company.name`, as the invoice view has.
    """

    def __init__(self, view, label: str):
        super().__init__(view)
        self.label = label
        self.set_title(f"{label} {self.number}")
        self.set_subject(f"{label} {self.number} from {self.company_name}")

    def header(self) -> None:
        self.set_fill_color(*self.accent)
        self.rect(0, 0, self.w, 4, style="F")
        if self.page_no() == 1:
            self.set_y(MARGIN)
            return
        self.set_xy(MARGIN, 9)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        half = self.epw / 2
        self.cell(half, 5, self.company_name, align="L")
        self.cell(half, 5, f"{self.label} {self.number} (continued)", align="R")
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(MARGIN, 15, self.w - MARGIN, 15)
        self.set_y(MARGIN + 2)

    def footer(self) -> None:
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
            self.cell(half, 5, f"{self.company_name} · {self.label} {self.number}", align="L")
            self.cell(half, 5, f"Page {self.page_no()} of {PAGE_ALIAS}", align="R")
        finally:
            self.str_alias_nb_pages = previous_alias


def draw_heading(
    pdf: PortalDocument,
    *,
    title: str,
    logo_path: str,
    company: PartyView,
    details: list[tuple[str, str]],
) -> None:
    """Logo and company block on the left; the title and (label, value) details on the right."""
    top = MARGIN
    left_width = 88.0
    y = top
    logo = Path(logo_path) if logo_path else None
    if logo is not None and logo.is_file():
        size = _logo_size(logo)
        if size is not None:
            try:
                pdf.image(str(logo), x=MARGIN, y=top, w=size[0], h=size[1])
                y = top + size[1] + 4
            except (OSError, ValueError, RuntimeError):
                y = top
    pdf.set_xy(MARGIN, y)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(left_width, 6, pdf.company_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*MUTED)
    for line in company.lines:
        pdf.set_x(MARGIN)
        pdf.multi_cell(
            left_width, 4.2, plain(line, single_line=True), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    left_bottom = pdf.get_y()

    right_width = 78.0
    right_x = pdf.w - MARGIN - right_width
    pdf.set_xy(right_x, top - 1)
    pdf.set_font(FONT, "B", 24)
    pdf.set_text_color(*pdf.accent)
    pdf.cell(right_width, 11, title, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.ln(2)
    label_width = 34.0
    for label, value in details:
        value = plain(value, single_line=True)
        if not value:
            continue
        pdf.set_x(right_x)
        pdf.set_font(FONT, "", 8.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(label_width, 5, label, align="R")
        pdf.set_font(FONT, "B", 8.5)
        pdf.set_text_color(*TEXT)
        pdf.multi_cell(
            right_width - label_width, 5, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)


def draw_party(pdf: PortalDocument, title: str, party: PartyView) -> None:
    """A titled name-and-address block (e.g. 'Received from')."""
    width = 88.0
    _section_label(pdf, title, width)
    pdf.set_font(FONT, "B", 10)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(
        width, 5.5, plain(party.name, single_line=True), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*MUTED)
    for line in party.lines:
        pdf.multi_cell(
            width, 4.2, plain(line, single_line=True), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(7)


def draw_table(
    pdf: PortalDocument,
    *,
    title: str,
    columns: tuple[str, ...],
    widths: tuple[float, ...],
    align: tuple[str, ...],
    rows: list[list[str]],
) -> None:
    """A titled table in the invoice lines' style; it flows over pages with its header."""
    if pdf.will_page_break(20):
        pdf.add_page()
    _section_label(pdf, title, pdf.epw)
    pdf.ln(1)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*TEXT)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(255, 255, 255)
    headings = FontFace(
        family=FONT,
        emphasis="BOLD",
        size_pt=8.5,
        color=_on_color(pdf.accent),
        fill_color=pdf.accent,
    )
    with pdf.table(
        width=pdf.epw,
        col_widths=widths,
        text_align=align,
        headings_style=headings,
        borders_layout=TableBordersLayout.NONE,
        cell_fill_color=ZEBRA,
        cell_fill_mode=TableCellFillMode.EVEN_ROWS,
        line_height=4.6,
        padding=(1.8, 2.0),
        repeat_headings=1,
        markdown=False,
    ) as table:
        table.row(columns)
        for row in rows:
            table.row([plain(cell, single_line=True) for cell in row])
    pdf.set_draw_color(*pdf.accent)
    pdf.set_line_width(0.4)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(5)


def draw_totals(
    pdf: PortalDocument, rows: list[tuple[str, str, bool]], highlight: tuple[str, str]
) -> None:
    """(label, amount, bold) rows on the right, then `highlight` in an accent bar; one page."""
    row_h = 6.0
    if pdf.will_page_break(row_h * len(rows) + 12):
        pdf.add_page()
    box_w = 86.0
    label_w = 50.0
    x = pdf.w - MARGIN - box_w
    for label, amount, bold in rows:
        pdf.set_x(x)
        weight = "B" if bold else ""
        pdf.set_font(FONT, weight, 9)
        pdf.set_text_color(*(TEXT if bold else MUTED))
        pdf.cell(label_w, row_h, label, align="L")
        pdf.set_text_color(*TEXT)
        pdf.cell(
            box_w - label_w,
            row_h,
            plain(amount, single_line=True),
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(1.5)
    pdf.set_x(x)
    pdf.set_fill_color(*pdf.accent)
    pdf.set_text_color(*_on_color(pdf.accent))
    pdf.set_font(FONT, "B", 10.5)
    pdf.cell(label_w, 9, "  " + highlight[0], align="L", fill=True)
    pdf.cell(
        box_w - label_w,
        9,
        plain(highlight[1], single_line=True) + "  ",
        align="R",
        fill=True,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(6)


def draw_note(pdf: PortalDocument, title: str, body: str) -> None:
    """A titled paragraph of plain text; nothing when the text is empty."""
    text = plain(body)
    if not text:
        return
    if pdf.will_page_break(14):
        pdf.add_page()
    _section_label(pdf, title, pdf.epw)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(pdf.epw, 4.4, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def draw_footer_text(pdf: PortalDocument, footer: str) -> None:
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
