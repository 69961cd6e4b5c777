"""The pay-link QR code on the invoice PDF, end to end: the PDF the server renders is rasterised
(pdftoppm) and its QR codes decoded (zxing-cpp); the decoded link, opened in a browser with no
session, shows that invoice ready to pay. After the invoice is paid the same link shows it paid,
with nothing to pay and no QR code."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from portal_app.models import Client, Company, Invoice
from portal_app.services.billing.invoice_math import LineInput
from tests.e2e.conftest import Factory
from tests.e2e.test_portal import detail_url, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler"),
]


def _pay_links(pdf: bytes, tmp_path, base_url: str) -> list[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "invoice.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(source), str(tmp_path / "p")], check=True)
    texts = [
        r.text
        for page in sorted(tmp_path.glob("p*.png"))
        for r in zxingcpp.read_barcodes(Image.open(page))
    ]
    return [t for t in texts if t.startswith(base_url.rstrip("/") + "/client/invoice/")]


def test_pay_link_qr_from_the_pdf_opens_the_invoice(
    new_context, db, make: Factory, base_url, tmp_path
):
    account = make.account()
    invoice = make.invoice(account.client, lines=[LineInput("Design work", 1000, 250_00)])
    neighbour = make.invoice(make.client(account.company), lines=[LineInput("Other", 1000, 9_00)])

    signed_in = new_context()
    page = signed_in.new_page()
    sign_in(page, account)
    expect(page.locator("#pay-link-qr img")).to_have_count(0)  # not on the dashboard
    page.goto(f"/client/invoices/{invoice.id}")
    shown = page.locator("#pay-link-qr img")
    expect(shown).to_be_visible()
    expect(shown).to_have_attribute("alt", "QR code that opens this invoice")
    shown.evaluate("img => img.decode()")  # loaded and drawn
    response = signed_in.request.get(f"/api/invoices/{invoice.id}/pdf")
    assert response.status == 200
    (link,) = _pay_links(response.body(), tmp_path, base_url)
    # The code on the page, as the screen shows it, holds the link the PDF prints.
    on_screen = zxingcpp.read_barcodes(Image.open(io.BytesIO(shown.screenshot(scale="device"))))
    assert [r.text for r in on_screen] == [link]
    # Another client's invoice stays "not found", QR or not.
    assert signed_in.request.get(f"/api/invoices/{neighbour.id}/pdf").status == 404

    phone = new_context().new_page()
    phone.goto(link)
    phone.wait_for_url(detail_url(invoice.id))
    expect(phone.get_by_role("heading", level=1)).to_contain_text(invoice.number)
    expect(phone.locator("#pay-now")).to_be_visible()

    with db() as session:  # paid meanwhile (as a bank transfer would be recorded)
        row = session.get(Invoice, invoice.id)
        row.status, row.paid_to_date_minor, row.balance_minor = "paid", row.amount_minor, 0
        session.add(row)
    later = new_context().new_page()
    later.goto(link)
    later.wait_for_url(detail_url(invoice.id))
    expect(later.get_by_role("heading", level=1)).to_contain_text(invoice.number)
    expect(later.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(later.locator("#pay-now")).to_have_count(0)
    expect(later.locator("#pay-link-qr")).to_have_count(0)
    paid_pdf = later.context.request.get(f"/api/invoices/{invoice.id}/pdf")
    assert paid_pdf.status == 200
    assert _pay_links(paid_pdf.body(), tmp_path / "paid", base_url) == []


def test_staff_invoice_and_credit_pages_name_the_e_invoice_profile(page, db, make: Factory):
    from tests.e2e.test_staff import _staff_user, staff_sign_in

    company = make.company(
        address1="Hafenstrasse 12", postal_code="20457", city="Hamburg", country_code="DE"
    )
    client = make.client(
        company, address1="Ring 2", postal_code="1010", city="Wien", country_code="AT"
    )
    invoice = make.invoice(client, lines=[LineInput("Work", 1000, 100_00)])
    staff = _staff_user(db, company)
    staff_sign_in(page, staff.email, f"/staff/invoices/{invoice.id}")
    notice = page.locator("#einvoice-profile")
    expect(notice).to_contain_text("BASIC-WL")
    expect(notice).to_contain_text("company VAT number")

    with db() as session:  # the missing field filled in: the full profile
        row = session.get(Company, company.id)
        row.vat_number = "DE123456789"
        session.add(row)
    page.reload()
    expect(page.locator("#einvoice-profile")).to_contain_text("EN 16931")
    expect(page.locator("#einvoice-sent-format")).to_contain_text("not e-mailed yet")

    # The client's format, chosen on its staff page, is saved at once.
    page.goto(f"/staff/clients/{client.id}")
    picker = page.locator("#einvoice-format")
    expect(picker).to_contain_text("Hybrid PDF (Factur-X)")
    picker.click()
    page.get_by_role("option", name="PDF only").click()
    expect(page.get_by_text("E-invoice format saved.")).to_be_visible()
    with db() as session:
        assert session.get(Client, client.id).einvoice_format == "pdf"


def test_chf_invoice_page_shows_the_swiss_qr_bill_and_fits_a_phone(new_context, db, make: Factory):
    from portal_app.services.identity.invitations import create_invoice_invitation

    company = make.company(
        legal_name="Alpenblick Beratung AG",
        address1="Bahnhofstrasse 1",
        postal_code="8001",
        city="Zürich",
        country_code="CH",
        iban="CH9300762011623852957",
    )
    client = make.client(company)
    contact = make.contact(client)
    invoice = make.invoice(client, currency="CHF", lines=[LineInput("Beratung", 1000, 500_00)])
    with db() as session:
        key = create_invoice_invitation(session, contact=contact, invoice=invoice)

    phone = new_context(viewport={"width": 360, "height": 740}).new_page()
    phone.goto(f"/client/invoice/{key}")
    phone.wait_for_url(detail_url(invoice.id))
    bill = phone.locator("#swiss-qr-bill")
    expect(bill.locator("svg")).to_be_visible()
    expect(bill).to_have_attribute("aria-label", "Swiss QR-bill payment part")
    # On a phone the pay-link QR code (to move to a phone) is left out; nothing overflows.
    expect(phone.locator("#pay-link-qr")).to_be_hidden()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
