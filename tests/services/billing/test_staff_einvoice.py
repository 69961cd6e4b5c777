"""The e-invoice profile staff see for an invoice or credit note, and what the full lacks."""

from __future__ import annotations

import pytest

from portal_app.core.errors import NotFoundError
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.billing.staff_einvoice import einvoice_profile
from portal_app.services.billing.staff_records import CREDIT, INVOICE, QUOTE
from tests.helpers.quotes import add_quote
from tests.helpers.staff_docs import staff_actor

SELLER = {
    "address1": "Hafenstrasse 12",
    "postal_code": "20457",
    "city": "Hamburg",
    "country_code": "DE",
    "vat_number": "DE123456789",
}
BUYER = {"address1": "Ring 2", "postal_code": "1010", "city": "Wien", "country_code": "AT"}
LINES = [LineInput("Work", 1000, 100_00)]


def test_complete_settings_give_en16931(session, make):
    company = make.company(**SELLER)
    invoice = make.invoice(make.client(company, **BUYER), lines=LINES)
    view = einvoice_profile(
        session, actor=staff_actor(session, company), kind=INVOICE, record_id=invoice.id
    )
    assert (view.profile, view.label, view.missing) == ("en16931", "EN 16931", [])


def test_missing_fields_are_named_and_give_basic_wl(session, make):
    company = make.company(**{**SELLER, "vat_number": ""})
    client = make.client(company, **{**BUYER, "city": ""})
    invoice = make.invoice(client, lines=LINES)
    actor = staff_actor(session, company)
    view = einvoice_profile(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    assert (view.profile, view.label) == ("basicwl", "BASIC-WL")
    assert view.missing == ["company VAT number", "client city"]
    credit = make.credit(make.client(company, **BUYER), amount_minor=10_00, currency="EUR")
    view = einvoice_profile(session, actor=actor, kind=CREDIT, record_id=credit.id)
    assert view.missing == ["company VAT number", "document lines"]


def test_another_companys_document_a_quote_and_junk_are_not_found(session, make):
    company, other = make.company(**SELLER), make.company(**SELLER)
    foreign = make.invoice(make.client(other, **BUYER), lines=LINES)
    quote = add_quote(session, make.client(company, **BUYER), number="Q-EINV-1")
    actor = staff_actor(session, company)
    for kind, record_id in ((INVOICE, foreign.id), (QUOTE, quote.id), (INVOICE, "1; drop")):
        with pytest.raises(NotFoundError):
            einvoice_profile(session, actor=actor, kind=kind, record_id=record_id)
