"""GET /api/invoices/{id}/ubl: the UBL 2.1 e-invoice, scoped exactly like the invoice PDF."""

from __future__ import annotations

from datetime import timedelta

import facturx
from lxml import etree

from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.identity import auth
from tests.helpers.signin import BINDING, bind

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"cbc": CBC, "cac": CAC, "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"}


def _signed_in(committed):
    with committed() as (session, make):
        company = make.company(
            legal_name="Northwind Studio GmbH",
            address1="Hafenstrasse 12",
            postal_code="20457",
            city="Hamburg",
            country_code="DE",
            vat_number="DE123456789",
            iban="DE89370400440532013000",
        )
        mine, theirs = make.client(company), make.client(company)
        contact = make.contact(mine)
        own = make.invoice(
            mine,
            number="INV-U1",
            currency="EUR",
            lines=[LineInput("Beratung", 2000, 100_00, "MwSt.", 1900)],
        )
        draft = make.invoice(mine, status="draft")
        foreign = make.invoice(theirs)
        opened = auth.open_session(
            session, contact=contact, kind="password", lifetime=timedelta(hours=1), binding=BINDING
        )
    return own.id, draft.id, foreign.id, opened.handoff_code


def test_ubl_download_is_valid_matches_the_invoice_and_is_scoped(committed, client):
    own, draft, foreign, code = _signed_in(committed)
    assert client.get(f"/api/invoices/{own}/ubl").status_code == 401
    bind(client)
    client.get("/api/auth/handoff", params={"code": code, "next": "/client/invoices"})
    response = client.get(f"/api/invoices/{own}/ubl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert 'filename="invoice-INV-U1.xml"' in response.headers["content-disposition"]
    facturx.xml_check_xsd(response.content, flavor="ubl-2.1", level="en16931")
    root = etree.fromstring(response.content)
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
    assert root.findtext("cbc:ID", namespaces=NS) == "INV-U1"
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == "urn:cen.eu:en16931:2017"
    assert root.findtext("cbc:DocumentCurrencyCode", namespaces=NS) == "EUR"
    totals = root.find("cac:LegalMonetaryTotal", namespaces=NS)
    assert totals.findtext("cbc:TaxExclusiveAmount", namespaces=NS) == "200.00"
    assert totals.findtext("cbc:TaxInclusiveAmount", namespaces=NS) == "238.00"
    assert totals.findtext("cbc:PayableAmount", namespaces=NS) == "238.00"
    assert root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS) == "38.00"
    seller = root.find("cac:AccountingSupplierParty/cac:Party", namespaces=NS)
    assert seller.findtext("cac:PartyLegalEntity/cbc:RegistrationName", namespaces=NS) == (
        "Northwind Studio GmbH"
    )
    assert len(root.findall("cac:InvoiceLine", namespaces=NS)) == 1
    # Another client's, a draft, an unknown and a malformed id all look the same.
    for bad in (foreign, draft, 987654321, "abc", "-1"):
        missing = client.get(f"/api/invoices/{bad}/ubl")
        assert missing.status_code == 404 and missing.text == "Not found."
