"""A downloaded PDF reads like the page it came from (issue 20): the contact's chosen language,
else this browser's (the portal_lang cookie, then Accept-Language), else the company's."""

from __future__ import annotations

import subprocess

from portal_app.models import ClientContact
from tests.api.test_routes import _handoff, _signed_in


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_the_browsers_language_then_the_contacts_choice(committed, client):
    data = _signed_in(committed)
    _handoff(client, data["handoff"])
    url = f"/api/invoices/{data['own'][0]}/pdf"
    english = _text(client.get(url, headers={"Accept-Language": "en-US"}).content)
    assert "INVOICE" in english and "Subtotal" in english
    japanese = _text(client.get(url, headers={"Accept-Language": "ja,en;q=0.5"}).content)
    assert "請求書番号" in japanese and "小計" in japanese and "INVOICE" not in japanese
    client.cookies.set("portal_lang", "fr")
    french = _text(client.get(url, headers={"Accept-Language": "ja"}).content)
    assert "FACTURE" in french and "Sous-total" in french
    with committed() as (session, _make):
        contact = session.get(ClientContact, _contact_id(session, data["session_id"]))
        contact.language = "de"
        session.add(contact)
    german = _text(client.get(url, headers={"Accept-Language": "ja"}).content)
    assert "RECHNUNG" in german and "Zwischensumme" in german


def _contact_id(session, session_id: int) -> int:
    from portal_app.models import AuthSession

    return session.get(AuthSession, session_id).contact_id
