"""Staff sign-in, staff sessions and sign-out.

Staff sessions are AuthSession rows of kind "staff" (staff_user_id set, no contact) carried
in their own cookie (settings.staff_session_cookie_name). services.auth.resolve_actor refuses
them and resolve_staff_actor here refuses every client kind, so neither cookie opens the
other side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from portal_app.core.db import utcnow
from portal_app.core.errors import AuthError, ReadOnlyError, ThrottledError
from portal_app.core.settings import get_settings
from portal_app.core.tokens import looks_like_token, new_token, token_hash
from portal_app.models import AuthSession, Company, StaffUser
from portal_app.services.identity import audit, throttle
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.auth import GENERIC_LOGIN_ERROR, THROTTLED_ERROR, _bound_handoff
from portal_app.services.identity.auth import normalize_email as normalize_email
from portal_app.services.identity.passwords import verify_password

STAFF_KIND = "staff"
THROTTLE_SCOPE = "staff_login"


@dataclass(frozen=True, slots=True)
class NewStaffSession:
    """A staff session just opened: the cookie token and a one-time handoff code for it."""

    session_id: int
    token: str
    handoff_code: str
    staff_user_id: int


def authenticate_staff(session: Session, *, email: str, password: str, ip: str) -> StaffUser:
    """Check a staff user's e-mail and password, with throttling; raise AuthError when wrong."""
    email = normalize_email(email)
    # Counted before the (slow) password check, so parallel attempts cannot outrun the count.
    if not throttle.allow_attempt(THROTTLE_SCOPE, email, ip):
        raise ThrottledError(THROTTLED_ERROR)
    candidates = session.exec(
        select(StaffUser).where(StaffUser.email == email).order_by(StaffUser.id)
    ).all()
    user = None
    for candidate in candidates:
        if verify_password(password, candidate.password_hash) and candidate.is_active:
            user = candidate
            break
    if not candidates:
        # verify_password spends the same time when the address is unknown.
        verify_password(password, None)
    if user is None:
        for candidate in candidates:
            audit.record(
                session,
                company_id=candidate.company_id,
                action="staff_login_failed",
                actor_type="staff",
                actor_id=candidate.id,
                ip=ip,
            )
        raise AuthError(GENERIC_LOGIN_ERROR)
    throttle.attempt_succeeded(THROTTLE_SCOPE, email, ip)
    return user


def open_staff_session(
    session: Session,
    *,
    user: StaffUser,
    ip: str = "",
    user_agent: str = "",
    binding: str | None = None,
) -> NewStaffSession:
    """Create a staff session row; return its token and the one-time handoff code, which only
    the browser holding the sign-in `binding` can redeem ("" without a binding)."""
    token = new_token()
    handoff, handoff_hash, handoff_expires_at = _bound_handoff(binding)
    now = utcnow()
    row = AuthSession(
        company_id=user.company_id,
        token_hash=token_hash(token),
        kind=STAFF_KIND,
        staff_user_id=user.id,
        handoff_hash=handoff_hash,
        handoff_expires_at=handoff_expires_at,
        expires_at=now + timedelta(hours=get_settings().staff_session_hours),
        ip=ip[:64],
        user_agent=user_agent[:300],
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        company_id=user.company_id,
        action="staff_signed_in",
        actor_type="staff",
        actor_id=user.id,
        entity_type="session",
        entity_id=row.id,
        ip=ip,
    )
    return NewStaffSession(
        session_id=row.id, token=token, handoff_code=handoff, staff_user_id=user.id
    )


def sign_in_staff(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str = "",
    user_agent: str = "",
    binding: str | None = None,
) -> NewStaffSession:
    """Authenticate a staff user by password and open a staff session for the browser
    holding the sign-in `binding`."""
    user = authenticate_staff(session, email=email, password=password, ip=ip)
    return open_staff_session(session, user=user, ip=ip, user_agent=user_agent, binding=binding)


def _row_for(session: Session, token: str | None) -> AuthSession | None:
    if not token or not looks_like_token(token):
        return None
    return session.exec(
        select(AuthSession).where(AuthSession.token_hash == token_hash(token))
    ).first()


def resolve_staff_actor(session: Session, *, token: str | None, ip: str = "") -> StaffActor | None:
    """The staff user behind a staff cookie token, or None (client kinds never resolve)."""
    row = _row_for(session, token)
    if row is None or row.revoked_at is not None or row.expires_at < utcnow():
        return None
    if row.kind != STAFF_KIND or row.staff_user_id is None or row.contact_id is not None:
        return None
    user = session.get(StaffUser, row.staff_user_id)
    if user is None or not user.is_active or user.company_id != row.company_id:
        return None
    return StaffActor(
        company_id=row.company_id,
        staff_user_id=user.id,
        role=user.role,
        session_id=row.id,
        ip=ip,
    )


def sign_out_staff(session: Session, *, token: str | None) -> bool:
    """Revoke a staff session and the previews it opened; True when one was open."""
    row = _row_for(session, token)
    if row is None or row.revoked_at is not None or row.kind != STAFF_KIND:
        return False
    now = utcnow()
    row.revoked_at = now
    session.add(row)
    # A preview opened from this console ends with it.
    previews = session.exec(
        select(AuthSession).where(
            AuthSession.kind == "staff_preview",
            AuthSession.staff_user_id == row.staff_user_id,
            AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
            AuthSession.expires_at > now,
        )
    ).all()
    for preview in previews:
        preview.revoked_at = now
        session.add(preview)
    audit.record(
        session,
        company_id=row.company_id,
        action="staff_signed_out",
        actor_type="staff",
        actor_id=row.staff_user_id,
        entity_type="session",
        entity_id=row.id,
        details={"previews_ended": len(previews)},
    )
    return True


@dataclass(frozen=True, slots=True)
class StaffIdentity:
    """What the staff shell shows about who is signed in."""

    name: str
    email: str
    role: str
    company_name: str
    company_logo_url: str
    primary_color: str
    enabled_modules: list[str]


def staff_identity(session: Session, *, actor: StaffActor) -> StaffIdentity:
    """Names, branding and enabled modules for the staff shell of a signed-in staff user."""
    user = session.get(StaffUser, actor.staff_user_id)
    company = session.get(Company, actor.company_id)
    if user is None or company is None:
        raise AuthError("session no longer valid")
    return StaffIdentity(
        name=user.name or user.email,
        email=user.email,
        role=user.role,
        company_name=company.name,
        company_logo_url=company.logo_path or "/logo.png",
        primary_color=company.primary_color,
        enabled_modules=company.module_list(),
    )


def require_admin(actor: StaffActor) -> None:
    """ReadOnlyError unless the staff user is an owner or admin."""
    if not actor.may_change_settings:
        raise ReadOnlyError("Only an owner or admin may change this.")
