"""A client's e-invoice format (PDF only, hybrid PDF, hybrid PDF and XML): set by staff, followed
by the client's downloads and the e-mailed attachments, and recorded per e-mailed document."""

from __future__ import annotations

import io
import json
import zipfile

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.models import AuditEvent, OutboxAttachment, OutboxMessage
from portal_app.services.billing import credit_files, invoice_files, invoices
from portal_app.services.billing.einvoice_format import set_client_format, staff_client_format
from portal_app.services.billing.staff_einvoice import einvoice_profile
from portal_app.services.billing.staff_files import staff_pdf
from portal_app.services.billing.staff_mail import email_document
from portal_app.services.billing.staff_records import CREDIT, INVOICE, create_record
from tests.helpers.staff_docs import invoice_form, staff_actor

SELLER = {
    "address1": "Hafenstrasse 12",
    "postal_code": "20457",
    "city": "Hamburg",
    "country_code": "DE",
    "vat_number": "DE123456789",
    "iban": "DE89370400440532013000",
}
BUYER = {"address1": "Ring 2", "postal_code": "1010", "city": "Wien", "country_code": "AT"}


def _embedded(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF")
    return list(PdfReader(io.BytesIO(pdf)).attachments)


@pytest.fixture
def setup(session, make):
    company = make.company(**SELLER)
    client = make.client(company, currency="EUR", **BUYER)
    contact = make.contact(client, is_primary=True)
    return company, client, contact, staff_actor(session, company)


def test_staff_set_the_format_which_is_audited(session, setup):
    company, client, _, actor = setup
    assert staff_client_format(session, actor=actor, client_id=client.id) == "hybrid"
    set_client_format(session, actor=actor, client_id=client.id, value="xml")
    assert client.einvoice_format == "xml"
    assert staff_client_format(session, actor=actor, client_id=str(client.id)) == "xml"
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.client_id == client.id, AuditEvent.action == "client_updated"
        )
    ).one()
    details = json.loads(event.details)
    assert details["fields"] == ["einvoice_format"] and details["to"] == "xml"


@pytest.mark.parametrize("value", ["", "XML", "zip", None, "pdf; drop table"])
def test_an_unknown_format_is_refused(session, setup, value):
    _, client, _, actor = setup
    with pytest.raises(ValidationError) as refused:
        set_client_format(session, actor=actor, client_id=client.id, value=value)
    assert refused.value.field == "einvoice_format"
    assert client.einvoice_format == "hybrid"


def test_another_companys_client_is_not_found(session, make, setup):
    _, _, _, actor = setup
    stranger = make.client(make.company())
    for call in (
        lambda: staff_client_format(session, actor=actor, client_id=stranger.id),
        lambda: set_client_format(session, actor=actor, client_id=stranger.id, value="pdf"),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert stranger.einvoice_format == "hybrid"


def test_downloads_follow_the_format(session, make, setup):
    _, client, contact, actor = setup
    client_actor = make.actor(contact)
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    credit = create_record(
        session, actor=actor, kind=CREDIT, form=invoice_form(client.id, due_date="")
    )
    email_document(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    email_document(session, actor=actor, kind=CREDIT, record_id=credit.id)

    def files() -> tuple[list[str], list[str], list[str]]:
        _, pdf = invoice_files.invoice_pdf(session, actor=client_actor, invoice_id=invoice.id)
        _, zipped = invoice_files.invoices_zip(
            session, actor=client_actor, invoice_ids=[invoice.id]
        )
        (inner,) = [
            zipfile.ZipFile(io.BytesIO(zipped)).read(n)
            for n in zipfile.ZipFile(io.BytesIO(zipped)).namelist()
        ]
        _, credit_pdf = credit_files.credit_pdf(session, actor=client_actor, credit_id=credit.id)
        return _embedded(pdf), _embedded(inner), _embedded(credit_pdf)

    assert files() == (["factur-x.xml"],) * 3  # the hybrid by default
    view = invoices.invoice_view(session, actor=client_actor, invoice_id=invoice.id)
    assert view.einvoice_format == "hybrid"  # the page offers no separate XML
    set_client_format(session, actor=actor, client_id=client.id, value="pdf")
    assert files() == ([], [], [])
    # Staff download what the client downloads.
    _, staff_invoice = staff_pdf(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    _, staff_credit = staff_pdf(session, actor=actor, kind=CREDIT, record_id=credit.id)
    assert _embedded(staff_invoice) == _embedded(staff_credit) == []
    set_client_format(session, actor=actor, client_id=client.id, value="xml")
    assert files() == (["factur-x.xml"],) * 3
    view = invoices.invoice_view(session, actor=client_actor, invoice_id=invoice.id)
    assert view.einvoice_format == "xml"


def _attachments(session, kind: str, record_id: int) -> dict[str, bytes]:
    message = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.entity_type == kind, OutboxMessage.entity_id == record_id)
        .order_by(OutboxMessage.id.desc())
    ).first()
    rows = session.exec(
        select(OutboxAttachment).where(OutboxAttachment.message_id == message.id)
    ).all()
    return {row.filename: row.content for row in rows}


def test_emailed_documents_go_in_the_format_staff_see_it(session, setup):
    _, client, _, actor = setup
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    assert (
        einvoice_profile(session, actor=actor, kind=INVOICE, record_id=invoice.id).sent_format == ""
    )

    set_client_format(session, actor=actor, client_id=client.id, value="pdf")
    email_document(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    files = _attachments(session, "invoice", invoice.id)
    assert list(files) == [f"invoice-{invoice.number}.pdf"]
    assert _embedded(files[f"invoice-{invoice.number}.pdf"]) == []
    assert invoice.sent_format == "pdf"
    view = einvoice_profile(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    assert view.sent_format == "PDF only"

    set_client_format(session, actor=actor, client_id=client.id, value="xml")
    email_document(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    files = _attachments(session, "invoice", invoice.id)
    assert sorted(files) == [f"invoice-{invoice.number}.pdf", f"invoice-{invoice.number}.xml"]
    assert _embedded(files[f"invoice-{invoice.number}.pdf"]) == ["factur-x.xml"]
    ubl = files[f"invoice-{invoice.number}.xml"]
    facturx.xml_check_xsd(ubl, flavor="ubl-2.1", level="en16931")
    assert (
        etree.fromstring(ubl).findtext(
            "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID"
        )
        == invoice.number
    )
    assert (
        einvoice_profile(session, actor=actor, kind=INVOICE, record_id=invoice.id).sent_format
        == "Hybrid PDF and XML (UBL)"
    )

    credit = create_record(
        session, actor=actor, kind=CREDIT, form=invoice_form(client.id, due_date="")
    )
    email_document(session, actor=actor, kind=CREDIT, record_id=credit.id)
    files = _attachments(session, "credit", credit.id)
    ubl = files[f"credit-{credit.number}.xml"]
    assert etree.fromstring(ubl).tag.endswith("}CreditNote")
    assert credit.sent_format == "xml"
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_type == "credit",
            AuditEvent.entity_id == credit.id,
            AuditEvent.action == "credit.emailed",
        )
    ).one()
    assert json.loads(event.details)["format"] == "xml"
