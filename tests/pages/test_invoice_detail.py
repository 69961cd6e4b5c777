"""The invoice page keeps only what the browser shows (issue 25): its state var is kept in Redis
and sent to the browser on every change, so what only the PDF uses stays out of it."""

from __future__ import annotations

from portal_app.pages.client import invoice_detail
from portal_app.services.billing import invoices
from portal_app.services.billing.invoice_math import LineInput
from tests.pdf.test_facturx import SELLER


def test_the_page_keeps_the_invoice_without_what_only_the_pdf_uses(make, session):
    client = make.client(make.company(**SELLER))
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client, currency="EUR", lines=[LineInput("Design work", 1000, 250_00)])
    printed = invoices.invoice_view(session, actor=actor, invoice_id=invoice.id)
    assert printed.einvoice is not None and printed.logo_path  # what the PDF prints
    view = invoices.open_invoice(session, actor=actor, invoice_id=invoice.id)
    # The page's view does not even make what only the PDF uses (issue 25).
    assert (view.einvoice, view.logo_path) == (None, "") and view.payment_qr

    kept = invoice_detail._for_browser(view)

    assert (kept.einvoice, kept.payment_qr, kept.swiss_qr, kept.logo_path) == (None, "", "", "")
    # What the page shows stays: the codes as images, the lines, totals and payments.
    assert kept.payment_qr_src == view.payment_qr_src != ""
    assert kept.pay_link_qr_src == view.pay_link_qr_src != ""
    assert (kept.lines, kept.total, kept.balance) == (view.lines, view.total, view.balance)
    assert kept.einvoice_format == view.einvoice_format


def test_the_invoice_tables_are_plain_elements_with_radix_classes():
    """Issue 23: the lines and payments tables (the lines table is the quote, credit and
    recurring invoice pages' too) render no Radix table, scroll area, link or badge component
    (each renders again after mounting or sorts its props per render)."""
    from portal_app.components import documents
    from portal_app.schemas.invoice import InvoiceView

    inv = invoice_detail.InvoiceDetailState.invoice.to(InvoiceView)
    lines = str(documents.lines_table(inv.lines).render())
    payments = str(invoice_detail._payments(inv).render())
    for rendered in (lines, payments):
        assert "rt-TableRoot" in rendered
        for name in (
            "RadixThemesTable",
            "RadixThemesScrollArea",
            "RadixThemesLink",
            "RadixThemesBadge",
        ):
            assert name not in rendered
    assert '"invoice-payments"' in payments
