"""Staff event handlers called straight over Reflex's event protocol (no browser, no page):
a client session cookie never gets through one, and a staff cookie never through a client one.

The browser tests show the pages redirect; these send the events a crafted client would send
to the running portal and check that nothing changed in the database.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from portal_app.models import Client, Company, PaymentMethod
from portal_app.services.identity import auth, staff_auth
from tests.e2e.conftest import Factory
from tests.helpers.reflex_protocol import LANGUAGE, PORTAL, Tab, page_state
from tests.helpers.signin import BINDING, binding_cookie
from tests.helpers.staff import add_staff

pytestmark = pytest.mark.e2e

STAFF = f"{LANGUAGE}.portal_app___state___staff____staff_state"


def staff_page_state(module: str, state: str) -> str:
    return f"{STAFF}.portal_app___pages___staff___{module}____{state}"


CLIENTS = staff_page_state("clients", "staff_clients_state")
SETTINGS = staff_page_state("settings", "staff_settings_state")
CLIENT_PAGE = staff_page_state("client_detail", "staff_client_state")
PAYMENT_METHODS = page_state("payment_methods", "payment_methods_state")


def _run(coro):
    """Run a coroutine on its own loop in a thread (Playwright's sync API owns this one)."""
    result: dict = {}

    def target():
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(120)
    if "error" in result:
        raise result["error"]
    return result.get("value")


async def _cookie(base_url: str, route: str, code: str, name: str) -> str:
    # The code was made for the browser holding BINDING (tests.helpers.signin).
    async with httpx.AsyncClient(base_url=base_url, timeout=15, cookies=binding_cookie()) as http:
        response = await http.get(route, params={"code": code}, follow_redirects=False)
    value = response.cookies.get(name)
    assert value, f"{route} set no {name}"
    return value


def _redirects(tab: Tab, since: int) -> list[str]:
    return [
        str((e.get("payload") or {}).get("path", ""))
        for e in tab.frontend_events[since:]
        if e.get("name") == "_redirect"
    ]


async def _send_and_settle(tab: Tab, name: str, payload: dict) -> int:
    since = len(tab.frontend_events)
    await tab.send(name, payload)
    await tab.wait_for(lambda t: _redirects(t, since), f"redirect after {name}")
    return since


def test_a_client_cookie_gets_through_no_staff_handler(base_url, make: Factory, db):
    account = make.account()
    with db() as session:
        add_staff(session, account.company, password_hash="x", role="owner")
        opened = auth.open_session(
            session,
            contact=account.contact,
            kind="password",
            lifetime=timedelta(hours=1),
            binding=BINDING,
        )
        clients_before = len(
            session.exec(select(Client).where(Client.company_id == account.company.id)).all()
        )
        name_before = session.get(Company, account.company.id).name

    async def scenario():
        tab = Tab(base_url)
        tab.cookies["portal_session"] = await _cookie(
            base_url, "/api/auth/handoff", opened.handoff_code, "portal_session"
        )
        # The client cookie opens the client portal...
        await tab.open("/client/dashboard")
        await tab.wait_hydrated()
        await tab.wait_for(lambda t: t.var(PORTAL, "signed_in") is True, "client signed in")
        # ...and no staff handler, whatever the event asks for.
        await tab.navigate("/staff/clients")
        since = await _send_and_settle(tab, f"{CLIENTS}.create", {"form_data": {"name": "Evil"}})
        assert all(path.startswith("/staff/login") for path in _redirects(tab, since))
        await tab.navigate("/staff/settings")
        await _send_and_settle(
            tab,
            f"{SETTINGS}.save",
            {"form_data": {"name": "Taken over", "primary_color": "#000000"}},
        )
        await tab.navigate(f"/staff/clients/{account.client.id}")
        await _send_and_settle(
            tab, f"{CLIENT_PAGE}.set_password", {"form_data": {"new_password": "x" * 20}}
        )
        assert tab.var(STAFF, "staff_signed_in") in (None, False)
        await tab.close()

    _run(scenario())
    with db() as session:
        clients_after = session.exec(
            select(Client).where(Client.company_id == account.company.id)
        ).all()
        assert len(clients_after) == clients_before
        assert session.get(Company, account.company.id).name == name_before


def test_a_staff_cookie_gets_through_no_client_handler(base_url, make: Factory, db):
    account = make.account()
    with db() as session:
        user = add_staff(session, account.company, password_hash="x", role="owner")
        opened = staff_auth.open_staff_session(session, user=user, binding=BINDING)
        method = PaymentMethod(
            company_id=account.company.id,
            client_id=account.client.id,
            customer_ref="cus_handlers",
            method_ref=f"pm_handlers_{account.client.id}",
            brand="visa",
            last4="4242",
        )
        session.add(method)
        session.flush()
        method_id = method.id

    async def scenario():
        tab = Tab(base_url)
        cookie = await _cookie(
            base_url, "/api/staff/auth/handoff", opened.handoff_code, "portal_staff_session"
        )
        # Under its own name, and even under the client cookie's name.
        tab.cookies["portal_staff_session"] = cookie
        tab.cookies["portal_session"] = cookie
        await tab.open("/client/payment_methods")
        await tab.wait_hydrated()
        await tab.navigate("/client/payment_methods")
        since = await _send_and_settle(
            tab, f"{PAYMENT_METHODS}.make_default", {"method_id": method_id}
        )
        assert all(path.startswith("/client/login") for path in _redirects(tab, since))
        assert tab.var(PORTAL, "signed_in") in (None, False)
        await tab.close()

    _run(scenario())
    with db() as session:
        assert session.get(PaymentMethod, method_id).is_default is False


def test_the_same_event_with_a_staff_cookie_does_create_the_client(base_url, make: Factory, db):
    """The control for the refusals above: the event names and payloads are the real ones."""
    company = make.company()
    with db() as session:
        user = add_staff(session, company, password_hash="x", role="staff")
        opened = staff_auth.open_staff_session(session, user=user, binding=BINDING)

    async def scenario():
        tab = Tab(base_url)
        tab.cookies["portal_staff_session"] = await _cookie(
            base_url, "/api/staff/auth/handoff", opened.handoff_code, "portal_staff_session"
        )
        await tab.open("/staff/clients")
        await tab.wait_hydrated()
        await tab.wait_for(lambda t: t.var(STAFF, "staff_signed_in") is True, "staff signed in")
        since = await _send_and_settle(
            tab, f"{CLIENTS}.create", {"form_data": {"name": "Made Over The Wire"}}
        )
        assert _redirects(tab, since)[-1].startswith("/staff/clients/")
        await tab.close()

    _run(scenario())
    with db() as session:
        made = session.exec(select(Client).where(Client.company_id == company.id)).all()
        assert [c.name for c in made] == ["Made Over The Wire"]


UPLOADS = f"{STAFF}.portal_app___state___staff_uploads____staff_uploads_state"


def test_a_crafted_file_toggle_for_another_companys_file_says_not_available(
    base_url, make: Factory, db
):
    """A staff file box never pointed at one of the company's clients, sent a toggle for a
    document of another company: "not available", the event does not fail, nothing changes."""
    from portal_app.models import Document

    account, other = make.account(), make.account()
    with db() as session:
        user = add_staff(session, account.company, password_hash="x", role="owner")
        opened = staff_auth.open_staff_session(session, user=user, binding=BINDING)
        foreign = Document(
            company_id=other.company.id,
            client_id=other.client.id,
            name="theirs.pdf",
            media_type="application/pdf",
            size_bytes=10,
            sha256="0" * 64,
            visible_to_client=True,
        )
        session.add(foreign)
        session.flush()
        foreign_id = foreign.id

    async def scenario():
        tab = Tab(base_url)
        tab.cookies["portal_staff_session"] = await _cookie(
            base_url, "/api/staff/auth/handoff", opened.handoff_code, "portal_staff_session"
        )
        await tab.open("/staff/clients")
        await tab.wait_hydrated()
        await tab.wait_for(lambda t: t.var(STAFF, "staff_signed_in") is True, "staff signed in")
        since = len(tab.history)
        await tab.send(
            f"{UPLOADS}.toggle_visibility", {"document_id": foreign_id, "visible": False}
        )
        await tab.wait_update(UPLOADS, "upload_error", since)
        assert tab.var(UPLOADS, "upload_error") == "That file is not available."
        await tab.close()

    _run(scenario())
    with db() as session:
        assert session.get(Document, foreign_id).visible_to_client is True
