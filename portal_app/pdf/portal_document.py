"""Building blocks for client documents other than invoices (receipt, credit note).

They reuse the invoice PDF's fonts, colours, text cleaning, page furniture and drawers
(pdf.invoice_pdf); only the document's name in the running header and footer, the heading's
details and the totals differ. No database access here.
"""

from __future__ import annotations

from portal_app.pdf.invoice_pdf import (
    FONT,
    MARGIN,
    MUTED,
    TEXT,
    _draw_highlight,
    _draw_party_block,
    _end_table,
    _InvoiceDocument,
    _ordered,
    _section_label,
    _table,
    draw_footer_text,
    draw_heading,
    draw_note,
    draw_pair,
    plain,
)
from portal_app.schemas.invoice import PartyView

__all__ = [
    "PortalDocument",
    "draw_footer_text",
    "draw_heading",
    "draw_note",
    "draw_party",
    "draw_table",
    "draw_totals",
]


class PortalDocument(_InvoiceDocument):
    """The invoice's A4 page (accent bar, 'Page N of M') named after another document kind.

    `view` needs `number`, `primary_color` and `company.name`, as the invoice view has.
    """

    def __init__(self, view, label: str):
        super().__init__(view, label)


def draw_party(pdf: PortalDocument, title: str, party: PartyView) -> None:
    """A titled name-and-address block (e.g. 'Received from')."""
    _draw_party_block(pdf, title, party)
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
    with _table(pdf, widths, align) as table:
        table.row(_ordered(pdf, list(columns)))
        for row in rows:
            table.row(_ordered(pdf, [plain(cell, single_line=True) for cell in row]))
    _end_table(pdf)


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
        pdf.set_font(FONT, "B" if bold else "", 9)
        value = plain(amount, single_line=True)
        color = TEXT if bold else MUTED
        draw_pair(pdf, x, label_w, box_w - label_w, row_h, label, value, label_color=color)
    _draw_highlight(pdf, x, box_w, label_w, highlight[0], highlight[1])
    pdf.ln(6)
