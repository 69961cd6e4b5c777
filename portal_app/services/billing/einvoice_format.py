"""A client's e-invoice format: what its invoice and credit note downloads and e-mail
attachments are (schemas.einvoice FORMATS), set by staff on the client's page.

"pdf" is a plain PDF (no XML inside), "hybrid" the Factur-X PDF/A-3 with its XML (the
default), "xml" the hybrid and, beside it, the UBL 2.1 file. Each e-mailed document records the
format it went out in (sent_format), which the staff document pages show.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from portal_app.core.errors import ValidationError
from portal_app.core.files import safe_name_part
from portal_app.models import Client, ClientContact
from portal_app.pdf.credit_pdf import render_credit_pdf
from portal_app.pdf.facturx import ubl_xml
from portal_app.pdf.invoice_pdf import render_invoice_pdf
from portal_app.schemas.einvoice import FORMAT_LABELS, FORMAT_XML
from portal_app.services.billing import credits, invoices, payment_qr
from portal_app.services.billing.credit_files import credit_filename
from portal_app.services.billing.einvoice import client_format, in_format
from portal_app.services.billing.invoice_files import invoice_filename, ubl_filename
from portal_app.services.billing.staff_files import client_reader
from portal_app.services.company.locale import client_locale
from portal_app.services.company.staff_clients import get_client
from portal_app.services.identity import audit
from portal_app.services.identity.actor import StaffActor
from portal_app.services.mail.outbox import Attachment

FORMAT_CHOICE_MESSAGE = "Choose PDF only, hybrid PDF, or hybrid PDF and XML."


def staff_client_format(session: Session, *, actor: StaffActor, client_id: object) -> str:
    """The format of the company's client; NotFoundError for another company's client."""
    client = get_client(session, actor=actor, client_id=client_id)
    return client_format(session, client.id)


def set_client_format(
    session: Session, *, actor: StaffActor, client_id: object, value: object
) -> Client:
    """Set the company's client's format (audited); NotFoundError for another company's
    client, ValidationError("einvoice_format") for anything but the three formats."""
    client = get_client(session, actor=actor, client_id=client_id)
    fmt = str(value or "")
    if fmt not in FORMAT_LABELS:
        raise ValidationError("einvoice_format", FORMAT_CHOICE_MESSAGE)
    if client.einvoice_format != fmt:
        before = client.einvoice_format
        client.einvoice_format = fmt
        session.add(client)
        audit.record(
            session,
            company_id=actor.company_id,
            client_id=client.id,
            action="client_updated",
            actor_type="staff",
            actor_id=actor.staff_user_id,
            entity_type="client",
            entity_id=client.id,
            ip=actor.ip,
            details={"fields": ["einvoice_format"], "from": before, "to": fmt},
        )
    return client


def document_attachments(
    session: Session, *, kind_name: str, row, contact: ClientContact
) -> tuple[str, list[Attachment]]:
    """(format, files) to e-mail an invoice or credit note (`row`, already authorised) to
    `contact` in its client's format: the PDF (plain or hybrid), and the UBL XML for "xml". An
    invoice's PDF carries the pay-link QR code keyed for `contact`."""
    fmt = client_format(session, row.client_id)
    reader = client_reader(row)
    if kind_name == "invoice":
        view = invoices.build_invoice_view(session, row, locale=client_locale(session, reader))
        link = payment_qr.contact_pay_link(session, contact=contact, invoice=row)
        view = replace(view, pay_link=link)
        files = [
            Attachment(
                invoice_filename(view.number, view.id),
                "application/pdf",
                render_invoice_pdf(in_format(view, fmt)),
            )
        ]
        filename = ubl_filename(view.number, view.id)
    else:
        view = credits.build_credit_view(session, row, actor=reader)
        files = [
            Attachment(
                credit_filename(view.number, view.id),
                "application/pdf",
                render_credit_pdf(in_format(view, fmt)),
            )
        ]
        filename = f"credit-{safe_name_part(view.number, str(view.id))}.xml"
    if fmt == FORMAT_XML and view.einvoice is not None:
        files.append(Attachment(filename, "application/xml", ubl_xml(view.einvoice)))
    return fmt, files
