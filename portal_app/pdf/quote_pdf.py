"""Quote PDF: a QuoteView in, PDF bytes out, in the current language. No database access here."""

from __future__ import annotations

from portal_app.core.i18n import gettext as _
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
    pdf = PortalDocument(view, _("Quote"))
    pdf.add_page()
    details = [
        (_("Quote number"), view.number),
        (_("Issue date"), view.issue_date),
        (_("Valid until"), view.valid_until),
        (_("PO number"), view.po_number),
        (_("Status"), view.status_label),
    ]
    if view.approved_on:
        details.append((_("Approved"), view.approved_on))
    if view.invoice_number:
        details.append((_("Invoice"), view.invoice_number))
    draw_heading(
        pdf, title=_("QUOTE"), logo_path=view.logo_path, company=view.company, details=details
    )
    draw_party(pdf, _("Prepared for"), view.client)
    _draw_lines(pdf, view)  # same lines table as the invoice
    rows: list[tuple[str, str, bool]] = [(_("Subtotal"), view.subtotal, False)]
    rows += [(label, amount, False) for label, amount in view.taxes]
    draw_totals(pdf, rows, (_("Total"), view.total))
    draw_note(pdf, _("Notes"), view.public_notes)
    draw_note(pdf, _("Terms"), view.terms)
    draw_footer_text(pdf, view.footer)
    return pdf.finish()
