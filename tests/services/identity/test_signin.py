"""The sign-in steps client and staff share (services/identity/signin.py), run for both sides."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.core.errors import AuthError, ThrottledError
from portal_app.core.settings import get_settings
from portal_app.core.tokens import token_hash
from portal_app.models import AuditEvent, AuthSession, ClientContact
from portal_app.services.identity import auth, signin, staff_auth
from tests.conftest import TEST_PASSWORD
from tests.helpers.signin import BINDING
from tests.helpers.staff import add_staff

SIDES = {"client": auth.CONTACTS, "staff": staff_auth.STAFF}


def _ip() -> str:
    return f"192.0.2.{uuid.uuid4().hex[:8]}"


def _email() -> str:
    return f"shared-{uuid.uuid4().hex[:12]}@example.test"


def _account(make, side: str, **kw):
    """A contact or a staff user whose password is TEST_PASSWORD."""
    company = make.company()
    if side == "client":
        return make.contact(make.client(company), email=_email(), **kw)
    hashed = make.contact(make.client(company), email=_email()).password_hash
    return add_staff(make.session, company, password_hash=hashed, email=_email(), **kw)


def _disabled(side: str) -> dict:
    return {"portal_enabled": False} if side == "client" else {"is_active": False}


def _open(session, account, *, binding=None, lifetime=timedelta(hours=1)):
    """A session of the account's own side, through its public service."""
    if isinstance(account, ClientContact):
        return auth.open_session(
            session, contact=account, kind="password", lifetime=lifetime, binding=binding
        )
    return staff_auth.open_staff_session(session, user=account, binding=binding)


def _resolve(session, side: str, token: str):
    if side == "client":
        return auth.resolve_actor(session, token=token)
    return staff_auth.resolve_staff_actor(session, token=token)


@pytest.fixture
def hash_checks(monkeypatch) -> list[str | None]:
    """The stored hashes the shared password check is asked about, in order."""
    seen: list[str | None] = []
    real = signin.verify_password

    def counting(password, password_hash):
        seen.append(password_hash)
        return real(password, password_hash)

    monkeypatch.setattr(signin, "verify_password", counting)
    return seen


@pytest.mark.parametrize("side", SIDES)
def test_the_right_password_signs_in_and_clears_the_account_count(make, session, side):
    account = _account(make, side)
    ip = _ip()
    for _ in range(get_settings().login_max_failures - 1):
        with pytest.raises(AuthError):
            signin.authenticate(session, SIDES[side], email=account.email, password="no", ip=ip)

    found = signin.authenticate(
        session, SIDES[side], email=f" {account.email.upper()}", password=TEST_PASSWORD, ip=_ip()
    )

    assert found.id == account.id
    # The count on the account was cleared: a fresh address gets the full allowance again.
    for _ in range(get_settings().login_max_failures - 1):
        with pytest.raises(AuthError):
            signin.authenticate(session, SIDES[side], email=account.email, password="no", ip=_ip())


@pytest.mark.parametrize("side", SIDES)
def test_a_wrong_password_is_refused_and_audited_on_its_side(make, session, side):
    account = _account(make, side)
    ip = _ip()

    with pytest.raises(AuthError) as caught:
        signin.authenticate(
            session, SIDES[side], email=account.email, password="wrong-one-0000", ip=ip
        )

    assert type(caught.value) is AuthError
    assert str(caught.value) == signin.GENERIC_LOGIN_ERROR
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.company_id == account.company_id, AuditEvent.actor_id == account.id
        )
    ).one()
    assert event.action == SIDES[side].failed_action
    assert event.actor_type == SIDES[side].actor_type
    assert event.ip == ip
    assert event.client_id == (account.client_id if side == "client" else None)


@pytest.mark.parametrize("side", SIDES)
def test_an_unknown_address_gets_the_same_message_and_still_costs_a_hash(
    session, hash_checks, side
):
    with pytest.raises(AuthError) as caught:
        signin.authenticate(session, SIDES[side], email=_email(), password="anything", ip=_ip())

    assert str(caught.value) == signin.GENERIC_LOGIN_ERROR
    assert hash_checks == [None]


@pytest.mark.parametrize("side", SIDES)
def test_a_disabled_account_is_refused_after_the_same_hash(make, session, hash_checks, side):
    account = _account(make, side, **_disabled(side))

    with pytest.raises(AuthError) as caught:
        signin.authenticate(
            session, SIDES[side], email=account.email, password=TEST_PASSWORD, ip=_ip()
        )

    assert str(caught.value) == signin.GENERIC_LOGIN_ERROR
    assert hash_checks == [account.password_hash]


@pytest.mark.parametrize("side", SIDES)
def test_an_account_of_the_other_side_is_unknown_here(make, session, side):
    other = _account(make, "staff" if side == "client" else "client")

    with pytest.raises(AuthError):
        signin.authenticate(
            session, SIDES[side], email=other.email, password=TEST_PASSWORD, ip=_ip()
        )


@pytest.mark.parametrize("side", SIDES)
def test_once_throttled_even_the_right_password_is_not_checked(make, session, hash_checks, side):
    account = _account(make, side)
    ip = _ip()
    for _ in range(get_settings().login_max_failures):
        with pytest.raises(AuthError):
            signin.authenticate(session, SIDES[side], email=account.email, password="no", ip=ip)
    checked = len(hash_checks)

    with pytest.raises(ThrottledError) as caught:
        signin.authenticate(
            session, SIDES[side], email=account.email, password=TEST_PASSWORD, ip=ip
        )

    assert str(caught.value) == signin.THROTTLED_ERROR
    assert len(hash_checks) == checked


def test_each_side_counts_its_own_attempts(make, session):
    # The same address and e-mail used up on the staff side still may try the client side.
    email, ip = _email(), _ip()
    contact = make.contact(make.client(make.company()), email=email)
    for _ in range(get_settings().login_max_failures):
        with pytest.raises(AuthError):
            signin.authenticate(session, staff_auth.STAFF, email=email, password="no", ip=ip)
    with pytest.raises(ThrottledError):
        signin.authenticate(session, staff_auth.STAFF, email=email, password="no", ip=ip)

    found = signin.authenticate(session, auth.CONTACTS, email=email, password=TEST_PASSWORD, ip=ip)

    assert found.id == contact.id


@pytest.mark.parametrize("side", SIDES)
def test_a_session_stores_only_its_token_hash_and_lives_its_lifetime(make, session, side):
    account = _account(make, side)

    opened = _open(session, account, binding=BINDING)

    row = session.get(AuthSession, opened.session_id)
    assert row.token_hash == token_hash(opened.token) != opened.token
    assert opened.handoff_code and row.handoff_hash not in (None, opened.handoff_code)
    lifetime = 1 if side == "client" else get_settings().staff_session_hours
    assert row.expires_at == row.created_at + timedelta(hours=lifetime)
    assert signin.is_live(row)
    assert signin.session_row(session, opened.token).id == row.id
    assert _resolve(session, side, opened.token) is not None


def test_without_a_binding_there_is_no_handoff_code():
    assert signin.bound_handoff(None) == ("", None, None)


@pytest.mark.parametrize("token", [None, "", "x", "a" * 5000, "' OR 1=1 --"])
def test_missing_and_malformed_tokens_find_no_session(session, token):
    assert signin.session_row(session, token) is None
    assert signin.revoke(session, token=token) is None


@pytest.mark.parametrize("side", SIDES)
def test_an_expired_session_opens_nothing(make, session, side):
    account = _account(make, side)
    opened = _open(session, account, binding=BINDING)
    row = session.get(AuthSession, opened.session_id)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)

    assert not signin.is_live(row)
    assert _resolve(session, side, opened.token) is None
    code = opened.handoff_code
    assert signin.redeem_handoff(session, code=code, binding=BINDING, staff=side == "staff") is None


@pytest.mark.parametrize("side", SIDES)
def test_a_revoked_session_opens_nothing_and_is_revoked_once(make, session, side):
    account = _account(make, side)
    opened = _open(session, account, binding=BINDING)

    revoked = signin.revoke(session, token=opened.token)

    assert revoked is not None and revoked.id == opened.session_id
    assert revoked.revoked_at is not None and not signin.is_live(revoked)
    assert signin.revoke(session, token=opened.token) is None
    assert _resolve(session, side, opened.token) is None
    code = opened.handoff_code
    assert signin.redeem_handoff(session, code=code, binding=BINDING, staff=side == "staff") is None


def test_a_client_token_opens_nothing_on_the_staff_side(make, session):
    contact = _account(make, "client")
    opened = _open(session, contact, binding=BINDING)

    assert staff_auth.resolve_staff_actor(session, token=opened.token) is None
    assert (
        signin.redeem_handoff(session, code=opened.handoff_code, binding=BINDING, staff=True)
        is None
    )
    assert not staff_auth.sign_out_staff(session, token=opened.token)
    assert signin.revoke(session, token=opened.token, kind=signin.STAFF_KIND) is None
    # Refused, not spent: the session still works where it belongs.
    assert auth.resolve_actor(session, token=opened.token) is not None
    assert (
        signin.redeem_handoff(session, code=opened.handoff_code, binding=BINDING, staff=False)
        is not None
    )


def test_a_staff_token_opens_nothing_on_the_client_side(make, session):
    user = _account(make, "staff")
    opened = _open(session, user, binding=BINDING)

    assert auth.resolve_actor(session, token=opened.token) is None
    assert (
        signin.redeem_handoff(session, code=opened.handoff_code, binding=BINDING, staff=False)
        is None
    )
    assert staff_auth.resolve_staff_actor(session, token=opened.token) is not None
    assert (
        signin.redeem_handoff(session, code=opened.handoff_code, binding=BINDING, staff=True)
        is not None
    )


@pytest.mark.parametrize(
    ("kind", "staff_side"),
    [
        ("staff", True),
        ("password", False),
        ("link", False),
        ("code", False),
        ("staff_preview", False),
    ],
)
def test_every_kind_opens_exactly_one_side(kind, staff_side):
    assert signin.opens_side(kind, staff=staff_side)
    assert not signin.opens_side(kind, staff=not staff_side)


@pytest.mark.parametrize("side", SIDES)
def test_opening_and_ending_a_session_are_audited_against_it(make, session, side):
    account = _account(make, side)
    opened = _open(session, account)
    if side == "client":
        assert auth.sign_out(session, token=opened.token)
        expected = ["session_opened_password", "signed_out"]
    else:
        assert staff_auth.sign_out_staff(session, token=opened.token)
        expected = ["staff_signed_in", "staff_signed_out"]

    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.company_id == account.company_id,
            AuditEvent.entity_type == "session",
            AuditEvent.entity_id == opened.session_id,
        )
        .order_by(AuditEvent.id)
    ).all()
    assert [event.action for event in events] == expected
    assert {event.actor_type for event in events} == {SIDES[side].actor_type}
    assert {event.actor_id for event in events} == {account.id}
