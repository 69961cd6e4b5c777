"""Staff sign-in, staff sessions and their separation from client sessions."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from portal_app.core.db import utcnow
from portal_app.core.errors import AuthError, ReadOnlyError, ThrottledError
from portal_app.core.settings import get_settings
from portal_app.models import AuditEvent, AuthSession
from portal_app.services.identity import auth, signin, staff_auth
from portal_app.services.identity.passwords import hash_password
from portal_app.services.identity.signin_binding import new_binding
from portal_app.services.identity.staff_roles import StaffAction, require_role
from tests.conftest import TEST_PASSWORD
from tests.helpers.signin import BINDING
from tests.helpers.staff import add_staff
from tests.helpers.throttle import Counter, in_parallel

_HASH = hash_password(TEST_PASSWORD)


def _ip() -> str:
    return f"203.0.113.{uuid.uuid4().hex[:8]}"


def _staff(make, role: str = "owner", **kw):
    return add_staff(make.session, make.company(), password_hash=_HASH, role=role, **kw)


def test_staff_sign_in_opens_a_staff_session(make, session):
    user = _staff(make, role="admin")
    opened = staff_auth.sign_in_staff(
        session, email=f" {user.email.upper()} ", password=TEST_PASSWORD, ip=_ip(), user_agent="UA"
    )
    row = session.get(AuthSession, opened.session_id)
    assert row.kind == "staff" and row.staff_user_id == user.id and row.contact_id is None
    hours = get_settings().staff_session_hours
    assert row.expires_at - utcnow() <= timedelta(hours=hours)
    # Only the hash is stored; the cookie gets a token through the handoff.
    assert row.token_hash != opened.token
    actor = staff_auth.resolve_staff_actor(session, token=opened.token)
    assert actor is not None
    assert (actor.company_id, actor.staff_user_id, actor.role) == (
        user.company_id,
        user.id,
        "admin",
    )
    assert actor.may("edit_settings")
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.company_id == user.company_id)
    ).all()
    assert "staff_signed_in" in actions


def test_wrong_password_unknown_email_and_inactive_user_get_one_message(make, session):
    user = _staff(make)
    inactive = _staff(make, is_active=False)
    messages = set()
    for email, password in (
        (user.email, "wrong-password-123"),
        (f"nobody-{uuid.uuid4().hex}@example.test", TEST_PASSWORD),
        (inactive.email, TEST_PASSWORD),
    ):
        with pytest.raises(AuthError) as caught:
            staff_auth.sign_in_staff(session, email=email, password=password, ip=_ip())
        messages.add(str(caught.value))
    assert messages == {auth.GENERIC_LOGIN_ERROR}


def test_staff_sign_in_is_throttled(make, session):
    user = _staff(make)
    ip = _ip()
    for _ in range(get_settings().login_max_failures):
        with pytest.raises(AuthError):
            staff_auth.sign_in_staff(session, email=user.email, password="wrong-one-0000", ip=ip)
    with pytest.raises(ThrottledError):
        staff_auth.sign_in_staff(session, email=user.email, password=TEST_PASSWORD, ip=ip)


def test_staff_success_clears_only_the_account_count(make, session):
    limit = get_settings().login_max_failures
    own = _staff(make)
    ip = _ip()
    for _ in range(limit - 1):
        with pytest.raises(AuthError) as caught:
            staff_auth.sign_in_staff(session, email=_nobody(), password="wrong-one-0000", ip=ip)
        assert type(caught.value) is AuthError
    # Signing in to its own account clears that account's count, not the address's.
    assert staff_auth.sign_in_staff(session, email=own.email, password=TEST_PASSWORD, ip=ip)
    with pytest.raises(AuthError) as caught:
        staff_auth.sign_in_staff(session, email=_nobody(), password="wrong-one-0000", ip=ip)
    assert type(caught.value) is AuthError
    with pytest.raises(ThrottledError):
        staff_auth.sign_in_staff(session, email=_nobody(), password="wrong-one-0000", ip=ip)
    # The account itself is fine from another address.
    assert staff_auth.sign_in_staff(session, email=own.email, password=TEST_PASSWORD, ip=_ip())


def test_parallel_staff_guesses_check_no_more_passwords_than_the_limit(engine, monkeypatch):
    checks = Counter()
    real_verify = signin.verify_password

    def counting_verify(password, password_hash):
        checks.add()
        return real_verify(password, password_hash)

    # The shared password check (services/identity/signin.py) is what both sides run.
    monkeypatch.setattr(signin, "verify_password", counting_verify)
    ip = _ip()

    def attempt(_i: int) -> str:
        with Session(engine) as db:
            try:
                staff_auth.authenticate_staff(db, email=_nobody(), password="wrong-one-0000", ip=ip)
            except ThrottledError:
                return "throttled"
            except AuthError:
                return "wrong"
        return "signed in"

    outcomes = in_parallel(40, attempt)
    assert checks.value <= get_settings().login_max_failures
    assert outcomes.count("throttled") == 40 - checks.value


def _nobody() -> str:
    return f"nobody-{uuid.uuid4().hex}@example.test"


def test_a_client_token_never_resolves_as_staff_and_the_reverse(make, session):
    contact = make.contact(make.client(make.company()))
    client_session = auth.open_session(
        session, contact=contact, kind="password", lifetime=timedelta(hours=1), binding=BINDING
    )
    user = _staff(make)
    staff_session = staff_auth.open_staff_session(session, user=user, binding=BINDING)
    assert staff_auth.resolve_staff_actor(session, token=client_session.token) is None
    assert auth.resolve_actor(session, token=staff_session.token) is None
    assert staff_auth.resolve_staff_actor(session, token=staff_session.token) is not None
    # Handoff codes land only in their own cookie.
    staff_code, client_code = staff_session.handoff_code, client_session.handoff_code
    assert auth.redeem_handoff(session, code=staff_code, binding=BINDING) is None
    assert auth.redeem_handoff(session, code=client_code, binding=BINDING, staff=True) is None
    # A staff code goes only to the browser holding its binding, too.
    assert auth.redeem_handoff(session, code=staff_code, binding=new_binding(), staff=True) is None
    assert auth.redeem_handoff(session, code=staff_code, binding=BINDING, staff=True) is not None
    assert auth.redeem_handoff(session, code=client_code, binding=BINDING) is not None


def test_expired_revoked_deactivated_and_garbage_tokens_resolve_to_nothing(make, session):
    user = _staff(make)
    expired = staff_auth.open_staff_session(session, user=user)
    session.get(AuthSession, expired.session_id).expires_at = utcnow() - timedelta(seconds=1)
    revoked = staff_auth.open_staff_session(session, user=user)
    assert staff_auth.sign_out_staff(session, token=revoked.token)
    assert not staff_auth.sign_out_staff(session, token=revoked.token)
    for token in (expired.token, revoked.token, None, "", "x", "a" * 5000, "' OR 1=1 --"):
        assert staff_auth.resolve_staff_actor(session, token=token) is None
    live = staff_auth.open_staff_session(session, user=user)
    user.is_active = False
    session.add(user)
    assert staff_auth.resolve_staff_actor(session, token=live.token) is None


def test_staff_sign_out_ends_the_previews_it_opened(make, session):
    company = make.company()
    contact = make.contact(make.client(company))
    user = add_staff(session, company, password_hash=_HASH)
    console = staff_auth.open_staff_session(session, user=user)
    preview = auth.open_session(
        session,
        contact=contact,
        kind="staff_preview",
        lifetime=timedelta(minutes=30),
        staff_user_id=user.id,
    )
    assert auth.resolve_actor(session, token=preview.token).is_preview
    staff_auth.sign_out_staff(session, token=console.token)
    assert auth.resolve_actor(session, token=preview.token) is None


def test_a_preview_without_an_active_staff_user_resolves_to_nothing(make, session):
    company = make.company()
    contact = make.contact(make.client(company))
    orphan = auth.open_session(
        session, contact=contact, kind="staff_preview", lifetime=timedelta(minutes=30)
    )
    assert auth.resolve_actor(session, token=orphan.token) is None
    # A staff user of another company cannot stand behind a preview here.
    stranger = _staff(make)
    foreign = auth.open_session(
        session,
        contact=contact,
        kind="staff_preview",
        lifetime=timedelta(minutes=30),
        staff_user_id=stranger.id,
    )
    assert auth.resolve_actor(session, token=foreign.token) is None


def test_only_owner_and_admin_may_change_settings(make, session):
    for role, allowed in (("owner", True), ("admin", True), ("staff", False)):
        user = _staff(make, role=role)
        opened = staff_auth.open_staff_session(session, user=user)
        actor = staff_auth.resolve_staff_actor(session, token=opened.token)
        if allowed:
            require_role(actor, StaffAction.EDIT_SETTINGS)
        else:
            with pytest.raises(ReadOnlyError):
                require_role(actor, StaffAction.EDIT_SETTINGS)


def test_staff_identity_names_the_user_and_company(make, session):
    user = _staff(make, name="Robin Root")
    opened = staff_auth.open_staff_session(session, user=user)
    actor = staff_auth.resolve_staff_actor(session, token=opened.token)
    identity = staff_auth.staff_identity(session, actor=actor)
    assert identity.name == "Robin Root" and identity.role == "owner"
    assert identity.company_name.startswith("Company ")


def test_staff_identity_lists_only_the_enabled_modules(make, session):
    from portal_app.models import Company

    user = _staff(make)
    company = session.get(Company, user.company_id)
    company.enabled_modules = "invoices,credits,not-a-module"
    session.add(company)
    session.flush()
    opened = staff_auth.open_staff_session(session, user=user)
    actor = staff_auth.resolve_staff_actor(session, token=opened.token)

    identity = staff_auth.staff_identity(session, actor=actor)

    assert identity.enabled_modules == ["invoices", "credits"]
