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
from portal_app.core.errors import AuthError
from portal_app.core.routes import DEFAULT_LOGO
from portal_app.core.settings import get_settings
from portal_app.models import AuthSession, Company, StaffUser
from portal_app.services.identity import signin
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.signin import STAFF_KIND as STAFF_KIND
from portal_app.services.identity.signin import normalize_email as normalize_email

THROTTLE_SCOPE = "staff_login"

STAFF = signin.SignInSide(
    model=StaffUser,
    throttle_scope=THROTTLE_SCOPE,
    failed_action="staff_login_failed",
    actor_type="staff",
    may_sign_in=lambda user: user.is_active,
    client_id_of=lambda _user: None,
)


@dataclass(frozen=True, slots=True)
class NewStaffSession:
    """A staff session just opened: the cookie token and a one-time handoff code for it."""

    session_id: int
    token: str
    handoff_code: str
    staff_user_id: int


def authenticate_staff(session: Session, *, email: str, password: str, ip: str) -> StaffUser:
    """Check a staff user's e-mail and password, with throttling; raise AuthError when wrong."""
    return signin.authenticate(session, STAFF, email=email, password=password, ip=ip)


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
    opened = signin.open_session(
        session,
        company_id=user.company_id,
        kind=STAFF_KIND,
        lifetime=timedelta(hours=get_settings().staff_session_hours),
        action="staff_signed_in",
        audit_as=signin.AuditAs(actor_type="staff", actor_id=user.id),
        ip=ip,
        user_agent=user_agent,
        binding=binding,
        staff_user_id=user.id,
    )
    return NewStaffSession(
        session_id=opened.row.id,
        token=opened.token,
        handoff_code=opened.handoff_code,
        staff_user_id=user.id,
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


def resolve_staff_actor(session: Session, *, token: str | None, ip: str = "") -> StaffActor | None:
    """The staff user behind a staff cookie token, or None (client kinds never resolve)."""
    row = signin.session_row(session, token)
    if row is None or not signin.is_live(row) or not signin.opens_side(row.kind, staff=True):
        return None
    if row.staff_user_id is None or row.contact_id is not None:
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
    now = utcnow()
    row = signin.revoke(session, token=token, kind=STAFF_KIND, at=now)
    if row is None:
        return False
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
    signin.record(
        session,
        row,
        action="staff_signed_out",
        audit_as=signin.AuditAs(actor_type="staff", actor_id=row.staff_user_id),
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
    # The console language the staff user chose (None: their browser's, else the company's).
    language: str | None = None
    company_locale: str = "en_US"


def staff_identity(session: Session, *, actor: StaffActor) -> StaffIdentity:
    """Names, branding and enabled modules for the staff shell of a signed-in staff user."""
    user = session.get(StaffUser, actor.staff_user_id)
    company = session.get(Company, actor.company_id)
    if user is None or company is None:
        raise AuthError()
    return StaffIdentity(
        name=user.name or user.email,
        email=user.email,
        role=user.role,
        company_name=company.name,
        company_logo_url=company.logo_path or DEFAULT_LOGO,
        primary_color=company.primary_color,
        enabled_modules=company.module_list(),
        language=user.language,
        company_locale=company.locale,
    )
