"""Invoice, quote and credit PDFs for the staff console, exactly as the client gets them.

The staff user's company scope decides whether the record is found; the PDF itself is built
by the client's own view builders and renderers (invoices.build_invoice_view and
render_invoice_pdf, and so on) for the record's client, in that client's locale, so what staff
download is what the client downloads. Drafts too: staff check a document before sending it.
Like staff preview, it mints no contact's keys: an invoice's pay-link QR code (a key for one
contact) is left out.
"""

from __future__ import annotations

from sqlmodel import Session

from portal_app.pdf.credit_pdf import render_credit_pdf
from portal_app.pdf.invoice_pdf import render_invoice_pdf
from portal_app.pdf.quote_pdf import render_quote_pdf
from portal_app.services.billing import credits, invoices, quotes
from portal_app.services.billing.credit_files import credit_filename
from portal_app.services.billing.einvoice import client_format, in_format
from portal_app.services.billing.invoice_files import invoice_filename
from portal_app.services.billing.quote_files import quote_filename
from portal_app.services.billing.staff_records import Kind, get_record
from portal_app.services.company.locale import client_locale
from portal_app.services.identity.actor import Actor, StaffActor

# A client-side reader that is nobody's session: read-only, like a staff preview.
_READER_KIND = "staff_preview"


def client_reader(row) -> Actor:
    """The record's client as a read-only reader with no contact and no session: whom the
    client's view builders format the record for (locale, links)."""
    return Actor(
        company_id=row.company_id,
        client_id=row.client_id,
        contact_id=0,
        session_id=0,
        kind=_READER_KIND,
    )


def staff_pdf(
    session: Session, *, actor: StaffActor, kind: Kind, record_id: object
) -> tuple[str, bytes]:
    """One of the company's invoices, quotes or credits as (filename, PDF bytes), rendered as
    the client gets it (in the client's e-invoice format); NotFoundError for another company's
    record or a bad id."""
    row = get_record(session, actor=actor, kind=kind, record_id=record_id)
    reader = client_reader(row)
    fmt = client_format(session, row.client_id)
    if kind.name == "invoice":
        view = invoices.build_invoice_view(session, row, locale=client_locale(session, reader))
        return invoice_filename(view.number, view.id), render_invoice_pdf(in_format(view, fmt))
    if kind.name == "quote":
        view = quotes.build_quote_view(session, row, locale=client_locale(session, reader))
        return quote_filename(view.number, view.id), render_quote_pdf(view)
    view = credits.build_credit_view(session, row, actor=reader)
    return credit_filename(view.number, view.id), render_credit_pdf(in_format(view, fmt))
