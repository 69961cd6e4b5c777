"""Sign-in, sessions, handoff codes and sign-out."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, select

from portal_app.core.db import utcnow
from portal_app.core.errors import AuthError, ThrottledError
from portal_app.core.settings import get_settings
from portal_app.core.tokens import new_token, token_hash
from portal_app.models import AuditEvent, AuthSession
from portal_app.services.identity import auth, signin, signin_binding
from portal_app.services.identity.signin_binding import new_binding
from tests.conftest import TEST_PASSWORD
from tests.helpers.signin import BINDING
from tests.helpers.throttle import Counter, in_parallel


def _ip() -> str:
    """A unique client address: the throttle is in memory and keyed by address."""
    return f"198.51.100.{uuid.uuid4().int % 256}-{uuid.uuid4().hex[:8]}"


def _email() -> str:
    return f"auth-{uuid.uuid4().hex[:12]}@example.test"


def _contact(make, **kw):
    return make.contact(make.client(make.company()), email=_email(), **kw)


def _row(session, new_session) -> AuthSession:
    return session.get(AuthSession, new_session.session_id)


def _actions(session, contact) -> list[str]:
    rows = session.exec(
        select(AuditEvent)
        .where(AuditEvent.company_id == contact.company_id, AuditEvent.actor_id == contact.id)
        .order_by(AuditEvent.id)
    ).all()
    return [row.action for row in rows]


def test_sign_in_opens_a_password_session(make, session):
    contact = _contact(make)
    ip = _ip()

    opened = auth.sign_in(
        session, email=f"  {contact.email.upper()} ", password=TEST_PASSWORD, ip=ip, user_agent="UA"
    )

    assert opened.contact_id == contact.id
    row = _row(session, opened)
    assert row.kind == "password" and row.contact_id == contact.id
    assert row.company_id == contact.company_id
    assert row.ip == ip and row.user_agent == "UA"
    assert row.revoked_at is None
    hours = get_settings().session_hours
    assert timedelta(hours=hours) - timedelta(minutes=1) < row.expires_at - utcnow()
    assert row.expires_at - utcnow() <= timedelta(hours=hours)
    assert contact.last_login_at is not None
    assert "session_opened_password" in _actions(session, contact)
    actor = auth.resolve_actor(session, token=opened.token, ip=ip)
    assert actor is not None
    assert (actor.company_id, actor.client_id, actor.contact_id) == (
        contact.company_id,
        contact.client_id,
        contact.id,
    )
    assert actor.session_id == opened.session_id and actor.kind == "password"


def test_wrong_password_and_unknown_email_get_the_same_message(make, session):
    contact = _contact(make)
    with pytest.raises(AuthError) as wrong:
        auth.sign_in(session, email=contact.email, password="not-the-password", ip=_ip())
    with pytest.raises(AuthError) as unknown:
        auth.sign_in(session, email=_email(), password=TEST_PASSWORD, ip=_ip())
    for caught in (wrong, unknown):
        assert type(caught.value) is AuthError
        assert str(caught.value) == auth.GENERIC_LOGIN_ERROR
    assert _actions(session, contact) == ["login_failed"]
    assert session.exec(select(AuthSession).where(AuthSession.contact_id == contact.id)).all() == []


def test_disabled_or_passwordless_contact_cannot_sign_in(make, session):
    disabled = _contact(make, portal_enabled=False)
    passwordless = _contact(make, password=None)
    for contact, password in ((disabled, TEST_PASSWORD), (passwordless, "")):
        with pytest.raises(AuthError) as caught:
            auth.sign_in(session, email=contact.email, password=password, ip=_ip())
        assert str(caught.value) == auth.GENERIC_LOGIN_ERROR
        assert not session.exec(
            select(AuthSession).where(AuthSession.contact_id == contact.id)
        ).all()


def test_failures_lock_the_account_from_any_address(make, session):
    contact = _contact(make)
    for _ in range(get_settings().login_max_failures):
        with pytest.raises(AuthError):
            auth.sign_in(session, email=contact.email, password="guess-guess-guess", ip=_ip())

    with pytest.raises(ThrottledError) as caught:
        auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    assert str(caught.value) == auth.THROTTLED_ERROR
    assert not session.exec(select(AuthSession).where(AuthSession.contact_id == contact.id)).all()


def test_failures_lock_the_address_for_every_account(make, session):
    ip = _ip()
    for _ in range(get_settings().login_max_failures):
        with pytest.raises(AuthError):
            auth.sign_in(session, email=_email(), password="guess-guess-guess", ip=ip)
    contact = _contact(make)

    with pytest.raises(ThrottledError):
        auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=ip)
    # The same account from another address is fine: its own count is zero.
    assert auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())


def test_success_resets_the_account_count(make, session):
    contact = _contact(make)
    below_limit = get_settings().login_max_failures - 1
    for _round in range(2):
        for _ in range(below_limit):
            with pytest.raises(AuthError):
                auth.sign_in(session, email=contact.email, password="guess-guess-guess", ip=_ip())
        assert auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())


def test_signing_in_to_its_own_account_does_not_reset_the_address_count(make, session):
    # An address guessing at other accounts gains nothing by signing in between batches.
    limit = get_settings().login_max_failures
    own = _contact(make)
    ip = _ip()
    for _ in range(limit - 1):
        with pytest.raises(AuthError) as caught:
            auth.sign_in(session, email=_email(), password="guess-guess-guess", ip=ip)
        assert type(caught.value) is AuthError
    assert auth.sign_in(session, email=own.email, password=TEST_PASSWORD, ip=ip)

    with pytest.raises(AuthError) as caught:
        auth.sign_in(session, email=_email(), password="guess-guess-guess", ip=ip)
    assert type(caught.value) is AuthError
    for email, password in ((_email(), "guess-guess-guess"), (own.email, TEST_PASSWORD)):
        with pytest.raises(ThrottledError):
            auth.sign_in(session, email=email, password=password, ip=ip)


def test_successful_sign_ins_do_not_use_up_the_address(make, session):
    # Colleagues behind one office address sign in all morning: only failures count.
    ip = _ip()
    for _ in range(get_settings().login_max_failures + 2):
        assert auth.sign_in(session, email=_contact(make).email, password=TEST_PASSWORD, ip=ip)
    with pytest.raises(AuthError) as caught:
        auth.sign_in(session, email=_email(), password="guess-guess-guess", ip=ip)
    assert type(caught.value) is AuthError


def _parallel_guesses(engine, monkeypatch, *, email, ip) -> tuple[int, list[str]]:
    """40 wrong passwords at once; how many password checks ran, and each attempt's outcome."""
    checks = Counter()
    real_verify = signin.verify_password

    def counting_verify(password, password_hash):
        checks.add()
        return real_verify(password, password_hash)

    # The shared password check (services/identity/signin.py) is what both sides run.
    monkeypatch.setattr(signin, "verify_password", counting_verify)

    def attempt(i: int) -> str:
        with Session(engine) as db:
            try:
                auth.authenticate_contact(
                    db, email=email(i), password="guess-guess-guess", ip=ip(i)
                )
            except ThrottledError:
                return "throttled"
            except AuthError:
                return "wrong"
        return "signed in"

    outcomes = in_parallel(PARALLEL_ATTEMPTS, attempt)
    return checks.value, outcomes


PARALLEL_ATTEMPTS = 40


def test_parallel_guesses_from_one_address_check_no_more_passwords_than_the_limit(
    engine, monkeypatch
):
    limit = get_settings().login_max_failures
    ip = _ip()
    checks, outcomes = _parallel_guesses(
        engine, monkeypatch, email=lambda i: _email(), ip=lambda i: ip
    )
    assert checks <= limit
    assert outcomes.count("wrong") == checks
    assert outcomes.count("throttled") == PARALLEL_ATTEMPTS - checks


def test_parallel_guesses_at_one_account_check_no_more_passwords_than_the_limit(
    engine, monkeypatch
):
    limit = get_settings().login_max_failures
    email = _email()
    checks, outcomes = _parallel_guesses(
        engine, monkeypatch, email=lambda i: email, ip=lambda i: _ip()
    )
    assert checks <= limit
    assert outcomes.count("throttled") == PARALLEL_ATTEMPTS - checks


def test_same_email_in_two_companies_each_signs_in_with_its_own_password(make, session):
    address = _email()
    first = make.contact(make.client(make.company()), email=address, password="first-password-1")
    second = make.contact(make.client(make.company()), email=address, password="second-password-2")
    # The later contact first: a look-up that stops at the first row by e-mail fails here.
    for contact, password in ((second, "second-password-2"), (first, "first-password-1")):
        opened = auth.sign_in(session, email=address, password=password, ip=_ip())
        assert opened.contact_id == contact.id


def test_resolve_actor_refuses_expired_revoked_and_garbage_tokens(make, session):
    contact = _contact(make)
    expired = auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    revoked = auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    valid = auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    expired_row = _row(session, expired)
    expired_row.expires_at = utcnow() - timedelta(seconds=1)
    revoked_row = _row(session, revoked)
    revoked_row.revoked_at = utcnow()
    session.add_all([expired_row, revoked_row])
    session.flush()

    assert auth.resolve_actor(session, token=valid.token) is not None
    assert auth.resolve_actor(session, token=expired.token) is None
    assert auth.resolve_actor(session, token=revoked.token) is None
    for garbage in (None, "", "short", "x" * 5000, "' OR 1=1 --", new_token(), valid.handoff_code):
        assert auth.resolve_actor(session, token=garbage) is None
    # A session stops working the moment its contact is disabled.
    contact.portal_enabled = False
    session.add(contact)
    session.flush()
    assert auth.resolve_actor(session, token=valid.token) is None


def test_sign_out_revokes_the_session_once(make, session):
    contact = _contact(make)
    opened = auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    other = auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())

    assert auth.sign_out(session, token=opened.token) is True

    assert _row(session, opened).revoked_at is not None
    assert auth.resolve_actor(session, token=opened.token) is None
    assert auth.sign_out(session, token=opened.token) is False
    assert auth.resolve_actor(session, token=other.token) is not None
    assert _actions(session, contact).count("signed_out") == 1
    for garbage in (None, "", "nope", new_token()):
        assert auth.sign_out(session, token=garbage) is False


def test_handoff_code_is_single_use_and_replaces_the_token(make, session):
    contact = _contact(make)
    opened = auth.sign_in(
        session, email=contact.email, password=TEST_PASSWORD, ip=_ip(), binding=BINDING
    )

    redeemed = auth.redeem_handoff(session, code=opened.handoff_code, binding=BINDING)

    assert redeemed is not None
    cookie_token, row = redeemed
    assert row.id == opened.session_id
    assert cookie_token not in (opened.token, opened.handoff_code)
    assert auth.resolve_actor(session, token=cookie_token).contact_id == contact.id
    # The pre-handoff token is gone: only the cookie token, which never travelled in a URL, works.
    assert auth.resolve_actor(session, token=opened.token) is None
    assert row.handoff_hash is None and row.handoff_expires_at is None
    assert auth.redeem_handoff(session, code=opened.handoff_code, binding=BINDING) is None
    for garbage in ("", "short", "x" * 5000, new_token(), cookie_token):
        assert auth.redeem_handoff(session, code=garbage, binding=BINDING) is None


def test_handoff_code_goes_only_to_the_browser_with_its_binding(make, session):
    contact = _contact(make)
    opened = auth.sign_in(
        session, email=contact.email, password=TEST_PASSWORD, ip=_ip(), binding=BINDING
    )
    stale = signin_binding.new_binding(now=time.time() - signin_binding.BINDING_SECONDS - 1)
    for other in (None, "", new_binding(), stale, BINDING + "x", "x" * 60):
        assert auth.redeem_handoff(session, code=opened.handoff_code, binding=other) is None
    # Those tries did not use the code up.
    assert auth.redeem_handoff(session, code=opened.handoff_code, binding=BINDING) is not None
    # Without a binding a session gets no handoff code at all.
    unbound = auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    assert unbound.handoff_code == "" and _row(session, unbound).handoff_hash is None


def test_handoff_code_expires_and_dies_with_its_session(make, session):
    contact = _contact(make)
    late = auth.sign_in(
        session, email=contact.email, password=TEST_PASSWORD, ip=_ip(), binding=BINDING
    )
    revoked = auth.sign_in(
        session, email=contact.email, password=TEST_PASSWORD, ip=_ip(), binding=BINDING
    )
    late_row = _row(session, late)
    assert late_row.handoff_expires_at - utcnow() <= timedelta(seconds=auth.HANDOFF_SECONDS)
    late_row.handoff_expires_at = utcnow() - timedelta(seconds=1)
    session.add(late_row)
    assert auth.sign_out(session, token=revoked.token)
    session.flush()

    assert auth.redeem_handoff(session, code=late.handoff_code, binding=BINDING) is None
    assert auth.redeem_handoff(session, code=revoked.handoff_code, binding=BINDING) is None
    # The expired handoff did not disturb the session itself.
    assert auth.resolve_actor(session, token=late.token) is not None


def test_session_token_is_stored_only_as_a_hash(make, session):
    contact = _contact(make)
    opened = auth.sign_in(
        session, email=contact.email, password=TEST_PASSWORD, ip=_ip(), binding=BINDING
    )
    session.flush()
    session.expire_all()

    row = _row(session, opened)
    values = [
        str(getattr(row, column.key)) for column in sa_inspect(AuthSession).mapper.column_attrs
    ]
    for secret in (opened.token, opened.handoff_code, BINDING):
        assert not any(secret in value for value in values)
    assert row.token_hash == token_hash(opened.token)
    # The code is stored hashed with the binding of the browser it is for.
    assert row.handoff_hash == signin_binding.bound_handoff_hash(opened.handoff_code, BINDING)
    assert len(opened.token) >= 43  # 256 random bits, URL-safe
    # Nor does the raw token reach the audit trail.
    for event in session.exec(select(AuditEvent).where(AuditEvent.actor_id == contact.id)).all():
        assert opened.token not in event.details


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("#0A7F3B", "#0a7f3b"), ("#12345\n", "#4f46e5"), ("red;x:y", "#4f46e5"), ("", "#4f46e5")],
)
def test_portal_identity_primary_color_is_rechecked(make, session, stored, shown):
    company = make.company()
    company.primary_color = stored
    session.add(company)
    session.flush()
    contact = make.contact(make.client(company), email=_email())

    identity = auth.portal_identity(session, actor=make.actor(contact))

    assert identity.primary_color == shown


def test_a_first_sign_in_is_told_apart_from_a_return(make, session):
    """Issue 18 item 15: the dashboard said "Welcome back" on a first sign-in."""
    from datetime import timedelta

    contact = make.contact(make.client(make.company()))
    first = auth.open_session(
        session, contact=contact, kind="password", lifetime=timedelta(hours=1)
    )
    actor = auth.resolve_actor(session, token=first.token)
    assert auth.is_first_sign_in(session, actor=actor)
    # An e-mailed link before does not count as signing in.
    again = auth.open_session(session, contact=contact, kind="code", lifetime=timedelta(hours=1))
    assert not auth.is_first_sign_in(session, actor=auth.resolve_actor(session, token=again.token))
