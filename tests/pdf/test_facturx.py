"""Factur-X hybrids and the EPC payment QR, read back with independent code: pypdf takes the
attachment and XMP out of the PDF, the factur-x package's XSD check and lxml read the XML,
pdftoppm rasterises the page and zxing-cpp decodes the QR code on it."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date

import facturx
import pytest
import zxingcpp
from lxml import etree
from PIL import Image
from pypdf import PdfReader

from portal_app.pdf.credit_pdf import render_credit_pdf
from portal_app.pdf.invoice_pdf import render_invoice_pdf
from portal_app.services.billing import credits, invoices
from portal_app.services.billing.invoice_math import LineInput

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
IBAN = "DE89370400440532013000"
SELLER = {
    "name": "Northwind",
    "legal_name": "Northwind Studio GmbH",
    "address1": "Hafenstrasse 12",
    "postal_code": "20457",
    "city": "Hamburg",
    "country_code": "DE",
    "vat_number": "DE123456789",
    "iban": IBAN,
    "bic": "COBADEFFXXX",
    "payment_terms": "30 days net",
}
BUYER = {
    "name": "Käufer AG",
    "address1": "Ring 2",
    "postal_code": "1010",
    "city": "Wien",
    "country_code": "AT",
    "vat_number": "ATU12345678",
    "buyer_reference": "LEIT-991",
}


def _invoice_view(make, session, *, company_kw=SELLER, client_kw=BUYER, **invoice_kw):
    company = make.company(**company_kw)
    client = make.client(company, **client_kw)
    invoice = make.invoice(client, **invoice_kw)
    actor = make.actor(make.contact(client))
    return invoices.invoice_view(session, actor=actor, invoice_id=invoice.id), actor


def _attachment(pdf: bytes) -> bytes:
    attachments = PdfReader(io.BytesIO(pdf)).attachments
    assert list(attachments) == ["factur-x.xml"]
    return attachments["factur-x.xml"][0]


def _xp(root, path: str) -> list[str]:
    return [n.text for n in root.xpath(path, namespaces=NS)]


def test_invoice_pdf_is_a_facturx_en16931_hybrid_matching_the_invoice(make, session):
    view, _ = _invoice_view(
        make,
        session,
        number="INV-7001",
        currency="EUR",
        po_number="PO-5",
        due_date=date(2026, 3, 1),
        lines=[
            LineInput("Beratung", 2500, 100_00, "MwSt.", 1900),
            LineInput("Hosting", 1000, 50_00, "MwSt.", 700),
            LineInput("Book", 1000, 20_00),
        ],
        paid_minor=100_00,
    )
    pdf = render_invoice_pdf(view)
    xml = _attachment(pdf)
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")  # raises when invalid
    root = etree.fromstring(xml)
    assert _xp(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        "urn:cen.eu:en16931:2017"
    ]
    assert _xp(root, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID") == ["INV-7001"]
    assert _xp(root, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    # 2.5 x 100 = 250 + 19 % = 47.50; 50 + 7 % = 3.50; 20 at 0 %: 320 + 51 = 371, 100 paid.
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert _xp(root, summation + "ram:LineTotalAmount") == ["320.00"]
    assert _xp(root, summation + "ram:TaxBasisTotalAmount") == ["320.00"]
    assert _xp(root, summation + "ram:TaxTotalAmount") == ["51.00"]
    assert _xp(root, summation + "ram:GrandTotalAmount") == ["371.00"]
    assert _xp(root, summation + "ram:TotalPrepaidAmount") == ["100.00"]
    assert _xp(root, summation + "ram:DuePayableAmount") == ["271.00"]
    taxes = root.xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS
    )
    rows = {
        (
            t.findtext("ram:CategoryCode", namespaces=NS),
            t.findtext("ram:RateApplicablePercent", namespaces=NS),
        ): (
            t.findtext("ram:BasisAmount", namespaces=NS),
            t.findtext("ram:CalculatedAmount", namespaces=NS),
        )
        for t in taxes
    }
    assert rows == {
        ("S", "19.00"): ("250.00", "47.50"),
        ("S", "7.00"): ("50.00", "3.50"),
        ("Z", "0.00"): ("20.00", "0.00"),
    }
    assert _xp(root, "//ram:IncludedSupplyChainTradeLineItem//ram:BilledQuantity") == [
        "2.500",
        "1.000",
        "1.000",
    ]
    assert _xp(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount") == [
        "250.00",
        "50.00",
        "20.00",
    ]
    assert _xp(root, "//ram:SellerTradeParty/ram:Name") == ["Northwind Studio GmbH"]
    assert _xp(root, "//ram:SellerTradeParty//ram:SpecifiedTaxRegistration/ram:ID") == [
        "DE123456789"
    ]
    assert _xp(root, "//ram:BuyerTradeParty/ram:Name") == ["Käufer AG"]
    assert _xp(root, "//ram:BuyerTradeParty//ram:CountryID") == ["AT"]
    assert _xp(root, "//ram:BuyerReference") == ["LEIT-991"]
    assert _xp(root, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == ["PO-5"]
    assert _xp(
        root,
        "//ram:SpecifiedTradePaymentTerms/udt:DateTimeString | "
        "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
    ) == ["20260301"]
    assert _xp(root, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == [IBAN]
    # PDF/A-3 with the Factur-X XMP, and the file attached as the document's data.
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp or 'pdfaid:part="3"' in xmp
    assert "EN 16931" in xmp and "factur-x.xml" in xmp
    af = reader.trailer["/Root"]["/AF"][0].get_object()
    assert af["/AFRelationship"] == "/Data" and af["/F"] == "factur-x.xml"
    assert reader.metadata.title == "Invoice INV-7001"


XMP_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}


def test_the_hybrid_is_pdfa3_with_an_output_intent_and_xmp_that_agrees_with_its_info(make, session):
    """Written by fpdf2 itself since issue 23 (no pypdf rewrite): PDF/A wants an output intent
    for the RGB colours, and XMP entries equal to the Info dictionary's."""
    view, _ = _invoice_view(
        make,
        session,
        number="INV-7002 <&>",
        lines=[LineInput("Design", 1000, 80_00, "MwSt.", 1900)],
    )
    reader = PdfReader(io.BytesIO(render_invoice_pdf(view)))
    root = reader.trailer["/Root"]
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and intent["/OutputConditionIdentifier"] == "sRGB"
    assert intent["/DestOutputProfile"].get_object()["/N"] == 3
    assert root["/PageMode"] == "/UseAttachments"
    filespec = root["/AF"][0].get_object()
    embedded = filespec["/EF"]["/F"].get_object()
    assert embedded["/Subtype"] == "/text/xml"
    assert embedded["/Params"]["/Size"] == len(embedded.get_data())
    xmp = etree.fromstring(root["/Metadata"].get_object().get_data())  # well-formed XML

    def one(path: str) -> str:
        (value,) = xmp.xpath(path, namespaces=XMP_NS)
        return value

    info = reader.metadata
    assert info is not None and info.title == "Invoice INV-7002 <&>"
    assert one("//dc:title//rdf:li/text()") == info.title
    assert one("//dc:creator//rdf:li/text()") == info.author == "Northwind"
    assert one("//dc:description//rdf:li/text()") == info.subject
    assert one("//pdf:Keywords/text()") == info["/Keywords"] == "Factur-X, Invoice"
    assert one("//pdf:Producer/text()") == info.producer
    assert one("//xmp:CreatorTool/text()") == info.creator
    created = one("//xmp:CreateDate/text()")
    assert info.creation_date is not None
    assert created == info.creation_date.isoformat(timespec="seconds")
    assert one("//pdfaid:part/text()") == "3" and one("//pdfaid:conformance/text()") == "B"
    assert one("//pdfaSchema:namespaceURI/text()") == XMP_NS["fx"]
    assert one("//fx:ConformanceLevel/text()") == "EN 16931"
    assert one("//fx:DocumentFileName/text()") == "factur-x.xml"


def test_yen_invoice_carries_whole_amounts(make, session):
    view, _ = _invoice_view(
        make, session, currency="JPY", lines=[LineInput("Licence", 3000, 1500, "VAT", 1000)]
    )
    xml = _attachment(render_invoice_pdf(view))
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert _xp(root, "//ram:InvoiceCurrencyCode") == ["JPY"]
    assert _xp(root, "//ram:GrandTotalAmount") == ["4950"]
    assert _xp(
        root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount"
    ) == ["450"]


def test_missing_company_fields_give_basic_wl_and_the_pdf_still_renders(make, session):
    view, _ = _invoice_view(
        make,
        session,
        company_kw={"name": "Bare Ltd"},
        client_kw={"name": "Somebody"},
        currency="EUR",
        lines=[LineInput("Work", 1000, 80_00, "VAT", 2000)],
    )
    assert "company country code" in view.einvoice.missing
    assert "company VAT number" in view.einvoice.missing
    pdf = render_invoice_pdf(view)
    assert "Bare Ltd" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    xml = _attachment(pdf)
    facturx.xml_check_xsd(xml, flavor="factur-x", level="basicwl")
    root = etree.fromstring(xml)
    assert _xp(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        "urn:factur-x.eu:1p0:basicwl"
    ]
    assert root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS) == []
    assert _xp(root, "//ram:GrandTotalAmount") == ["96.00"]


def test_credit_note_pdf_is_a_hybrid_of_type_381(make, session):
    from portal_app.models import CreditLine

    company = make.company(**SELLER)
    client = make.client(company, **BUYER)
    credit = make.credit(client, amount_minor=119_00, currency="EUR", number="CR-9")
    credit.subtotal_minor, credit.tax_minor = 100_00, 19_00
    session.add(
        CreditLine(
            credit_id=credit.id,
            description="Refund",
            quantity_milli=1000,
            unit_price_minor=100_00,
            tax_name="VAT",
            tax_rate_bp=1900,
            net_minor=100_00,
            tax_minor=19_00,
        )
    )
    session.flush()
    view = credits.credit_view(session, actor=make.actor(make.contact(client)), credit_id=credit.id)
    xml = _attachment(render_credit_pdf(view))
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert _xp(root, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert _xp(root, "//ram:GrandTotalAmount") == ["119.00"]
    assert _xp(root, "//ram:DuePayableAmount") == ["119.00"]


def _decoded_qr_codes(pdf: bytes, tmp_path) -> list[str]:
    """Texts of the QR codes on the first page, rendered at 200 dpi by pdftoppm."""
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", str(source), str(tmp_path / "p")],
        check=True,
    )
    (page,) = tmp_path.glob("p*.png")
    return [r.text for r in zxingcpp.read_barcodes(Image.open(page)) if r.format.name == "QRCode"]


needs_pdftoppm = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler")


@needs_pdftoppm
def test_epc_qr_on_the_invoice_page_pays_the_balance(make, session, tmp_path):
    view, _ = _invoice_view(
        make,
        session,
        number="INV-QR-1",
        currency="EUR",
        lines=[LineInput("Beratung", 1000, 1234_50, "MwSt.", 1900)],
        paid_minor=100_00,
    )
    expected = "\n".join(
        [
            "BCD",
            "002",
            "1",
            "SCT",
            "COBADEFFXXX",
            "Northwind Studio GmbH",
            IBAN,
            "EUR1369.06",  # 1234.50 + 19 % = 1469.06, 100.00 paid
            "",
            "",
            "INV-QR-1",
        ]
    )
    codes = _decoded_qr_codes(render_invoice_pdf(view), tmp_path)
    # Beside it, the pay-link QR code (tests/pdf/test_payment_qr_codes.py).
    assert [c for c in codes if not c.startswith("http")] == [expected]
    assert view.payment_qr == expected


@needs_pdftoppm
@pytest.mark.parametrize(
    ("currency", "company_kw", "invoice_kw"),
    [
        ("USD", SELLER, {}),  # not EUR
        ("EUR", {**SELLER, "iban": "", "bic": ""}, {}),  # no IBAN
        ("EUR", SELLER, {"status": "paid"}),  # nothing to pay
    ],
)
def test_no_epc_qr_when_it_does_not_apply(
    make, session, tmp_path, currency, company_kw, invoice_kw
):
    view, _ = _invoice_view(
        make,
        session,
        company_kw=company_kw,
        currency=currency,
        lines=[LineInput("Work", 1000, 10_00)],
        **invoice_kw,
    )
    assert view.payment_qr == ""
    codes = _decoded_qr_codes(render_invoice_pdf(view), tmp_path)
    assert [c for c in codes if not c.startswith("http")] == []
