"""An e-mailed-link session steps up to the whole account with an e-mailed code from the page
it is on (issue 18 item 4): only that contact gets a code, and it opens only that contact's
account; its saved cards then become payable."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlmodel import select

from portal_app.core.errors import AuthError
from portal_app.models import AuthSession, SignInCode
from portal_app.services.identity import auth, signin_codes
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from tests.conftest import CARD_OK
from tests.helpers.mailbox import deliver


def _ip() -> str:
    return f"10.8.{uuid.uuid4().hex[:8]}"


def _email() -> str:
    return f"stepup-{uuid.uuid4().hex[:12]}@example.test"


def _mailed_codes(session, mailbox, address: str) -> list[str]:
    deliver(session)
    return [
        re.findall(r"\b\d{6}\b", m.get_body(preferencelist=("plain",)).get_content())[0]
        for m in mailbox.to(address)
    ]


def test_a_link_session_gets_the_whole_account_with_the_mailed_code(
    make, session, mailbox, gateway, browser_card
):
    email = _email()
    company = make.company()
    client = make.client(company)
    contact = make.contact(client, email=email)
    # The same address at another company: it gets no code from this page.
    elsewhere = make.contact(make.client(make.company()), email=email)
    invoice = make.invoice(client)
    link = make.actor(contact, kind="link", link_to=invoice)
    with session.begin_nested():
        customer = co.customer_ref_for(session, actor=make.actor(contact), gateway=gateway)
    flow.store_card(
        session,
        actor=make.actor(contact),
        card=gateway.card_details(browser_card(customer, CARD_OK)),
        gateway_name="stripe",
    )
    assert co.saved_cards(session, actor=link) == []  # hidden from the link session

    sent = signin_codes.request_step_up_code(session, actor=link, ip=_ip())
    codes = _mailed_codes(session, mailbox, email)
    assert codes == [sent]
    holders = session.exec(select(SignInCode.contact_id)).all()
    assert elsewhere.id not in holders

    with pytest.raises(AuthError):
        signin_codes.step_up_with_code(session, actor=link, code="000000", ip=_ip())
    opened = signin_codes.step_up_with_code(session, actor=link, code=sent, ip=_ip())
    assert opened.contact_id == contact.id
    stepped = auth.resolve_actor(session, token=opened.token)
    assert stepped is not None and stepped.kind == "code" and not stepped.is_link_session
    assert [c.label for c in co.saved_cards(session, actor=stepped)][0].endswith("(12/2031)")
    # Used once.
    with pytest.raises(AuthError):
        signin_codes.step_up_with_code(session, actor=link, code=sent, ip=_ip())


def test_only_a_link_session_steps_up(make, session, mailbox):
    contact = make.contact(make.client(make.company()), email=_email())
    full = make.actor(contact)
    assert signin_codes.request_step_up_code(session, actor=full, ip=_ip()) is None
    with pytest.raises(AuthError):
        signin_codes.step_up_with_code(session, actor=full, code="123456", ip=_ip())
    assert session.exec(select(AuthSession).where(AuthSession.contact_id == contact.id)).all() == []
    # A disabled contact's link session gets nothing either.
    invoice = make.invoice(make.client(make.company()))
    off = make.contact(make.client(make.company()), email=_email(), portal_enabled=False)
    link = make.actor(off, kind="link", link_to=invoice)
    assert signin_codes.request_step_up_code(session, actor=link, ip=_ip()) is None
