"""Staff PDFs: the company's invoices, quotes and credits rendered as the client gets them."""

from __future__ import annotations

import io
import uuid

import pytest
from pypdf import PdfReader

from portal_app.core.errors import NotFoundError
from portal_app.models import Credit
from portal_app.services.billing import credit_files, invoice_files, quote_files, staff_files
from portal_app.services.billing.staff_records import CREDIT, INVOICE, QUOTE
from tests.helpers.quotes import add_quote
from tests.helpers.staff_docs import staff_actor


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _credit(make, client, status: str = "sent") -> Credit:
    return make.credit(client, amount_minor=50_00, currency="EUR", status=status)


@pytest.fixture
def setup(session, make):
    company = make.company()
    client = make.client(company, locale="de_DE")
    contact = make.contact(client)
    # The client's own downloads, as its staff preview gets them: no contact's pay-link key
    # is minted for staff (services/billing/payment_qr.pay_link), the rest is the same.
    return client, make.actor(contact, kind="staff_preview"), staff_actor(session, company)


def test_the_same_pdf_as_the_client_gets(session, make, setup):
    client, reader, staff = setup
    invoice = make.invoice(client)
    quote = add_quote(session, client, number=f"Q-{uuid.uuid4().hex[:6]}")
    credit = _credit(make, client)
    cases = (
        (INVOICE, invoice, invoice_files.invoice_pdf(session, actor=reader, invoice_id=invoice.id)),
        (QUOTE, quote, quote_files.quote_pdf(session, actor=reader, quote_id=quote.id)),
        (CREDIT, credit, credit_files.credit_pdf(session, actor=reader, credit_id=credit.id)),
    )
    for kind, row, (client_name, client_pdf) in cases:
        name, data = staff_files.staff_pdf(session, actor=staff, kind=kind, record_id=row.id)
        assert name == client_name
        text = _text(data)
        # Rendered for the client: its locale (German money), the same words on the page.
        assert text == _text(client_pdf)
        assert row.number in text
    _, data = staff_files.staff_pdf(session, actor=staff, kind=CREDIT, record_id=credit.id)
    assert "50,00 €" in _text(data)  # the client's German locale, not the company's


def test_drafts_render_for_staff_only(session, make, setup):
    client, reader, staff = setup
    draft = make.invoice(client, status="draft")
    _, data = staff_files.staff_pdf(session, actor=staff, kind=INVOICE, record_id=draft.id)
    assert draft.number in _text(data)
    with pytest.raises(NotFoundError):
        invoice_files.invoice_pdf(session, actor=reader, invoice_id=draft.id)
    credit = _credit(make, client, status="draft")
    _, data = staff_files.staff_pdf(session, actor=staff, kind=CREDIT, record_id=credit.id)
    assert credit.number in _text(data)


def test_another_companys_record_is_not_found(session, make, setup):
    client, _, _ = setup
    invoice = make.invoice(client)
    quote = add_quote(session, client, number=f"Q-{uuid.uuid4().hex[:6]}")
    credit = _credit(make, client)
    stranger = staff_actor(session, make.company(), role="owner")
    for kind, row in ((INVOICE, invoice), (QUOTE, quote), (CREDIT, credit)):
        with pytest.raises(NotFoundError):
            staff_files.staff_pdf(session, actor=stranger, kind=kind, record_id=row.id)
    # An invoice id asked for as a quote is not found either (each kind is its own table).
    for bad in ("abc", "-1", "99999999999", ""):
        with pytest.raises(NotFoundError):
            staff_files.staff_pdf(session, actor=stranger, kind=INVOICE, record_id=bad)
