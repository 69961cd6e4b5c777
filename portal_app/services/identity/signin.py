"""What client and staff sign-in share: the throttled password check, the session row with
its hashed token and browser-bound handoff code, the lookup by token, and revocation.

Both sides keep their sessions in AuthSession: a staff console session is of kind "staff",
every other kind (password, link, code, staff_preview) opens the client portal. `opens_side`
is the one rule that keeps a token of one side from opening the other; services/auth.py and
services/staff_auth.py say who signs in (a `SignInSide`) and what a session means there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session, select

from portal_app.core.db import utcnow
from portal_app.core.errors import AuthError, ThrottledError
from portal_app.core.i18n import N_
from portal_app.core.tokens import looks_like_token, new_token, token_hash
from portal_app.models import AuthSession, SessionKind
from portal_app.services.identity import audit, signin_binding, throttle
from portal_app.services.identity.passwords import verify_password

HANDOFF_SECONDS = 60
# English msgids: the sign-in page shows them translated (state/sign_in_form.py).
GENERIC_LOGIN_ERROR = N_("The e-mail address or password is not right.")
THROTTLED_ERROR = N_("Too many failed attempts. Wait a few minutes and try again.")
STAFF_KIND = SessionKind.STAFF


def normalize_email(email: str) -> str:
    """The form of an e-mail address that accounts are stored and looked up under."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class SignInSide:
    """Who signs in with a password on one side of the portal.

    `model` is ClientContact or StaffUser (rows with email, password_hash, company_id),
    `may_sign_in` whether a row whose password matched may sign in at all, `client_id_of`
    the client a failed attempt is audited under (None for staff).
    """

    model: Any
    throttle_scope: str
    failed_action: str
    actor_type: str
    may_sign_in: Callable[[Any], bool]
    client_id_of: Callable[[Any], int | None]


def authenticate(session: Session, side: SignInSide, *, email: str, password: str, ip: str) -> Any:
    """The `side` account whose e-mail and password these are, with throttling; ThrottledError
    when over the limit, AuthError (one message for every reason) when wrong."""
    email = normalize_email(email)
    # Counted before the (slow) password check, so parallel attempts cannot outrun the count.
    if not throttle.allow_attempt(side.throttle_scope, email, ip):
        raise ThrottledError(THROTTLED_ERROR)
    # The same address may be an account in several companies (unique per company only):
    # sign in to the first one, by id, whose password matches.
    candidates = session.exec(
        select(side.model).where(side.model.email == email).order_by(side.model.id)
    ).all()
    account = None
    for candidate in candidates:
        # The password first: a disabled account costs the same hash as an enabled one.
        if verify_password(password, candidate.password_hash) and side.may_sign_in(candidate):
            account = candidate
            break
    if not candidates:
        # verify_password spends the same time when the address is unknown.
        verify_password(password, None)
    if account is None:
        for candidate in candidates:
            audit.record(
                session,
                company_id=candidate.company_id,
                client_id=side.client_id_of(candidate),
                action=side.failed_action,
                actor_type=side.actor_type,
                actor_id=candidate.id,
                ip=ip,
            )
        raise AuthError(GENERIC_LOGIN_ERROR)
    throttle.attempt_succeeded(side.throttle_scope, email, ip)
    return account


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """A session row just added (and flushed), its cookie token and its handoff code."""

    row: AuthSession
    token: str
    handoff_code: str


@dataclass(frozen=True, slots=True)
class AuditAs:
    """Whom the audit trail names for something done to a session, and under which client."""

    actor_type: str
    actor_id: int | None
    client_id: int | None = None


def open_session(
    session: Session,
    *,
    company_id: int,
    kind: SessionKind | str,
    lifetime: timedelta,
    action: str,
    audit_as: AuditAs,
    ip: str = "",
    user_agent: str = "",
    binding: str | None = None,
    contact_id: int | None = None,
    staff_user_id: int | None = None,
    invitation_id: int | None = None,
) -> OpenedSession:
    """Add a session row of `kind` that lasts `lifetime`, audited as `action`; return it with
    its token and a handoff code only the browser holding `binding` can redeem ("" without)."""
    token = new_token()
    handoff_code, handoff_hash, handoff_expires_at = bound_handoff(binding)
    now = utcnow()
    row = AuthSession(
        company_id=company_id,
        token_hash=token_hash(token),
        kind=SessionKind(kind),
        contact_id=contact_id,
        invitation_id=invitation_id,
        staff_user_id=staff_user_id,
        handoff_hash=handoff_hash,
        handoff_expires_at=handoff_expires_at,
        expires_at=now + lifetime,
        ip=ip[:64],
        user_agent=user_agent[:300],
        created_at=now,
    )
    session.add(row)
    session.flush()
    record(session, row, action=action, audit_as=audit_as, ip=ip)
    return OpenedSession(row=row, token=token, handoff_code=handoff_code)


def bound_handoff(binding: str | None) -> tuple[str, str | None, datetime | None]:
    """A handoff code for the browser holding `binding`, what to store for it, its expiry;
    ("", None, None) without a binding."""
    if binding is None:
        return "", None, None
    code = new_token()
    expires_at = utcnow() + timedelta(seconds=HANDOFF_SECONDS)
    return code, signin_binding.bound_handoff_hash(code, binding), expires_at


def redeem_handoff(
    session: Session, *, code: str, binding: str | None, staff: bool
) -> tuple[str, AuthSession] | None:
    """Swap a one-time handoff code for a fresh cookie token; None when unknown or used.

    `binding` is the sign-in binding cookie of the request: a code made for another browser
    (or with no binding) finds nothing, and stays usable by the browser it was made for.
    `staff` picks the cookie being set: a staff session never lands in the client cookie
    and a client (or preview) session never in the staff cookie.
    """
    if not looks_like_token(code) or binding is None or not signin_binding.is_live(binding):
        return None
    row = session.exec(
        select(AuthSession).where(
            AuthSession.handoff_hash == signin_binding.bound_handoff_hash(code, binding)
        )
    ).first()
    if row is None or not is_live(row) or not opens_side(row.kind, staff=staff):
        return None
    if row.handoff_expires_at is None or row.handoff_expires_at < utcnow():
        return None
    # The handoff code travelled in a URL, so the cookie gets a token that never did.
    token = new_token()
    row.token_hash = token_hash(token)
    row.handoff_hash = None
    row.handoff_expires_at = None
    session.add(row)
    return token, row


def opens_side(kind: str, *, staff: bool) -> bool:
    """Whether a session of `kind` belongs to the staff console (`staff`) or the client portal:
    a staff session never opens the portal and no client kind opens the console."""
    return (kind == STAFF_KIND) == staff


class _Lifetime(Protocol):
    revoked_at: datetime | None
    expires_at: datetime


def is_live(row: _Lifetime) -> bool:
    """Whether a session (a row or a selected row with the two columns) is neither revoked
    nor expired."""
    return row.revoked_at is None and not row.expires_at < utcnow()


def session_row(session: Session, token: str | None) -> AuthSession | None:
    """The session row behind a cookie token, live or not; None for a missing or malformed
    token (no query) or an unknown one."""
    if not token or not looks_like_token(token):
        return None
    return session.exec(
        select(AuthSession).where(AuthSession.token_hash == token_hash(token))
    ).first()


def revoke(
    session: Session,
    *,
    token: str | None,
    kind: SessionKind | None = None,
    at: datetime | None = None,
) -> AuthSession | None:
    """Revoke the session behind a token (only one of `kind` when given) as of `at` (now);
    the row, or None when no such session was open. An expired one is revoked too."""
    row = session_row(session, token)
    if row is None or row.revoked_at is not None:
        return None
    if kind is not None and row.kind != kind:
        return None
    row.revoked_at = at or utcnow()
    session.add(row)
    return row


def revoke_contact_sessions(
    session: Session,
    *,
    contact_id: int,
    keep_session_id: int | None = None,
    at: datetime | None = None,
) -> int:
    """Revoke every open session of a contact (all kinds, e-mailed links and previews too)
    but `keep_session_id`; how many were revoked. The session check reads the table on every
    event, so a revoked tab is signed out at its next click."""
    query = select(AuthSession).where(
        AuthSession.contact_id == contact_id,
        AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
    )
    if keep_session_id is not None:
        query = query.where(AuthSession.id != keep_session_id)
    rows = session.exec(query).all()
    at = at or utcnow()
    for row in rows:
        row.revoked_at = at
        session.add(row)
    return len(rows)


def record(
    session: Session,
    row: AuthSession,
    *,
    action: str,
    audit_as: AuditAs,
    ip: str = "",
    details: dict | None = None,
) -> None:
    """Audit `action` done to the session `row`."""
    audit.record(
        session,
        company_id=row.company_id,
        client_id=audit_as.client_id,
        action=action,
        actor_type=audit_as.actor_type,
        actor_id=audit_as.actor_id,
        entity_type="session",
        entity_id=row.id,
        ip=ip,
        details=details,
    )
