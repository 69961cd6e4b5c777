"""Statement PDF: a StatementDocument in, PDF bytes out. No database access here.

One section per currency: opening balance, every movement with its running balance, then the
totals and the closing balance, then the aging table. When the movements run over a page, the
page ends with a "Carried forward" line and the next one starts with "Brought forward", both
carrying the running balance, and the column header is repeated.
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

from fpdf.enums import XPos, YPos

from portal_app.pdf.invoice_pdf import FONT, MUTED, RULE, TEXT, ZEBRA, _section_label, plain
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

COLUMNS = ("Date", "Reference", "Description", "Amount", "Balance")
WIDTHS = (24.0, 32.0, 70.0, 24.0, 24.0)
ALIGN = ("L", "L", "L", "R", "R")
ROW_H = 6.0


@lru_cache(maxsize=8192)
def _clean(text: str) -> str:
    """plain() for one cell; dates, descriptions and amounts repeat over thousands of rows."""
    return plain(text, single_line=True)


def render_statement_pdf(doc: StatementDocument) -> bytes:
    """Render the statement to PDF bytes (A4, Unicode fonts, 'Page N of M')."""
    period = f"{doc.start} – {doc.end}"
    pdf = PortalDocument(
        SimpleNamespace(number=period, primary_color=doc.primary_color, company=doc.company),
        "Statement",
    )
    pdf.add_page()
    draw_heading(
        pdf,
        title="STATEMENT",
        logo_path=doc.logo_path,
        company=doc.company,
        details=[("From", doc.start), ("To", doc.end), ("Showing", doc.status_label)],
    )
    draw_party(pdf, "Statement for", doc.client)
    for view in doc.views:
        _draw_currency(pdf, view)
    draw_footer_text(pdf, doc.footer)
    return pdf.finish()


def _row(pdf: PortalDocument, cells: tuple[str, ...], *, bold=False, fill=None) -> None:
    pdf.set_font(FONT, "B" if bold else "", 8)
    pdf.set_text_color(*TEXT)
    if fill:
        pdf.set_fill_color(*fill)
    for width, align, text in zip(WIDTHS, ALIGN, cells, strict=True):
        pdf.cell(width, ROW_H, _clean(text), align=align, fill=bool(fill))
    pdf.ln(ROW_H)


def _header(pdf: PortalDocument) -> None:
    pdf.set_font(FONT, "B", 8)
    pdf.set_text_color(*MUTED)
    for width, align, text in zip(WIDTHS, ALIGN, COLUMNS, strict=True):
        pdf.cell(width, ROW_H, text, align=align)
    pdf.ln(ROW_H)
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())


def _draw_currency(pdf: PortalDocument, view: StatementView) -> None:
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.ln(2)
    _section_label(pdf, f"Statement in {view.currency}", pdf.epw)
    pdf.ln(1)
    if view.is_empty:
        draw_note(pdf, "No activity in this period", f"Balance: {view.closing}")
    else:
        _header(pdf)
        _row(pdf, ("", "", "Opening balance", "", view.opening), bold=True)
        balance = view.opening
        bottom = pdf.h - 22  # the auto page-break margin
        pdf.set_auto_page_break(auto=False)
        try:
            for index, row in enumerate(view.rows):
                # Room for this row and the "Carried forward" line under it.
                if pdf.get_y() + 2 * ROW_H > bottom:
                    _row(pdf, ("", "", "Carried forward", "", balance), bold=True)
                    pdf.add_page()
                    _section_label(pdf, f"Statement in {view.currency} (continued)", pdf.epw)
                    _header(pdf)
                    _row(pdf, ("", "", "Brought forward", "", balance), bold=True)
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
        finally:
            pdf.set_auto_page_break(auto=True, margin=22)
        pdf.ln(3)
    draw_totals(
        pdf,
        [
            ("Opening balance", view.opening, False),
            ("Invoices", view.invoices_total, False),
            ("Payments", view.payments_total, False),
            ("Credits", view.credits_total, False),
        ],
        (f"Closing balance {view.currency}", view.closing),
    )
    if view.aging:
        draw_table(
            pdf,
            title=f"Aging in {view.currency} (days past due)",
            columns=tuple(b.label for b in view.aging),
            widths=(29.0,) * len(view.aging),
            align=("RIGHT",) * len(view.aging),
            rows=[[b.amount for b in view.aging]],
        )
    pdf.set_x(pdf.l_margin)
    pdf.cell(0, 1, "", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
