"""The Swiss QR-bill payment part and the pay-link QR code on the invoice PDF, read back from
the rendered page: pdftoppm rasterises it and zxing-cpp decodes the QR codes (as the EPC test in
test_facturx.py does), independently of segno and qrbill, which wrote them."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlmodel import select

from portal_app.core.errors import NotFoundError
from portal_app.core.settings import get_settings
from portal_app.models import Client, Invitation
from portal_app.pdf.invoice_pdf import render_invoice_pdf
from portal_app.services.billing import invoices
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.identity import invitations
from tests.pdf.test_facturx import needs_pdftoppm

CH_IBAN = "CH9300762011623852957"
CH_QR_IBAN = "CH4431999123000889012"
SWISS_SELLER = {
    "name": "Alpenblick",
    "legal_name": "Alpenblick Beratung AG",
    "address1": "Bahnhofstrasse 1",
    "postal_code": "8001",
    "city": "Zürich",
    "country_code": "CH",
    "vat_number": "CHE-123.456.788 MWST",
    "iban": CH_IBAN,
    "locale": "de_CH",
}
SWISS_BUYER = {
    "name": "Rutschmann GmbH",
    "address1": "Marktgasse 28",
    "postal_code": "9400",
    "city": "Rorschach",
    "country_code": "CH",
}
LINES = [LineInput("Beratung", 2000, 500_00, "MWST", 810)]  # 2 x 500.00 + 8.1 % = 1081.00


def _view(make, session, *, company_kw=SWISS_SELLER, client_kw=SWISS_BUYER, **invoice_kw):
    company = make.company(**company_kw)
    client = make.client(company, **client_kw)
    invoice = make.invoice(client, **{"currency": "CHF", "lines": LINES, **invoice_kw})
    contact = make.contact(client)
    actor = make.actor(contact)
    return invoices.invoice_view(session, actor=actor, invoice_id=invoice.id), invoice, contact


def _decoded_qr_codes(pdf: bytes, tmp_path) -> list[str]:
    """Texts of the QR codes on every page, each rendered at 200 dpi by pdftoppm."""
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(source), str(tmp_path / "p")], check=True)
    return [
        r.text
        for page in sorted(tmp_path.glob("p*.png"))
        for r in zxingcpp.read_barcodes(Image.open(page))
        if r.format.name == "QRCode"
    ]


def _swiss(codes: list[str]) -> list[str]:
    (payload,) = [c for c in codes if c.startswith("SPC")]
    return payload.split("\r\n")


@needs_pdftoppm
def test_chf_invoice_carries_the_swiss_qr_bill(make, session, tmp_path):
    view, invoice, _ = _view(make, session, number="INV-CH-1", paid_minor=81_00)
    fields = _swiss(_decoded_qr_codes(render_invoice_pdf(view), tmp_path))
    assert fields[:4] == ["SPC", "0200", "1", CH_IBAN]
    # Creditor, structured address (S): name, street, house number, postal code, city, country.
    assert fields[4:11] == [
        "S",
        "Alpenblick Beratung AG",
        "Bahnhofstrasse 1",
        "",
        "8001",
        "Zürich",
        "CH",
    ]
    assert fields[18:20] == ["1000.00", "CHF"]  # 1081.00 less 81.00 paid
    assert fields[20:27] == ["S", "Rutschmann GmbH", "Marktgasse 28", "", "9400", "Rorschach", "CH"]
    # No reference with an ordinary IBAN; the invoice number is the message.
    assert fields[27:31] == ["NON", "", "INV-CH-1", "EPD"]
    assert view.swiss_qr.split("\r\n") == fields
    assert view.payment_qr == ""  # no EPC code for CHF


@needs_pdftoppm
def test_qr_iban_gets_a_qr_reference_made_from_the_invoice(make, session, tmp_path):
    view, invoice, _ = _view(make, session, company_kw={**SWISS_SELLER, "iban": CH_QR_IBAN})
    fields = _swiss(_decoded_qr_codes(render_invoice_pdf(view), tmp_path))
    assert fields[3] == CH_QR_IBAN and fields[27] == "QRR"
    assert fields[28].startswith(f"{invoice.id:026d}") and len(fields[28]) == 27


@needs_pdftoppm
def test_incomplete_client_address_leaves_payable_by_blank(make, session, tmp_path):
    view, _, _ = _view(make, session, client_kw={"name": "Nameless"})
    fields = _swiss(_decoded_qr_codes(render_invoice_pdf(view), tmp_path))
    assert fields[18:27] == ["1081.00", "CHF", "", "", "", "", "", "", ""]


@needs_pdftoppm
@pytest.mark.parametrize(
    ("company_kw", "invoice_kw"),
    [
        ({**SWISS_SELLER, "iban": ""}, {}),  # no IBAN: no bank-transfer code at all
        ({**SWISS_SELLER, "iban": "DE89370400440532013000"}, {}),  # not a Swiss IBAN
        ({**SWISS_SELLER, "postal_code": "", "city": ""}, {}),  # the bill needs the address
        (SWISS_SELLER, {"currency": "EUR"}),  # EUR gets the EPC code instead
        (SWISS_SELLER, {"status": "paid"}),  # nothing to pay
    ],
)
def test_no_swiss_qr_bill_when_it_does_not_apply(make, session, tmp_path, company_kw, invoice_kw):
    view, _, _ = _view(make, session, company_kw=company_kw, **invoice_kw)
    assert view.swiss_qr == "" and view.swiss_qr_svg == ""
    codes = _decoded_qr_codes(render_invoice_pdf(view), tmp_path)
    assert not [c for c in codes if c.startswith("SPC")]
    if not company_kw["iban"]:
        assert not [c for c in codes if c.startswith("BCD")]


@needs_pdftoppm
def test_pay_link_qr_opens_the_invoice_through_an_emailed_link_key(make, session, tmp_path):
    view, invoice, contact = _view(make, session, currency="USD", company_kw={"name": "Plain"})
    codes = _decoded_qr_codes(render_invoice_pdf(view), tmp_path)
    prefix = get_settings().base_url.rstrip("/") + "/client/invoice/"
    (link,) = [c for c in codes if c.startswith(prefix)]
    assert link == view.pay_link
    key = link.removeprefix(prefix)
    target = invitations.link_target(session, key=key)
    assert (target.entity_type, target.entity_id, target.contact_id) == (
        "invoice",
        invoice.id,
        contact.id,
    )
    # Rendering again finds the same key: one invitation, not one per download.
    again = invoices.invoice_view(session, actor=make.actor(contact), invoice_id=invoice.id)
    assert again.pay_link == link
    rows = session.exec(
        select(Invitation).where(
            Invitation.entity_type == "invoice", Invitation.entity_id == invoice.id
        )
    ).all()
    assert len(rows) == 1


def test_pay_link_key_is_renewed_when_half_its_lifetime_is_gone(make, session):
    view, invoice, contact = _view(make, session, currency="USD", company_kw={"name": "Renew"})
    row = session.exec(
        select(Invitation).where(
            Invitation.entity_type == "invoice", Invitation.entity_id == invoice.id
        )
    ).one()
    row.expires_at = row.expires_at - timedelta(days=20)  # 10 of 30 days left
    session.add(row)
    session.flush()
    again = invoices.invoice_view(session, actor=make.actor(contact), invoice_id=invoice.id)
    assert again.pay_link and again.pay_link != view.pay_link
    # The printed older code still opens the invoice until it expires.
    old_key = view.pay_link.rsplit("/", 1)[1]
    assert invitations.link_target(session, key=old_key).entity_id == invoice.id


@needs_pdftoppm
def test_no_pay_link_qr_for_a_paid_invoice_or_in_staff_preview(make, session, tmp_path):
    view, invoice, contact = _view(make, session, currency="USD", status="paid")
    assert view.pay_link == ""
    assert _decoded_qr_codes(render_invoice_pdf(view), tmp_path) == []
    open_invoice = make.invoice(session.get(Client, invoice.client_id), currency="USD", lines=LINES)
    preview = invoices.invoice_view(
        session, actor=make.actor(contact, "staff_preview"), invoice_id=open_invoice.id
    )
    assert preview.pay_link == "" and preview.is_payable


def test_pay_link_key_refuses_another_clients_invoice(make, session):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    contact = make.contact(mine)
    foreign = make.invoice(theirs, lines=LINES)
    with pytest.raises(NotFoundError):
        invitations.invoice_pay_qr_key(session, contact=contact, invoice=foreign)
    with pytest.raises(NotFoundError):
        invoices.invoice_view(session, actor=make.actor(contact), invoice_id=foreign.id)


def test_an_emailed_link_session_mints_no_pay_link_key(make, session):
    # A link session already holds a key that ends with its link; a fresh QR key (a new
    # invitation of the full link lifetime) would let a forwarded link outlive its expiry.
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    invoice = make.invoice(client, currency="USD", lines=LINES)
    before = len(session.exec(select(Invitation).where(Invitation.entity_id == invoice.id)).all())
    view = invoices.invoice_view(
        session, actor=make.actor(contact, "link", link_to=invoice), invoice_id=invoice.id
    )
    assert view.pay_link == "" and view.is_payable
    after = len(session.exec(select(Invitation).where(Invitation.entity_id == invoice.id)).all())
    assert after == before
