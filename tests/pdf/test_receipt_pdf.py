"""Receipt PDF read back with pypdf: number, method, invoices paid, credits used, totals."""

import dataclasses
import io

from pypdf import PdfReader

from portal_app.models import Payment, PaymentAllocation
from portal_app.pdf.receipt_pdf import render_receipt_pdf
from portal_app.services.payments import payments


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(data)).pages
    return "\n".join(p.extract_text() for p in pages).replace("\u00a0", " ").replace("\u202f", " ")


def _setup(make, session, *, client_kw=None, currency="USD", **payment_kw):
    company = make.company(name="Northwind Studio", city="Berlin", address1="12 Harbour Road")
    client = make.client(company, name="Acme Corp", **(client_kw or {}))
    actor = make.actor(make.contact(client))
    payment = Payment(
        company_id=company.id,
        client_id=client.id,
        number=payment_kw.pop("number", f"PAY-{client.id:06d}"),
        currency=currency,
        method_label="Visa •••• 4242",
        gateway_reference=payment_kw.pop("gateway_reference", None),
        **{"status": "completed", **payment_kw},
    )
    session.add(payment)
    session.flush()
    return company, client, actor, payment


def _allocate(session, payment, invoice, amount, *, credit=None, refunded=0):
    session.add(
        PaymentAllocation(
            company_id=payment.company_id,
            payment_id=payment.id,
            credit_id=credit.id if credit else None,
            invoice_id=invoice.id,
            amount_minor=amount,
            refunded_minor=refunded,
        )
    )
    session.flush()


def test_receipt_shows_number_method_invoices_credit_and_totals(make, session):
    _company, client, actor, payment = _setup(
        make,
        session,
        number="PAY-000042",
        amount_minor=300_00,
        applied_minor=200_00,
        gateway_reference="pi_test_123",
    )
    first = make.invoice(client, number="INV-0101")  # 240.00
    credit = make.credit(client, amount_minor=40_00, number="CR-0007", balance_minor=0)
    _allocate(session, payment, first, 200_00)
    _allocate(session, payment, first, 40_00, credit=credit)
    view = payments.payment_view(session, actor=actor, payment_id=payment.id)
    data = render_receipt_pdf(view)
    text = _text(data)
    assert "RECEIPT" in text
    assert "Payment PAY-000042" in text
    assert "Method Visa •••• 4242" in text
    assert "Reference pi_test_123" in text
    assert "Status Completed" in text
    assert "Northwind Studio" in text and "12 Harbour Road" in text
    assert "RECEIVED FROM" in text and "Acme Corp" in text
    assert "INVOICES PAID" in text and "INV-0101 $240.00" in text
    assert "CREDITS USED" in text and "CR-0007 $40.00" in text
    assert "Amount paid $300.00" in text
    assert "Credit used $40.00" in text
    assert "Applied to invoices $240.00" in text
    assert "Unapplied $100.00" in text
    assert "Total $340.00" in text
    assert "Page 1 of 1" in text
    assert PdfReader(io.BytesIO(data)).metadata.title == "Receipt PAY-000042"


def test_refunded_receipt_and_no_unapplied_line(make, session):
    _company, client, actor, payment = _setup(
        make,
        session,
        status="refunded",
        amount_minor=240_00,
        applied_minor=0,  # net of refunds: nothing of it is on an invoice any more
        refunded_minor=240_00,
    )
    invoice = make.invoice(client, number="INV-0201")
    _allocate(session, payment, invoice, 240_00, refunded=240_00)
    text = _text(
        render_receipt_pdf(payments.payment_view(session, actor=actor, payment_id=payment.id))
    )
    assert "Status Refunded" in text
    assert "INV-0201 $240.00 $240.00" in text
    assert "Refunded $240.00" in text
    assert "Unapplied" not in text and "Credit used" not in text


def test_failed_payment_says_so(make, session):
    _company, _client, actor, payment = _setup(
        make,
        session,
        status="failed",
        amount_minor=99_00,
        failure_message="Your card was declined.",
    )
    text = _text(
        render_receipt_pdf(payments.payment_view(session, actor=actor, payment_id=payment.id))
    )
    assert "Status Failed" in text
    assert "PAYMENT FAILED" in text and "Your card was declined." in text
    assert "INVOICES PAID" not in text


def test_yen_and_euro_in_the_clients_locale(make, session):
    _c, _client, actor, payment = _setup(
        make, session, client_kw={"locale": "de_DE"}, currency="EUR", amount_minor=1234_50
    )
    text = _text(
        render_receipt_pdf(payments.payment_view(session, actor=actor, payment_id=payment.id))
    )
    assert "Amount paid 1.234,50 €" in text
    _c, _client, actor, payment = _setup(
        make, session, client_kw={"locale": "ja_JP"}, currency="JPY", amount_minor=4500
    )
    view = payments.payment_view(session, actor=actor, payment_id=payment.id)
    assert "\uffe5" in view.amount  # Babel's fullwidth yen, which the font lacks
    assert "Amount paid ¥4,500" in _text(render_receipt_pdf(view))


def test_many_invoices_flow_over_pages(make, session):
    _company, client, actor, payment = _setup(
        make, session, amount_minor=120 * 240_00, applied_minor=120 * 240_00
    )
    for i in range(120):
        _allocate(session, payment, make.invoice(client, number=f"INV-{client.id}-{i:03d}"), 240_00)
    view = payments.payment_view(session, actor=actor, payment_id=payment.id)
    reader = PdfReader(io.BytesIO(render_receipt_pdf(view)))
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    assert all(f"INV-{client.id}-{i:03d}" in "\n".join(pages) for i in range(120))
    assert f"Receipt {view.number} (continued)" in pages[1]
    assert "Invoice Applied Refunded" in pages[1]  # the table header repeats


def test_database_text_stays_plain(make, session):
    _company, client, actor, payment = _setup(make, session, amount_minor=10_00)
    view = dataclasses.replace(
        payments.payment_view(session, actor=actor, payment_id=payment.id),
        method_label="<b>Card</b> {nb}",
        footer="**Thanks**",
    )
    text = _text(render_receipt_pdf(view))
    assert "<b>Card</b> {nb}" in text and "**Thanks**" in text
