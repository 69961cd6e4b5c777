"""Factur-X / ZUGFeRD and UBL from an EInvoiceData (schemas.einvoice); no database access.

The XML is written by the `factur-x` package from its EN 16931 data dictionary (BT-/BG- keys)
and checked against the official XSD before it is used; `embed` turns the fpdf2 PDF into a
PDF/A-3 with the XML attached (AFRelationship Data) and the Factur-X XMP metadata.
"""

from __future__ import annotations

from datetime import date

import facturx

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


def cii_xml(data: EInvoiceData) -> tuple[bytes, str]:
    """(Factur-X CII XML, profile): EN 16931, or BASIC-WL when settings are missing.
    The package checks it against the profile's XSD (an exception if it does not validate)."""
    profile = data.profile
    xml = facturx.generate_xml(
        data_dict(data, profile), flavor="factur-x", level=profile, check_schematron=False
    )
    return xml, profile


def ubl_xml(data: EInvoiceData) -> bytes:
    """UBL 2.1 (EN 16931) of `data`, checked against the UBL 2.1 XSD by the package."""
    return facturx.generate_xml(
        data_dict(data, "en16931"), flavor="ubl-2.1", level="en16931", check_schematron=False
    )


def embed(pdf: bytes, data: EInvoiceData, *, title: str, author: str) -> bytes:
    """`pdf` as a Factur-X hybrid: PDF/A-3, the CII XML attached, the Factur-X XMP."""
    xml, profile = cii_xml(data)
    return facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level=profile,
        check_xsd=False,  # cii_xml checked it already
        pdf_metadata={
            "author": author,
            "keywords": "Factur-X, Invoice",
            "title": title,
            "subject": title,
        },
        lang="en-GB",
    )
