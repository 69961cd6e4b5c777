"""Factur-X / ZUGFeRD and UBL from an EInvoiceData (schemas.einvoice); no database access.

The XML is written by the `factur-x` package from its EN 16931 data dictionary (BT-/BG- keys)
and checked against the official XSD (parsed once per thread) before it is used; `attach`
makes the fpdf2 document, before it is written, a PDF/A-3 with the XML attached
(AFRelationship Data), the sRGB output intent and the Factur-X XMP metadata. (Until issue 23
the package's `generate_from_binary` did that to the finished PDF: pypdf parsed and rewrote
the whole file, ~10 ms of a ~100 ms invoice.)
"""

from __future__ import annotations

import threading
from datetime import date
from functools import lru_cache
from importlib import resources
from xml.sax.saxutils import escape

import facturx
from facturx.facturx import FACTURX_LEVEL2xmp, FACTURX_LEVEL2xsd
from fpdf import FPDF
from fpdf.enums import AssociatedFileRelationship, OutputIntentSubType, PageMode
from fpdf.output import PDFICCProfile
from fpdf.util import builtin_srgb2014_bytes
from lxml import etree  # pyright: ignore[reportAttributeAccessIssue] - compiled, no stubs here

from portal_app.schemas.einvoice import (
    PROFILE_BASIC_WL,
    EInvoiceData,
    EInvoiceParty,
)

# BT-24, the specification identifier of each profile.
SPECIFICATION = {
    "en16931": "urn:cen.eu:en16931:2017",
    "basicwl": "urn:factur-x.eu:1p0:basicwl",
}
UNIT_ONE = "C62"  # UN/ECE rec 20: "one" (a piece, a service)
SEPA_CREDIT_TRANSFER = "58"
CREDIT_TRANSFER = "30"
XML_FILENAME = "factur-x.xml"
KEYWORDS = "Factur-X, Invoice"
PRODUCER = "fpdf2"
# The Factur-X XMP: PDF/A-3B identification, the Info dictionary's entries (PDF/A wants both to
# agree), the PDF/A extension schema that declares the fx: properties, and their values.
_FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
_FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)
_XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li></rdf:Alt>
   </dc:description>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{producer}</pdf:Producer>
   <pdf:Keywords>{keywords}</pdf:Keywords>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>{creator}</xmp:CreatorTool>
   <xmp:CreateDate>{created}</xmp:CreateDate>
   <xmp:ModifyDate>{created}</xmp:ModifyDate>
  </rdf:Description>
  <rdf:Description rdf:about=""
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>{fx_ns}</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>fx</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq>
{properties}
    </rdf:Seq></pdfaSchema:property>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:fx="{fx_ns}">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>{filename}</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>{level}</fx:ConformanceLevel>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"""
_XMP_PROPERTY = (
    '     <rdf:li rdf:parseType="Resource"><pdfaProperty:name>{0}</pdfaProperty:name>'
    "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
    "<pdfaProperty:category>external</pdfaProperty:category>"
    "<pdfaProperty:description>{1}</pdfaProperty:description></rdf:li>"
)


def _party(party: EInvoiceParty) -> dict:
    out: dict = {"name": party.name}
    optional = {
        "biz_name": party.trading_name,
        "vat_identifier": party.vat_number,
        "addr_l1": party.address1,
        "addr_l2": party.address2,
        "postcode": party.postal_code,
        "city": party.city,
        "country_code": party.country_code,
    }
    out.update({k: v for k, v in optional.items() if v})
    if party.email:
        out["contacts"] = [{"email": party.email}]
    return out


def _day(text: str) -> date:
    return date.fromisoformat(text)


def data_dict(data: EInvoiceData, profile: str) -> dict:
    """The `factur-x` package's EN 16931 dictionary of `data` for `profile`."""
    out: dict = {
        "BT-1": data.number,
        "BT-2": _day(data.issue_date),
        "BT-3": data.type_code,
        "BT-5": data.currency,
        "BT-24": SPECIFICATION[profile],
        # The delivery block may not be empty in CII; the issue date stands for the supply date.
        "BT-72": _day(data.issue_date),
        "BG-4": _party(data.seller),
        "BG-7": _party(data.buyer),
        "BT-106": data.line_total,
        "BT-109": data.line_total,
        "BT-110": data.tax_total,
        "BT-112": data.grand_total,
        "BT-113": data.prepaid,
        "BT-115": data.due_payable,
        "BG-23": [
            {"BT-116": t.basis, "BT-117": t.amount, "BT-118": t.category, "BT-119": t.rate}
            for t in data.taxes
        ],
    }
    optional = {
        "BT-9": _day(data.due_date) if data.due_date else None,
        "BT-10": data.buyer_reference,
        "BT-13": data.order_reference,
        "BT-20": data.payment_terms,
    }
    out.update({k: v for k, v in optional.items() if v})
    if data.note:
        out["BG-1"] = [{"BT-22": data.note}]
    if data.iban:
        out["BT-81"] = SEPA_CREDIT_TRANSFER
        out["BT-84"] = data.iban
        out["BT-83"] = data.number  # remittance information: the invoice number
        if data.bic:
            out["BT-86"] = data.bic
    elif profile != PROFILE_BASIC_WL:
        out["BT-81"] = CREDIT_TRANSFER
    if profile != PROFILE_BASIC_WL:
        out["BG-25"] = [
            {
                "BT-126": line.line_id,
                "BT-129": line.quantity,
                "BT-130": UNIT_ONE,
                "BT-131": line.net,
                "BT-146": line.unit_price,
                "BT-151": line.tax_category,
                "BT-152": line.tax_rate,
                "BT-153": line.name[:1000],
            }
            for line in data.lines
        ]
    return out


# Parsed XSDs per thread: a validation writes to its schema object's error log, so Reflex's
# handler threads do not share one.
_schemas = threading.local()


def _cii_schema(profile: str) -> etree.XMLSchema:
    """The official Factur-X XSD of `profile`, parsed once per thread (~1 ms a parse)."""
    parsed: dict[str, etree.XMLSchema] = _schemas.__dict__.setdefault("by_profile", {})
    schema = parsed.get(profile)
    if schema is None:
        xsd = f"xsd_and_schematron/{FACTURX_LEVEL2xsd[profile]}"
        schema = etree.XMLSchema(file=str(resources.files("facturx").joinpath(xsd)))
        parsed[profile] = schema
    return schema


def cii_xml(data: EInvoiceData) -> tuple[bytes, str]:
    """(Factur-X CII XML, profile): EN 16931, or BASIC-WL when settings are missing.
    Checked against the profile's XSD (lxml's DocumentInvalid if it does not validate)."""
    profile = data.profile
    xml = facturx.generate_xml(
        data_dict(data, profile),
        flavor="factur-x",
        level=profile,
        check_xsd=False,  # checked below with the schema parsed once
        check_schematron=False,
    )
    _cii_schema(profile).assertValid(etree.fromstring(xml))
    return xml, profile


def ubl_xml(data: EInvoiceData) -> bytes:
    """UBL 2.1 (EN 16931) of `data`, checked against the UBL 2.1 XSD by the package."""
    return facturx.generate_xml(
        data_dict(data, "en16931"), flavor="ubl-2.1", level="en16931", check_schematron=False
    )


@lru_cache(maxsize=1)
def _srgb_profile() -> bytes:
    """fpdf2's built-in sRGB ICC profile (read once)."""
    return builtin_srgb2014_bytes()


def xmp_metadata(pdf: FPDF, level: str) -> str:
    """The Factur-X XMP packet body of `pdf` (its Info entries as set) at conformance `level`."""
    created = pdf.creation_date.isoformat(timespec="seconds")
    properties = "\n".join(_XMP_PROPERTY.format(name, desc) for name, desc in _FX_PROPERTIES)
    return _XMP.format(
        title=escape(pdf.title or ""),
        author=escape(getattr(pdf, "author", "") or ""),
        subject=escape(getattr(pdf, "subject", "") or ""),
        producer=escape(PRODUCER),
        keywords=escape(KEYWORDS),
        creator=escape(getattr(pdf, "creator", "") or ""),
        created=created,
        fx_ns=_FX_NS,
        properties=properties,
        filename=XML_FILENAME,
        level=FACTURX_LEVEL2xmp[level],
    )


def attach(pdf: FPDF, data: EInvoiceData) -> None:
    """Make `pdf` (before it is written) a Factur-X hybrid: PDF/A-3B with the CII XML attached
    as its data, the sRGB output intent, and the Factur-X XMP matching its Info entries."""
    xml, profile = cii_xml(data)
    pdf.set_keywords(KEYWORDS)
    pdf.set_producer(PRODUCER)
    pdf.embed_file(
        bytes=xml,
        basename=XML_FILENAME,
        desc="Factur-X XML file",
        mime_type="text/xml",
        associated_file_relationship=AssociatedFileRelationship.DATA.value,
        modification_date=pdf.creation_date,
        compress=True,
        checksum=True,
    )
    pdf.add_output_intent(
        OutputIntentSubType.PDFA,
        output_condition_identifier="sRGB",
        output_condition="IEC 61966-2-1:1999",
        registry_name="http://www.color.org",
        dest_output_profile=PDFICCProfile(contents=_srgb_profile(), n=3, alternate="DeviceRGB"),
        info="sRGB2014 (v2)",
    )
    pdf.page_mode = PageMode.USE_ATTACHMENTS  # readers open with the attachment shown
    pdf.set_xmp_metadata(xmp_metadata(pdf, profile))
