"""Receipt and credit PDF downloads: cookie auth, scoped to the client, one 404 for the rest."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from portal_app.models import Payment, PaymentAllocation
from portal_app.services.identity import auth
from tests.helpers.signin import BINDING, bind

ORIGIN = "http://localhost:8000"


def _payment(session, client, invoice=None, number=None) -> Payment:
    payment = Payment(
        company_id=client.company_id,
        client_id=client.id,
        number=number or f"PAY-{client.id}-{id(client)}",
        status="completed",
        currency="USD",
        amount_minor=240_00,
        applied_minor=240_00 if invoice else 0,
        method_label="Visa •••• 4242",
    )
    session.add(payment)
    session.flush()
    if invoice is not None:
        session.add(
            PaymentAllocation(
                company_id=client.company_id,
                payment_id=payment.id,
                invoice_id=invoice.id,
                amount_minor=240_00,
            )
        )
        session.flush()
    return payment


def _signed_in(committed):
    """A contact with a payment and a credit; another client's, a draft credit; a handoff."""
    with committed() as (session, make):
        company = make.company()
        mine, theirs = make.client(company), make.client(company)
        contact = make.contact(mine)
        invoice = make.invoice(mine, status="paid", paid_minor=240_00)
        payment = _payment(session, mine, invoice, number=f"PAY-{mine.id}/A B")
        credit = make.credit(mine, amount_minor=75_00, number=f"CR-{mine.id}")
        draft = make.credit(mine, amount_minor=10_00, status="draft")
        foreign_payment = _payment(session, theirs)
        foreign_credit = make.credit(theirs, amount_minor=5_00)
        opened = auth.open_session(
            session, contact=contact, kind="password", lifetime=timedelta(hours=1), binding=BINDING
        )
    return {
        "payment": payment.id,
        "payment_number": payment.number,
        "invoice_number": invoice.number,
        "credit": credit.id,
        "credit_number": credit.number,
        "draft": draft.id,
        "foreign_payment": foreign_payment.id,
        "foreign_credit": foreign_credit.id,
        "handoff": opened.handoff_code,
    }


def _sign_in(client, code):
    bind(client)
    response = client.get("/api/auth/handoff", params={"code": code, "next": "/client/payments"})
    assert response.status_code == 303 and client.cookies.get("portal_session")


def _pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return text.replace("\u00a0", " ")


def test_receipt_download_is_scoped_to_the_client(committed, client):
    data = _signed_in(committed)
    url = f"/api/payments/{data['payment']}/receipt"
    signed_out = client.get(url)
    assert signed_out.status_code == 401 and b"%PDF" not in signed_out.content
    _sign_in(client, data["handoff"])
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    # Unsafe characters of the number never reach the header.
    safe_number = data["payment_number"].replace("/", "_").replace(" ", "_")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="receipt-{safe_number}.pdf"'
    )
    assert response.headers["cache-control"] == "private, no-store"
    text = _pdf_text(response.content)
    assert "RECEIPT" in text and data["payment_number"] in text
    assert data["invoice_number"] in text and "$240.00" in text
    for bad in (data["foreign_payment"], 987654321, "abc", "-1", "0", "1e3", "%C2%B2"):
        missing = client.get(f"/api/payments/{bad}/receipt")
        assert missing.status_code == 404 and missing.text == "Not found."


def test_credit_download_is_scoped_and_never_a_draft(committed, client):
    data = _signed_in(committed)
    url = f"/api/credits/{data['credit']}/pdf"
    assert client.get(url).status_code == 401
    _sign_in(client, data["handoff"])
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="credit-{data["credit_number"]}.pdf"'
    )
    text = _pdf_text(response.content)
    assert "CREDIT NOTE" in text and data["credit_number"] in text and "$75.00" in text
    for bad in (data["draft"], data["foreign_credit"], 987654321, "x", "-2", "%C2%B2"):
        missing = client.get(f"/api/credits/{bad}/pdf")
        assert missing.status_code == 404 and missing.text == "Not found."


@pytest.mark.parametrize("path", ["/api/payments/{}/receipt", "/api/credits/{}/pdf"])
def test_garbage_or_revoked_cookie_is_signed_out(committed, client, path):
    data = _signed_in(committed)
    record = data["payment"] if "payments" in path else data["credit"]
    client.cookies.set("portal_session", "' OR 1=1 --")
    assert client.get(path.format(record)).status_code == 401
    client.cookies.clear()
    _sign_in(client, data["handoff"])
    token = client.cookies.get("portal_session")
    assert client.get(path.format(record)).status_code == 200
    assert client.post("/api/auth/logout", headers={"origin": ORIGIN}).status_code == 303
    client.cookies.set("portal_session", token)  # the revoked token, replayed
    assert client.get(path.format(record)).status_code == 401
