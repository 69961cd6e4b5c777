import io
import zipfile
from datetime import timedelta

from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.core.tokens import token_hash
from portal_app.models import AuthSession
from portal_app.services.identity import auth
from tests.helpers.signin import BINDING, bind


def _signed_in(committed, client_factory=None):
    """A contact with two invoices and a draft, another client's invoice, and a handoff code."""
    with committed() as (session, make):
        company = make.company()
        mine, theirs = make.client(company), make.client(company)
        contact = make.contact(mine)
        own = [make.invoice(mine), make.invoice(mine, status="paid", paid_minor=240_00)]
        draft = make.invoice(mine, status="draft")
        foreign = make.invoice(theirs)
        opened = auth.open_session(
            session, contact=contact, kind="password", lifetime=timedelta(hours=1), binding=BINDING
        )
    return {
        "own": [inv.id for inv in own],
        "numbers": [inv.number for inv in own],
        "draft": draft.id,
        "foreign": foreign.id,
        "handoff": opened.handoff_code,
        "session_id": opened.session_id,
    }


def _handoff(client, code, next_path="/client/invoices"):
    bind(client)
    return client.get("/api/auth/handoff", params={"code": code, "next": next_path})


def test_health_reports_database(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_handoff_sets_httponly_cookie_once(committed, client):
    data = _signed_in(committed)
    response = _handoff(client, data["handoff"])
    assert response.status_code == 303
    assert response.headers["location"] == "/client/invoices"
    cookie = response.headers["set-cookie"]
    assert "portal_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    # The cookie token is not the handoff code, and only its hash is stored.
    token = client.cookies.get("portal_session")
    assert token and token != data["handoff"]
    with committed() as (session, _):
        row = session.get(AuthSession, data["session_id"])
        assert row.token_hash == token_hash(token) and row.handoff_hash is None
    # A replayed handoff code opens nothing.
    client.cookies.clear()
    again = _handoff(client, data["handoff"])
    assert again.status_code == 303 and again.headers["location"] == "/client/login"
    assert "set-cookie" not in again.headers


def test_handoff_refuses_open_redirects(committed, client):
    for target in ("https://evil.example/client/invoices", "//evil.example", "/api/health"):
        data = _signed_in(committed)
        response = _handoff(client, data["handoff"], target)
        assert response.headers["location"] in ("/client/dashboard", "/client/invoices")


def test_expired_handoff_is_refused(committed, client):
    data = _signed_in(committed)
    with committed() as (session, _):
        row = session.get(AuthSession, data["session_id"])
        row.handoff_expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    response = _handoff(client, data["handoff"])
    assert response.headers["location"] == "/client/login"


def test_pdf_download_is_scoped_to_the_client(committed, client):
    data = _signed_in(committed)
    assert client.get(f"/api/invoices/{data['own'][0]}/pdf").status_code == 401
    _handoff(client, data["handoff"])
    response = client.get(f"/api/invoices/{data['own'][0]}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response.headers["content-disposition"]
    # Another client's, a draft, an unknown and a malformed id all look the same.
    for bad in (data["foreign"], data["draft"], 987654321, "abc", "-1", "1e3", "²", "0"):
        missing = client.get(f"/api/invoices/{bad}/pdf")
        assert missing.status_code == 404 and missing.text == "Not found."


def test_zip_download_holds_exactly_the_requested_pdfs(committed, client):
    data = _signed_in(committed)
    _handoff(client, data["handoff"])
    ids = ",".join(str(i) for i in data["own"])
    response = client.get("/api/invoices/zip", params={"ids": ids})
    assert response.status_code == 200
    names = sorted(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert names == sorted(f"invoice-{n}.pdf" for n in data["numbers"])
    mixed = client.get("/api/invoices/zip", params={"ids": f"{data['own'][0]},{data['foreign']}"})
    assert mixed.status_code == 404
    assert client.get("/api/invoices/zip", params={"ids": ""}).status_code == 404
    too_many = ",".join(str(i) for i in range(1, 200))
    assert client.get("/api/invoices/zip", params={"ids": too_many}).status_code == 404


def test_logout_revokes_session_and_clears_cookie(committed, client):
    data = _signed_in(committed)
    _handoff(client, data["handoff"])
    token = client.cookies.get("portal_session")
    response = client.post("/api/auth/logout", headers={"origin": "http://localhost:8000"})
    assert response.status_code == 303
    assert response.headers["location"].endswith("/client/login?signed_out=1")
    assert (
        'portal_session=""' in response.headers["set-cookie"]
        or "Max-Age=0" in response.headers["set-cookie"]
    )
    with committed() as (session, _):
        row = session.exec(
            select(AuthSession).where(AuthSession.token_hash == token_hash(token))
        ).one()
        assert row.revoked_at is not None
    # The old token no longer downloads anything.
    client.cookies.set("portal_session", token)
    assert client.get(f"/api/invoices/{data['own'][0]}/pdf").status_code == 401


def test_garbage_cookie_is_signed_out(committed, client):
    data = _signed_in(committed)
    for value in ("x", "a" * 5000, "../../etc/passwd", "' OR 1=1 --"):
        client.cookies.set("portal_session", value)
        assert client.get(f"/api/invoices/{data['own'][0]}/pdf").status_code == 401


def test_signed_out_and_not_found_answers_are_in_the_visitors_language(client):
    """A download link opened after the session ended answers in the browser's language (the
    sign-in page's choice first, then Accept-Language); English otherwise."""
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    signed_out = client.get("/api/invoices/1/pdf", headers=german)
    assert (signed_out.status_code, signed_out.text) == (
        401,
        "Melden Sie sich an, um Rechnungen herunterzuladen.",
    )
    client.cookies.set("portal_lang", "fr")
    chosen = client.get("/api/quotes/1/pdf", headers=german)
    assert chosen.text == "Connectez-vous pour télécharger des devis."
    client.cookies.clear()
    assert client.get("/api/invoices/1/pdf").text == "Sign in to download invoices."
    missing_logo = client.get(
        "/api/branding/logo/not-a-logo.png", headers={"Accept-Language": "ja"}
    )
    assert (missing_logo.status_code, missing_logo.text) == (404, "見つかりません。")
