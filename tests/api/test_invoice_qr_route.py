"""GET /api/invoices/{id}/qr/{kind}.svg: an invoice page's QR code as an image, for the signed-in
client's own payable invoice only, kept by that browser alone."""

from __future__ import annotations

from datetime import timedelta

from portal_app.core.qr import qr_svg
from portal_app.services.billing import invoices
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.identity import auth
from tests.helpers.signin import BINDING, bind
from tests.pdf.test_facturx import SELLER

LINES = [LineInput("Beratung", 1000, 100_00)]


def _signed_in(committed):
    with committed() as (session, make):
        company = make.company(**SELLER)
        mine, theirs = make.client(company), make.client(company)
        contact = make.contact(mine)
        own = make.invoice(mine, currency="EUR", lines=LINES)
        paid = make.invoice(mine, currency="EUR", lines=LINES, status="paid")
        foreign = make.invoice(theirs, currency="EUR", lines=LINES)
        opened = auth.open_session(
            session, contact=contact, kind="password", lifetime=timedelta(hours=1), binding=BINDING
        )
    return {
        "own": own.id,
        "paid": paid.id,
        "foreign": foreign.id,
        "contact": contact.id,
        "code": opened.handoff_code,
    }


def test_the_qr_image_is_the_clients_own_and_private(committed, client):
    data = _signed_in(committed)
    url = f"/api/invoices/{data['own']}/qr/pay.svg"
    assert client.get(url).status_code == 401
    bind(client)
    client.get("/api/auth/handoff", params={"code": data["code"], "next": "/client/invoices"})

    response = client.get(url, params={"v": "1"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["cache-control"] == "private, max-age=3600"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    with committed() as (session, make):  # the code the PDF prints for the same contact
        from portal_app.models import ClientContact

        contact = session.get(ClientContact, data["contact"])
        printed = invoices.invoice_view(
            session, actor=make.actor(contact), invoice_id=data["own"]
        ).pay_link
    assert response.text == qr_svg(printed)
    bank = client.get(f"/api/invoices/{data['own']}/qr/bank.svg")
    assert bank.status_code == 200 and bank.text.startswith("<svg")

    # Another client's, a paid one, an unknown kind, a malformed id: all the same 404.
    for bad in (
        f"/api/invoices/{data['foreign']}/qr/pay.svg",
        f"/api/invoices/{data['foreign']}/qr/bank.svg",
        f"/api/invoices/{data['paid']}/qr/pay.svg",
        f"/api/invoices/{data['own']}/qr/other.svg",
        "/api/invoices/abc/qr/pay.svg",
        "/api/invoices/-1/qr/pay.svg",
    ):
        missing = client.get(bad)
        assert (missing.status_code, missing.text) == (404, "Not found."), bad
