"""GET /api/quotes/{id}/pdf and /api/quotes/zip: signed in, scoped to the client, drafts hidden."""

import io
import uuid
import zipfile
from datetime import timedelta

from portal_app.services.identity import auth
from tests.helpers.quotes import add_quote
from tests.helpers.signin import BINDING, bind


def _signed_in(committed):
    """A contact with two quotes and a draft, another client's quote, and a handoff code."""
    with committed() as (session, make):
        company = make.company()
        mine, theirs = make.client(company), make.client(company)
        contact = make.contact(mine)
        tag = uuid.uuid4().hex[:6]
        own = [
            add_quote(session, mine, number=f"Q-{tag}-1"),
            add_quote(session, mine, number=f"Q-{tag}-2", status="converted"),
        ]
        draft = add_quote(session, mine, number=f"Q-{tag}-3", status="draft")
        foreign = add_quote(session, theirs, number=f"Q-{tag}-4")
        opened = auth.open_session(
            session, contact=contact, kind="password", lifetime=timedelta(hours=1), binding=BINDING
        )
    return {
        "own": [q.id for q in own],
        "numbers": [q.number for q in own],
        "draft": draft.id,
        "foreign": foreign.id,
        "handoff": opened.handoff_code,
    }


def _handoff(client, code):
    bind(client)
    client.get("/api/auth/handoff", params={"code": code, "next": "/client/quotes"})


def test_quote_pdf_is_scoped_to_the_client(committed, client):
    data = _signed_in(committed)
    assert client.get(f"/api/quotes/{data['own'][0]}/pdf").status_code == 401
    _handoff(client, data["handoff"])
    response = client.get(f"/api/quotes/{data['own'][0]}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="quote-{data["numbers"][0]}.pdf"' in response.headers["content-disposition"]
    for bad in (data["foreign"], data["draft"], 987654321, "abc", "-1", "1e3", "²", "0"):
        missing = client.get(f"/api/quotes/{bad}/pdf")
        assert missing.status_code == 404 and missing.text == "Not found."


def test_quotes_zip_holds_exactly_the_requested_pdfs(committed, client):
    data = _signed_in(committed)
    ids = ",".join(str(i) for i in data["own"])
    assert client.get("/api/quotes/zip", params={"ids": ids}).status_code == 401
    _handoff(client, data["handoff"])
    response = client.get("/api/quotes/zip", params={"ids": ids})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    names = sorted(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert names == sorted(f"quote-{n}.pdf" for n in data["numbers"])
    for ids in (
        f"{data['own'][0]},{data['foreign']}",
        f"{data['own'][0]},{data['draft']}",
        "",
        "1,x",
        ",".join(str(i) for i in range(1, 200)),
    ):
        assert client.get("/api/quotes/zip", params={"ids": ids}).status_code == 404


def test_module_off_is_not_found(committed, client):
    data = _signed_in(committed)
    with committed() as (session, _):
        from portal_app.models import Company, Quote

        company = session.get(Company, session.get(Quote, data["own"][0]).company_id)
        company.enabled_modules = "invoices"
        session.add(company)
    _handoff(client, data["handoff"])
    assert client.get(f"/api/quotes/{data['own'][0]}/pdf").status_code == 404
