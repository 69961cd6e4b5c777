"""Credit note PDF read back with pypdf: number, lines, taxes, totals, where it was used."""

import io

from pypdf import PdfReader

from portal_app.models import CreditLine, Payment, PaymentAllocation
from portal_app.pdf.credit_pdf import render_credit_pdf
from portal_app.services.billing import credits
from portal_app.services.billing.invoice_math import LineInput, build_lines


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(data)).pages
    return "\n".join(p.extract_text() for p in pages).replace("\u00a0", " ").replace("\u202f", " ")


def _credit(make, session, inputs, *, client_kw=None, currency="USD", **kw):
    company = make.company(name="Northwind Studio", address1="12 Harbour Road")
    client = make.client(company, name="Acme Corp", **(client_kw or {}))
    actor = make.actor(make.contact(client))
    credit = make.credit(client, amount_minor=0, currency=currency, **kw)
    built = build_lines(inputs)
    for line in built:
        session.add(
            CreditLine(
                credit_id=credit.id,
                position=line.position,
                description=line.description,
                quantity_milli=line.quantity_milli,
                unit_price_minor=line.unit_price_minor,
                tax_name=line.tax_name,
                tax_rate_bp=line.tax_rate_bp,
                net_minor=line.net_minor,
                tax_minor=line.tax_minor,
            )
        )
    credit.subtotal_minor = sum(line.net_minor for line in built)
    credit.tax_minor = sum(line.tax_minor for line in built)
    credit.amount_minor = credit.balance_minor = credit.subtotal_minor + credit.tax_minor
    session.add(credit)
    session.flush()
    return client, actor, credit


def test_credit_pdf_shows_number_lines_and_totals(make, session):
    client, actor, credit = _credit(
        make,
        session,
        [LineInput("Hosting refund", 2000, 29_00, "VAT", 2000), LineInput("Goodwill", 1000, 10_00)],
        number="CR-0001",
        public_notes="Sorry for the outage in March.",
    )
    # 20.00 of it paid part of an invoice.
    invoice = make.invoice(client, number="INV-0301")
    payment = Payment(
        company_id=client.company_id,
        client_id=client.id,
        number="PAY-000777",
        status="completed",
        currency="USD",
        method="credit",
        method_label="Credit",
    )
    session.add(payment)
    session.flush()
    session.add(
        PaymentAllocation(
            company_id=client.company_id,
            payment_id=payment.id,
            credit_id=credit.id,
            invoice_id=invoice.id,
            amount_minor=20_00,
        )
    )
    credit.balance_minor -= 20_00
    credit.status = "partial"
    session.add(credit)
    session.flush()
    view = credits.credit_view(session, actor=actor, credit_id=credit.id)
    data = render_credit_pdf(view)
    text = _text(data)
    assert "CREDIT NOTE" in text
    assert "Credit number CR-0001" in text and "Status Partly used" in text
    assert "CREDIT TO" in text and "Acme Corp" in text
    assert "Hosting refund 2 $29.00 VAT 20% $58.00" in text
    assert "Goodwill 1 $10.00 $10.00" in text
    assert "Subtotal $68.00" in text
    assert "VAT 20% $11.60" in text
    assert "Total credit $79.60" in text
    assert "Used $20.00" in text
    assert "Remaining $59.60" in text
    assert "INV-0301 PAY-000777" in text and "$20.00" in text
    assert "Sorry for the outage in March." in text
    assert "Page 1 of 1" in text
    assert PdfReader(io.BytesIO(data)).metadata.title == "Credit CR-0001"


def test_yen_credit_in_japanese_locale(make, session):
    _client, actor, credit = _credit(
        make,
        session,
        [LineInput("Discount", 1000, 5000)],
        client_kw={"locale": "ja_JP"},
        currency="JPY",
    )
    text = _text(render_credit_pdf(credits.credit_view(session, actor=actor, credit_id=credit.id)))
    assert "Remaining ¥5,000" in text


def test_many_lines_flow_over_pages(make, session):
    _client, actor, credit = _credit(
        make, session, [LineInput(f"Credit line {i:03d}", 1000, 1_00) for i in range(150)]
    )
    view = credits.credit_view(session, actor=actor, credit_id=credit.id)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(render_credit_pdf(view))).pages]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    assert f"Credit {view.number} (continued)" in pages[1]
    assert "Remaining $150.00" in pages[-1]
