"""Sign-in by e-mailed one-time code, with the code read from a real SMTP server."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.core.errors import AuthError, NotFoundError, ThrottledError
from portal_app.core.settings import get_settings
from portal_app.models import AuthSession, OutboxMessage, SignInCode
from portal_app.services.identity import auth, link_scope, signin_codes
from tests.conftest import TEST_PASSWORD
from tests.helpers.mailbox import Mailbox, deliver


def _ip() -> str:
    """A unique client address, so the in-memory throttle never mixes tests."""
    return f"10.9.{uuid.uuid4().hex[:8]}"


def _email() -> str:
    return f"code-{uuid.uuid4().hex[:12]}@example.test"


def _mailed_code(session, box: Mailbox, address: str) -> str:
    """Send what the outbox holds and read the newest code e-mailed to `address`."""
    deliver(session)
    messages = box.to(address)
    assert messages, "no code was e-mailed"
    text = messages[-1].get_body(preferencelist=("plain",)).get_content()
    return re.findall(r"\b\d{6}\b", text)[0]


def _kinds(session, contact) -> list[str]:
    rows = session.exec(select(AuthSession).where(AuthSession.contact_id == contact.id)).all()
    return [row.kind for row in rows]


def test_right_code_signs_in_once_and_is_stored_hashed(make, session, mailbox):
    company = make.company(name="Northwind Billing")
    contact = make.contact(make.client(company), email=_email())

    returned = signin_codes.request_code(session, email=contact.email.upper(), ip=_ip())
    code = _mailed_code(session, mailbox, contact.email)

    assert code == returned and len(code) == 6
    assert "Northwind Billing" in mailbox.to(contact.email)[0]["Subject"]
    row = session.exec(select(SignInCode).where(SignInCode.contact_id == contact.id)).one()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == timedelta(minutes=10)
    opened = signin_codes.sign_in_with_code(session, email=contact.email, code=code, ip=_ip())
    assert opened.contact_id == contact.id
    assert _kinds(session, contact) == ["code"]
    assert contact.last_login_at is not None
    # Single use.
    with pytest.raises(AuthError, match="not right or has expired"):
        signin_codes.sign_in_with_code(session, email=contact.email, code=code, ip=_ip())


def test_the_code_is_queued_in_the_callers_transaction(make, session):
    contact = make.contact(make.client(make.company()), email=_email())
    with session.begin_nested() as savepoint:
        signin_codes.request_code(session, email=contact.email, ip=_ip())
        savepoint.rollback()
    queued = session.exec(select(OutboxMessage).where(OutboxMessage.to_address == contact.email))
    assert queued.all() == []
    assert session.exec(select(SignInCode).where(SignInCode.contact_id == contact.id)).all() == []


def test_expired_wrong_and_replaced_codes_are_refused(make, session, mailbox):
    contact = make.contact(make.client(make.company()), email=_email())
    asked = utcnow() - timedelta(minutes=11)
    old = signin_codes.request_code(session, email=contact.email, ip=_ip(), now=asked)
    assert old is not None
    with pytest.raises(AuthError):
        signin_codes.sign_in_with_code(session, email=contact.email, code=old, ip=_ip())

    first = signin_codes.request_code(session, email=contact.email, ip=_ip())
    second = signin_codes.request_code(session, email=contact.email, ip=_ip())
    assert first is not None and second is not None
    wrong = f"{(int(second) + 1) % 1_000_000:06d}"
    for attempt in (wrong, "12 34a"):
        with pytest.raises(AuthError):
            signin_codes.sign_in_with_code(session, email=contact.email, code=attempt, ip=_ip())
    if first != second:
        # Asking again replaced the first code.
        with pytest.raises(AuthError):
            signin_codes.sign_in_with_code(session, email=contact.email, code=first, ip=_ip())
    opened = signin_codes.sign_in_with_code(session, email=contact.email, code=second, ip=_ip())
    assert opened.contact_id == contact.id


def test_another_contacts_code_is_refused(make, session, mailbox):
    client = make.client(make.company())
    mine = make.contact(client, email=_email())
    theirs = make.contact(client, email=_email())
    code = signin_codes.request_code(session, email=theirs.email, ip=_ip())
    assert code is not None
    signin_codes.request_code(session, email=mine.email, ip=_ip())

    with pytest.raises(AuthError):
        signin_codes.sign_in_with_code(session, email=mine.email, code=code, ip=_ip())
    assert _kinds(session, mine) == []


def test_wrong_guesses_burn_the_code(make, session, mailbox, monkeypatch):
    # A throttle window wider than the burn limit, so the burn is what stops the guesses.
    monkeypatch.setattr(get_settings(), "login_max_failures", 50)
    contact = make.contact(make.client(make.company()), email=_email())
    code = signin_codes.request_code(session, email=contact.email, ip=_ip())
    assert code is not None
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(signin_codes.MAX_WRONG_GUESSES):
        with pytest.raises(AuthError):
            signin_codes.sign_in_with_code(session, email=contact.email, code=wrong, ip=_ip())

    with pytest.raises(AuthError):
        signin_codes.sign_in_with_code(session, email=contact.email, code=code, ip=_ip())
    row = session.exec(select(SignInCode).where(SignInCode.contact_id == contact.id)).one()
    assert row.used_at is not None and row.failed_attempts == signin_codes.MAX_WRONG_GUESSES


def test_requests_and_guesses_are_throttled(make, session, mailbox):
    limit = get_settings().login_max_failures
    contact = make.contact(make.client(make.company()), email=_email())
    for _ in range(limit):
        assert signin_codes.request_code(session, email=contact.email, ip=_ip())
    # The account's quota of requests is used up, whichever address asks.
    assert signin_codes.request_code(session, email=contact.email, ip=_ip()) is None
    deliver(session)
    assert len(mailbox.to(contact.email)) == limit

    # One address guessing at many accounts is stopped before it checks anything.
    other = make.contact(make.client(make.company()), email=_email())
    code = signin_codes.request_code(session, email=other.email, ip=_ip())
    assert code is not None
    ip = _ip()
    for _ in range(limit):
        with pytest.raises(AuthError):
            signin_codes.sign_in_with_code(session, email=_email(), code="000000", ip=ip)
    with pytest.raises(ThrottledError):
        signin_codes.sign_in_with_code(session, email=other.email, code=code, ip=ip)
    # The refused attempt did not spend the code.
    opened = signin_codes.sign_in_with_code(session, email=other.email, code=code, ip=_ip())
    assert opened.contact_id == other.id


def test_unknown_or_disabled_email_gets_no_mail(make, session, mailbox):
    disabled = make.contact(make.client(make.company()), email=_email(), portal_enabled=False)

    assert signin_codes.request_code(session, email=_email(), ip=_ip()) is None
    assert signin_codes.request_code(session, email=disabled.email, ip=_ip()) is None
    assert signin_codes.request_code(session, email="  ", ip=_ip()) is None
    deliver(session)

    assert mailbox.messages == []
    with pytest.raises(AuthError) as unknown:
        signin_codes.sign_in_with_code(session, email=_email(), code="123456", ip=_ip())
    assert str(unknown.value) == signin_codes.WRONG_CODE_ERROR


def test_codes_only_company_refuses_the_password(make, session, mailbox):
    contact = make.contact(make.client(make.company(codes_only=True)), email=_email())

    with pytest.raises(AuthError) as refused:
        auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    assert str(refused.value) == auth.CODES_ONLY_ERROR
    # A wrong password still gets the one generic answer.
    with pytest.raises(AuthError) as wrong:
        auth.sign_in(session, email=contact.email, password="not-the-password", ip=_ip())
    assert str(wrong.value) == auth.GENERIC_LOGIN_ERROR
    code = signin_codes.request_code(session, email=contact.email, ip=_ip())
    assert code is not None
    opened = signin_codes.sign_in_with_code(session, email=contact.email, code=code, ip=_ip())
    assert _kinds(session, contact) == ["code"] and opened.contact_id == contact.id


def test_link_session_steps_up_with_a_code_to_the_whole_account(make, session, mailbox):
    contact = make.contact(make.client(make.company()), email=_email())
    invoice = make.invoice(make.client(make.company()))
    link_actor = make.actor(contact, "link", link_to=invoice)
    with pytest.raises(NotFoundError) as asked:
        link_scope.require_module(link_actor, "credits")
    assert "code" in asked.value.message

    signin_codes.request_code(session, email=contact.email, ip=_ip())
    code = _mailed_code(session, mailbox, contact.email)
    opened = signin_codes.sign_in_with_code(session, email=contact.email, code=code, ip=_ip())

    actor = auth.resolve_actor(session, token=opened.token)
    assert actor is not None and actor.kind == "code" and not actor.is_link_session
    link_scope.require_module(actor, "credits")  # the whole account: no FullSessionRequired
