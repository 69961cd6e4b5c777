"""Client sign-in, sessions and sign-out."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select

from portal_app.branding import safe_color
from portal_app.core.db import utcnow
from portal_app.core.errors import AuthError
from portal_app.core.i18n import N_
from portal_app.core.routes import DEFAULT_LOGO
from portal_app.core.settings import get_settings
from portal_app.core.tokens import looks_like_token, token_hash
from portal_app.models import (
    AuthSession,
    Client,
    ClientContact,
    Company,
    Invitation,
    StaffUser,
)
from portal_app.models.company import parse_modules
from portal_app.services.identity import link_scope, session_cache, session_memo, signin
from portal_app.services.identity.actor import Actor

# Known from here to their callers (registration, password reset, staff_clients, tests).
from portal_app.services.identity.signin import GENERIC_LOGIN_ERROR as GENERIC_LOGIN_ERROR
from portal_app.services.identity.signin import HANDOFF_SECONDS as HANDOFF_SECONDS
from portal_app.services.identity.signin import THROTTLED_ERROR as THROTTLED_ERROR
from portal_app.services.identity.signin import normalize_email as normalize_email

THROTTLE_SCOPE = "client_login"
CODES_ONLY_ERROR = N_('This portal signs in with e-mailed codes: choose "E-mail me a code".')
# The contact chose codes only for themselves (/client/profile).
CONTACT_CODES_ONLY_ERROR = N_(
    'Your account signs in with e-mailed codes: choose "E-mail me a code".'
)

CONTACTS = signin.SignInSide(
    model=ClientContact,
    throttle_scope=THROTTLE_SCOPE,
    failed_action="login_failed",
    actor_type="contact",
    may_sign_in=lambda contact: contact.portal_enabled,
    client_id_of=lambda contact: contact.client_id,
)


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just opened: the cookie token and a one-time handoff code for it.

    `handoff_code` is "" when the session was opened without a browser binding: then no
    browser can receive it (see services/signin_binding.py).
    """

    session_id: int
    token: str
    handoff_code: str
    contact_id: int


def authenticate_contact(session: Session, *, email: str, password: str, ip: str) -> ClientContact:
    """Check a contact's e-mail and password, with throttling; raise AuthError when wrong."""
    return signin.authenticate(session, CONTACTS, email=email, password=password, ip=ip)


def open_session(
    session: Session,
    *,
    contact: ClientContact,
    kind: str,
    lifetime: timedelta,
    ip: str = "",
    user_agent: str = "",
    invitation_id: int | None = None,
    staff_user_id: int | None = None,
    binding: str | None = None,
) -> NewSession:
    """Create a server-side session row for a contact; return its token and handoff code.

    `staff_user_id` names the staff user behind a "staff_preview" session (audited as theirs).
    `binding` is the sign-in binding cookie of the browser that asked: only a request carrying
    it can redeem the handoff code. Without one the session gets no handoff code at all.
    """
    opened = signin.open_session(
        session,
        company_id=contact.company_id,
        kind=kind,
        lifetime=lifetime,
        action=f"session_opened_{kind}",
        audit_as=signin.AuditAs(
            actor_type="staff" if staff_user_id is not None else "contact",
            actor_id=staff_user_id if staff_user_id is not None else contact.id,
            client_id=contact.client_id,
        ),
        ip=ip,
        user_agent=user_agent,
        binding=binding,
        contact_id=contact.id,
        staff_user_id=staff_user_id,
        invitation_id=invitation_id,
    )
    if kind == "password":
        contact.last_login_at = opened.row.created_at
        session.add(contact)
    return NewSession(
        session_id=opened.row.id,
        token=opened.token,
        handoff_code=opened.handoff_code,
        contact_id=contact.id,
    )


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str = "",
    user_agent: str = "",
    binding: str | None = None,
) -> NewSession:
    """Authenticate by password and open a session of kind "password" whose handoff code
    only the browser holding `binding` can redeem."""
    contact = authenticate_contact(session, email=email, password=password, ip=ip)
    company = session.get(Company, contact.company_id)
    if company is not None and company.codes_only:
        # Said only after the right password, so it tells nobody else which accounts exist.
        raise AuthError(CODES_ONLY_ERROR)
    if contact.codes_only:
        raise AuthError(CONTACT_CODES_ONLY_ERROR)
    return open_session(
        session,
        contact=contact,
        kind="password",
        lifetime=timedelta(hours=get_settings().session_hours),
        ip=ip,
        user_agent=user_agent,
        binding=binding,
    )


def redeem_handoff(
    session: Session, *, code: str, binding: str | None, staff: bool = False
) -> tuple[str, AuthSession] | None:
    """Swap a one-time handoff code for a fresh cookie token; None when unknown or used.

    `binding` is the sign-in binding cookie of the request: a code made for another browser
    (or with no binding) finds nothing, and stays usable by the browser it was made for.
    `staff` picks the cookie being set: a staff session never lands in the client cookie
    and a client (or preview) session never in the staff cookie.
    """
    return signin.redeem_handoff(session, code=code, binding=binding, staff=staff)


# One query for the session and its contact: every event of a signed-in page runs it. Built
# once, so an event pays neither building the statement nor SQLAlchemy's cache key for it.
_ACTOR_QUERY = (
    select(
        AuthSession.id,
        AuthSession.kind,
        AuthSession.company_id,
        AuthSession.staff_user_id,
        AuthSession.revoked_at,
        AuthSession.expires_at,
        ClientContact.id.label("contact_id"),
        ClientContact.client_id,
        ClientContact.portal_enabled,
        ClientContact.company_id.label("contact_company_id"),
        Client.locale.label("client_locale"),
        Company.locale.label("company_locale"),
        Company.enabled_modules,
        # What an e-mailed-link session is limited to (services/link_scope.py).
        Invitation.entity_type.label("link_type"),
        Invitation.entity_id.label("link_id"),
    )
    .join(ClientContact, col(ClientContact.id) == AuthSession.contact_id)
    .join(Client, col(Client.id) == ClientContact.client_id)
    .join(Company, col(Company.id) == AuthSession.company_id)
    .outerjoin(Invitation, col(Invitation.id) == AuthSession.invitation_id)
    .where(AuthSession.token_hash == bindparam("token_hash"))
)


def resolve_actor(session: Session, *, token: str | None, ip: str = "") -> Actor | None:
    """The contact behind a cookie token, or None when missing, expired, revoked or disabled.

    A live check is kept in the worker (services/identity/session_cache.py) until a change
    that could end a session is announced; expiry is checked on every use."""
    if not token or not looks_like_token(token):
        return None
    hashed = token_hash(token)
    fresh = session_cache.may_keep(session)
    # Read the change channel before the query: a change committed after the query's
    # snapshot is announced later, and ends what the query keeps.
    generation = session_cache.current_generation()
    kept = session_cache.lookup(session, hashed, generation, utcnow())
    if kept is None:
        kept = _check_session(session, hashed)
        if kept is None:
            return None
        if generation is not None and fresh and kept.actor.kind != "staff_preview":
            session_cache.keep(hashed, kept, generation)
    actor = kept.actor
    # The services of this event ask for these next (see services/session_memo.py).
    session_memo.remember(session, "modules", actor.company_id, kept.modules)
    session_memo.remember(session, "locale", actor.client_id, kept.locale)
    return replace(actor, ip=ip)


def _check_session(session: Session, hashed: str) -> session_cache.Kept | None:
    """The session check against the database: the live session of an enabled contact."""
    row = session.exec(_ACTOR_QUERY, params={"token_hash": hashed}).first()
    if row is None or not signin.is_live(row) or not signin.opens_side(row.kind, staff=False):
        return None
    if row.kind == "staff_preview" and not _preview_staff_active(session, row):
        return None
    if not row.portal_enabled or row.contact_company_id != row.company_id:
        return None
    return session_cache.Kept(
        actor=Actor(
            company_id=row.company_id,
            client_id=row.client_id,
            contact_id=row.contact_id,
            session_id=row.id,
            kind=row.kind,
            link_type=(row.link_type or "") if row.kind == "link" else "",
            link_id=(row.link_id or 0) if row.kind == "link" else 0,
        ),
        modules=parse_modules(row.enabled_modules),
        locale=row.client_locale or row.company_locale,
        expires_at=row.expires_at,
        stored_at=time.monotonic(),
    )


def _preview_staff_active(session: Session, row) -> bool:
    """A preview lives only as long as the staff user behind it is active in that company."""
    staff = session.get(StaffUser, row.staff_user_id) if row.staff_user_id else None
    return staff is not None and staff.is_active and staff.company_id == row.company_id


def sign_out(session: Session, *, token: str | None) -> bool:
    """Revoke the session behind a token; True when one was open."""
    row = signin.revoke(session, token=token)
    if row is None:
        return False
    if row.contact_id is not None:
        contact = session.get(ClientContact, row.contact_id)
        signin.record(
            session,
            row,
            action="signed_out",
            audit_as=signin.AuditAs(
                actor_type="contact",
                actor_id=row.contact_id,
                client_id=contact.client_id if contact else None,
            ),
        )
    return True


@dataclass(frozen=True, slots=True)
class PortalIdentity:
    """What the portal shell shows about who is signed in."""

    contact_name: str
    contact_email: str
    client_name: str
    company_name: str
    company_logo_url: str
    primary_color: str
    locale: str
    enabled_modules: list[str]
    session_kind: str
    # What decides the portal's language (core.i18n.choose_language): the contact's own
    # choice (None: none made) and the company's locale.
    contact_language: str | None = None
    company_locale: str = "en_US"


def portal_identity(session: Session, *, actor: Actor) -> PortalIdentity:
    """Names, branding and enabled modules for the shell of a signed-in contact."""
    contact = session.get(ClientContact, actor.contact_id)
    client = session.get(Client, actor.client_id)
    company = session.get(Company, actor.company_id)
    if contact is None or client is None or company is None:
        raise AuthError()
    return PortalIdentity(
        contact_name=contact.display_name,
        contact_email=contact.email,
        client_name=client.name,
        company_name=company.name,
        company_logo_url=company.logo_path or DEFAULT_LOGO,
        # Re-checked: the page puts it in CSS, and the column is only validated by the form.
        primary_color=safe_color(company.primary_color),
        locale=client.locale or company.locale,
        # An e-mailed-link session's navigation offers only what its link opens.
        enabled_modules=[
            module
            for module in company.module_list()
            if not actor.is_link_session or module in link_scope.LINK_MODULES
        ],
        session_kind=actor.kind,
        contact_language=contact.language,
        company_locale=company.locale,
    )


def is_first_sign_in(session: Session, *, actor: Actor) -> bool:
    """Whether this session is the contact's first sign-in (password or code; e-mailed links
    and staff previews are not signing in), so the dashboard does not say "Welcome back"."""
    if actor.is_preview:
        return False
    signed_in = session.exec(
        select(func.count())
        .select_from(AuthSession)
        .where(
            AuthSession.contact_id == actor.contact_id,
            col(AuthSession.kind).in_(("password", "code")),
        )
    ).one()
    return signed_in <= 1
