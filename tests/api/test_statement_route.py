"""GET /api/statement.pdf: cookie auth, the client's own figures, 400 naming a bad field."""

import io
import re
from datetime import date, timedelta

from pypdf import PdfReader

from portal_app.core import routes
from portal_app.services.billing import statements
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.identity import auth
from tests.helpers.signin import BINDING, bind


def _text(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return "\n".join(p.extract_text() for p in pages).replace("\u00a0", " ")


def _setup(committed):
    with committed() as (session, make):
        company = make.company()
        mine, theirs = make.client(company), make.client(company)
        contact = make.contact(mine)
        make.invoice(mine, lines=[LineInput("Work", 1000, 123_45)], issue_date=date(2024, 3, 1))
        make.invoice(theirs, lines=[LineInput("Work", 1000, 999_00)], issue_date=date(2024, 3, 1))
        opened = auth.open_session(
            session, contact=contact, kind="password", lifetime=timedelta(hours=1), binding=BINDING
        )
        actor = make.actor(contact)
        [view] = statements.statement(
            session, actor=actor, start=date(2024, 1, 1), end=date(2024, 12, 31)
        )
    return opened.handoff_code, view.closing


def _sign_in(client, code):
    bind(client)
    response = client.get("/api/auth/handoff", params={"code": code, "next": "/client/statement"})
    assert response.status_code == 303 and client.cookies.get("portal_session")


def test_statement_download(committed, client):
    code, closing = _setup(committed)
    url = routes.statement_pdf_url("2024-01-01", "2024-12-31")
    signed_out = client.get(url)
    assert signed_out.status_code == 401 and b"%PDF" not in signed_out.content
    _sign_in(client, code)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="statement-2024-01-01-2024-12-31.pdf"'
    )
    text = _text(response.content)
    assert closing == "$123.45"
    assert re.search(r"Closing balance USD\s*(\S+)", text).group(1) == closing
    assert "$999.00" not in text


def test_bad_input_is_400_naming_the_field(committed, client):
    code, _ = _setup(committed)
    _sign_in(client, code)
    cases = {
        routes.statement_pdf_url("2024-02-01", "2024-01-01"): "end:",
        routes.statement_pdf_url("2000-01-01", "2024-01-01"): "end:",
        routes.statement_pdf_url("2024-13-01", "2024-12-31"): "start:",
        routes.statement_pdf_url("", "2024-12-31"): "start:",
        routes.statement_pdf_url("2024-01-01", "2024-12-31", "bogus"): "status:",
        "/api/statement.pdf": "start:",
    }
    for url, field in cases.items():
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.text.startswith(field) and b"%PDF" not in response.content


def test_module_switched_off_is_404(committed, client):
    with committed() as (session, make):
        company = make.company(enabled_modules="invoices")
        contact = make.contact(make.client(company))
        opened = auth.open_session(
            session, contact=contact, kind="password", lifetime=timedelta(hours=1), binding=BINDING
        )
    _sign_in(client, opened.handoff_code)
    response = client.get(routes.statement_pdf_url("2024-01-01", "2024-12-31"))
    assert response.status_code == 404 and response.text == "Not found."
