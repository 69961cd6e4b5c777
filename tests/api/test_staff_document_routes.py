"""Staff-only HTTP routes: invoice, quote and credit PDFs as the client gets them, and a
quote's signature. The staff cookie opens them; a client's session, none, or another
company's staff does not."""

from __future__ import annotations

import uuid
from datetime import timedelta

from portal_app.models import QuoteApproval
from portal_app.services.identity import auth, staff_auth
from portal_app.services.identity.passwords import hash_password
from tests.helpers.quotes import add_quote, signature_png
from tests.helpers.signin import BINDING
from tests.helpers.staff import add_staff


def _records(committed):
    """A company with an invoice, a quote approved with a signature and a credit; a staff
    handoff code of it and one of another company; a contact's handoff code."""
    with committed() as (session, make):
        company = make.company()
        client = make.client(company)
        contact = make.contact(client)
        invoice = make.invoice(client)
        quote = add_quote(session, client, number=f"Q-{uuid.uuid4().hex[:6]}", status="approved")
        session.add(
            QuoteApproval(
                company_id=company.id,
                quote_id=quote.id,
                contact_id=contact.id,
                signature_png=signature_png(),
            )
        )
        credit = make.credit(client, amount_minor=10_00)
        codes = {}
        for name, owner in (("staff", company), ("stranger", make.company())):
            user = add_staff(session, owner, password_hash=hash_password("x" * 12))
            opened = staff_auth.open_staff_session(session, user=user, binding=BINDING)
            codes[name] = opened.handoff_code
        codes["contact"] = auth.open_session(
            session, contact=contact, kind="password", lifetime=timedelta(hours=1), binding=BINDING
        ).handoff_code
        ids = {"invoice": invoice.id, "quote": quote.id, "credit": credit.id}
    return ids, codes


def _urls(ids):
    return [f"/api/staff/{kind}s/{record_id}/pdf" for kind, record_id in ids.items()]


def test_staff_download_and_preview(committed, client):
    ids, codes = _records(committed)
    client.get("/api/staff/auth/handoff", params={"code": codes["staff"]})
    for url in _urls(ids):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert response.headers["content-disposition"].startswith("attachment;")
        assert "no-store" in response.headers["cache-control"]
        shown = client.get(url, params={"inline": "1"})
        assert shown.headers["content-disposition"].startswith("inline;")
        assert shown.headers["content-security-policy"] == "frame-ancestors 'none'"
    signature = client.get(f"/api/staff/quotes/{ids['quote']}/signature")
    assert signature.status_code == 200 and signature.content.startswith(b"\x89PNG")
    assert signature.headers["content-type"] == "image/png"
    assert "sandbox" in signature.headers["content-security-policy"]
    # A quote that does not exist, bad ids: the same 404.
    for url in (
        f"/api/staff/quotes/{ids['invoice'] + 10_000_000}/signature",
        "/api/staff/invoices/abc/pdf",
        "/api/staff/credits/99999999999/pdf",
    ):
        assert client.get(url).status_code == 404, url


def test_no_staff_session_no_pdf(committed, client):
    ids, codes = _records(committed)
    urls = [*_urls(ids), f"/api/staff/quotes/{ids['quote']}/signature"]
    for url in urls:
        assert client.get(url).status_code == 401, url
    # A client's own session opens its client downloads, never the staff routes.
    client.get("/api/auth/handoff", params={"code": codes["contact"]})
    assert client.get(f"/api/invoices/{ids['invoice']}/pdf").status_code == 200
    for url in urls:
        assert client.get(url).status_code == 401, url
    # Its token sent under the staff cookie's name is no staff session either.
    client.cookies.set("portal_staff_session", client.cookies.get("portal_session"))
    for url in urls:
        assert client.get(url).status_code == 401, url


def test_another_companys_staff_gets_not_found(committed, client):
    ids, codes = _records(committed)
    client.get("/api/staff/auth/handoff", params={"code": codes["stranger"]})
    for url in [*_urls(ids), f"/api/staff/quotes/{ids['quote']}/signature"]:
        response = client.get(url)
        assert response.status_code == 404 and response.text == "Not found.", url
