"""Quote PDF: a QuoteView in, PDF bytes out. No database access here."""

from __future__ import annotations

from portal_app.pdf.invoice_pdf import _draw_lines
from portal_app.pdf.portal_document import (
    PortalDocument,
    draw_footer_text,
    draw_heading,
    draw_note,
    draw_party,
    draw_totals,
)
from portal_app.schemas.quote import QuoteView


def render_quote_pdf(view: QuoteView) -> bytes:
    """Render one quote to PDF bytes (A4, Unicode fonts, 'Page N of M')."""
    pdf = PortalDocument(view, "Quote")
    pdf.add_page()
    details = [
        ("Quote number", view.number),
        ("Issue date", view.issue_date),
        ("Valid until", view.valid_until),
        ("PO number", view.po_number),
        ("Status", view.status_label),
    ]
    if view.approved_on:
        details.append(("Approved", view.approved_on))
    if view.invoice_number:
        details.append(("Invoice", view.invoice_number))
    draw_heading(
        pdf, title="QUOTE", logo_path=view.logo_path, company=view.company, details=details
    )
    draw_party(pdf, "Prepared for", view.client)
    _draw_lines(pdf, view)  # same lines table as the invoice
    rows: list[tuple[str, str, bool]] = [("Subtotal", view.subtotal, False)]
    rows += [(label, amount, False) for label, amount in view.taxes]
    draw_totals(pdf, rows, ("Total", view.total))
    draw_note(pdf, "Notes", view.public_notes)
    draw_note(pdf, "Terms", view.terms)
    draw_footer_text(pdf, view.footer)
    return pdf.finish()
