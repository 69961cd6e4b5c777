"""Payment receipt PDF: a PaymentView in, PDF bytes out, in the current language. No database
access here."""

from __future__ import annotations

from portal_app.core.i18n import N_
from portal_app.core.i18n import gettext as _
from portal_app.pdf.portal_document import (
    PortalDocument,
    draw_footer_text,
    draw_heading,
    draw_note,
    draw_party,
    draw_table,
    draw_totals,
)
from portal_app.schemas.payment import PaymentView

INVOICE_COLUMNS = (N_("Invoice"), N_("Applied"), N_("Refunded"))
INVOICE_WIDTHS = (94, 40, 40)
CREDIT_COLUMNS = (N_("Credit"), N_("Amount used"))
CREDIT_WIDTHS = (134, 40)


def render_receipt_pdf(view: PaymentView) -> bytes:
    """Render one payment's receipt to PDF bytes (A4, Unicode fonts, 'Page N of M')."""
    pdf = PortalDocument(view, _("Receipt"))
    pdf.add_page()
    draw_heading(
        pdf,
        title=_("RECEIPT"),
        logo_path=view.logo_path,
        company=view.company,
        details=[
            (_("Payment"), view.number),
            (_("Date"), view.date),
            (_("Method"), view.method_label),
            (_("Reference"), view.transaction_reference),
            (_("Status"), view.status_label),
        ],
    )
    draw_party(pdf, _("Received from"), view.client)
    if view.is_failed:
        draw_note(
            pdf,
            _("Payment failed"),
            view.failure_message or _("This payment did not go through; nothing was charged."),
        )
    if view.invoices:
        draw_table(
            pdf,
            title=_("Invoices paid"),
            columns=tuple(_(column) for column in INVOICE_COLUMNS),
            widths=INVOICE_WIDTHS,
            align=("LEFT", "RIGHT", "RIGHT"),
            rows=[[inv.number, inv.applied, inv.refunded] for inv in view.invoices],
        )
    if view.credits:
        draw_table(
            pdf,
            title=_("Credits used"),
            columns=tuple(_(column) for column in CREDIT_COLUMNS),
            widths=CREDIT_WIDTHS,
            align=("LEFT", "RIGHT"),
            rows=[[credit.number, credit.amount] for credit in view.credits],
        )
    rows: list[tuple[str, str, bool]] = [(_("Amount paid"), view.amount, False)]
    if view.has_credit:
        rows.append((_("Credit used"), view.credit_total, False))
    rows.append((_("Applied to invoices"), view.applied, False))
    if view.has_refund:
        rows.append((_("Refunded"), view.refunded, False))
    if view.has_unapplied:
        rows.append((_("Unapplied"), view.unapplied, True))
    draw_totals(pdf, rows, (view.total_label, view.total))
    draw_footer_text(pdf, view.footer)
    return pdf.finish()
