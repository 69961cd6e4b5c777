"""Credit note PDF: a CreditView in, PDF bytes out, in the current language. No database access
here."""

from __future__ import annotations

from portal_app.core.i18n import N_
from portal_app.core.i18n import gettext as _
from portal_app.pdf.invoice_pdf import _draw_lines, attach_einvoice
from portal_app.pdf.portal_document import (
    PortalDocument,
    draw_footer_text,
    draw_heading,
    draw_note,
    draw_party,
    draw_table,
    draw_totals,
)
from portal_app.schemas.credit import CreditView

USE_COLUMNS = (N_("Applied to invoice"), N_("Payment"), N_("Date"), N_("Amount"))
USE_WIDTHS = (54, 44, 40, 36)


def render_credit_pdf(view: CreditView) -> bytes:
    """Render one credit note to PDF bytes (A4, Unicode fonts, 'Page N of M')."""
    pdf = PortalDocument(view, _("Credit"))
    pdf.add_page()
    draw_heading(
        pdf,
        title=_("CREDIT NOTE"),
        logo_path=view.logo_path,
        company=view.company,
        details=[
            (_("Credit number"), view.number),
            (_("Issue date"), view.issue_date),
            (_("Status"), view.status_label),
        ],
    )
    draw_party(pdf, _("Credit to"), view.client)
    _draw_lines(pdf, view)  # same lines table as the invoice
    rows: list[tuple[str, str, bool]] = [(_("Subtotal"), view.subtotal, False)]
    rows += [(label, amount, False) for label, amount in view.taxes]
    rows.append((_("Total credit"), view.total, True))
    rows.append((_("Used"), view.used, False))
    draw_totals(pdf, rows, (_("Remaining"), view.balance))
    if view.uses:
        draw_table(
            pdf,
            title=_("Applied"),
            columns=tuple(_(column) for column in USE_COLUMNS),
            widths=USE_WIDTHS,
            align=("LEFT", "LEFT", "LEFT", "RIGHT"),
            rows=[[u.invoice_number, u.payment_number, u.date, u.amount] for u in view.uses],
        )
    draw_note(pdf, _("Notes"), view.public_notes)
    draw_footer_text(pdf, view.footer)
    attach_einvoice(pdf, view.einvoice)
    return pdf.finish()
