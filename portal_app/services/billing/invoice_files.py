"""Invoice downloads: one PDF, or a ZIP of several, always scoped to the actor."""

from __future__ import annotations

import io
import zipfile

from sqlmodel import Session

from portal_app.core.files import safe_name_part
from portal_app.pdf.facturx import ubl_xml
from portal_app.pdf.invoice_pdf import render_invoice_pdf
from portal_app.services.billing import invoices
from portal_app.services.billing.einvoice import client_format, in_format
from portal_app.services.company.locale import client_locale
from portal_app.services.identity.actor import Actor


def invoice_filename(number: str, invoice_id: int) -> str:
    """The download name of one invoice's PDF, e.g. 'invoice-INV-0001.pdf'."""
    return f"invoice-{safe_name_part(number, str(invoice_id))}.pdf"


def ubl_filename(number: str, invoice_id: int) -> str:
    """The download name of one invoice's UBL file, e.g. 'invoice-INV-0001.xml'."""
    return f"invoice-{safe_name_part(number, str(invoice_id))}.xml"


def invoice_pdf(session: Session, *, actor: Actor, invoice_id: int) -> tuple[str, bytes]:
    """The actor's invoice as (filename, PDF bytes); NotFoundError if it is not theirs."""
    view = invoices.invoice_view(session, actor=actor, invoice_id=invoice_id)
    fmt = client_format(session, actor.client_id)
    return invoice_filename(view.number, view.id), render_invoice_pdf(in_format(view, fmt))


def invoice_ubl(session: Session, *, actor: Actor, invoice_id: int) -> tuple[str, bytes]:
    """The actor's invoice as (filename, UBL 2.1 XML bytes), checked against the UBL schema;
    NotFoundError if it is not theirs (the same scope as its PDF)."""
    view = invoices.invoice_view(session, actor=actor, invoice_id=invoice_id)
    assert view.einvoice is not None  # every invoice view carries it
    return ubl_filename(view.number, view.id), ubl_xml(view.einvoice)


def invoices_zip(session: Session, *, actor: Actor, invoice_ids: list[int]) -> tuple[str, bytes]:
    """One ZIP of the actor's invoices' PDFs; any id that is not theirs makes it NotFoundError."""
    found = invoices.invoices_for_download(session, actor=actor, invoice_ids=invoice_ids)
    locale = client_locale(session, actor)
    fmt = client_format(session, actor.client_id)
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for invoice in found:
            view = invoices.build_invoice_view(session, invoice, locale=locale)
            view = invoices.with_pay_link(session, actor=actor, invoice=invoice, view=view)
            name = invoice_filename(view.number, view.id)
            if name in used:  # two numbers that differ only in unsafe characters
                name = f"invoice-{safe_name_part(view.number, 'x')}-{view.id}.pdf"
            used.add(name)
            archive.writestr(name, render_invoice_pdf(in_format(view, fmt)))
    return "invoices.zip", buffer.getvalue()
