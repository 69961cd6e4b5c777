"""Client sign-in by an e-mailed one-time code: six digits, ten minutes, used once.

A request e-mails each enabled contact with that address (one per company) a fresh code
through the outbox, in the caller's transaction; an earlier code of that contact stops
working. Only a keyed hash of the code is stored (HMAC with the app's secret and the contact's
id): a copied table does not give codes away even though six digits are few.

Both the request and every guess are counted by services/identity/throttle.py before anything
is looked up, per e-mail address and per client address, like passwords. A request for an
unknown or disabled address does the same work, sends nothing and gets the same answer
(NEUTRAL_MESSAGE). Each wrong guess counts against every live code of that address; after
MAX_WRONG_GUESSES a code is burnt even when the throttle's window has moved on.

A code session (kind "code") is a full session: it is also the step-up for an e-mailed-link
session that wants the whole account (services/identity/link_scope.py).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import AuthError, ThrottledError
from portal_app.core.i18n import N_
from portal_app.core.settings import get_settings
from portal_app.models import ClientContact, Company, SessionKind, SignInCode
from portal_app.services.identity import audit, auth, throttle
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.signin import THROTTLED_ERROR, normalize_email
from portal_app.services.mail import outbox

CODE_MINUTES = 10
CODE_DIGITS = 6
MAX_WRONG_GUESSES = 5
REQUEST_SCOPE = "client_code_request"
GUESS_SCOPE = "client_code"
# English msgids, shown translated by the sign-in page; NEUTRAL_MESSAGE % {"minutes": CODE_MINUTES}.
NEUTRAL_MESSAGE = N_(
    "If that e-mail address belongs to a portal account, we have sent it a sign-in code. "
    "It works once, for %(minutes)d minutes."
)
WRONG_CODE_ERROR = N_(
    "That code is not right or has expired. Check the e-mail or ask for a new code."
)
_CODE_SHAPE = re.compile(rf"\d{{{CODE_DIGITS}}}")


def _code_hash(contact_id: int, code: str) -> str:
    """What is stored for `code` sent to contact `contact_id`: a keyed sha256."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"signin-code:{contact_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _code_email(contact: ClientContact, company: Company | None, code: str) -> dict[str, str]:
    """Subject, plain text and HTML of the code e-mail."""
    company_name = " ".join(company.name.split()) if company else "the client portal"
    greeting = f"Hello {contact.display_name},"
    text = (
        f"{greeting}\n\n"
        f"Your code to sign in to the {company_name} portal is:\n\n"
        f"    {code}\n\n"
        f"It works once, for {CODE_MINUTES} minutes. If you did not ask for it, ignore this "
        "e-mail: nobody can sign in without the code.\n"
    )
    html_body = (
        f"<p>{html.escape(greeting)}</p>"
        f"<p>Your code to sign in to the {html.escape(company_name)} portal is:</p>"
        f'<p style="font-size:24px;font-weight:bold;letter-spacing:4px">{code}</p>'
        f"<p>It works once, for {CODE_MINUTES} minutes. If you did not ask for it, ignore this "
        "e-mail: nobody can sign in without the code.</p>"
    )
    return {"subject": f"Your {company_name} sign-in code: {code}", "text": text, "html": html_body}


def request_code(
    session: Session, *, email: str, ip: str = "", now: datetime | None = None
) -> str | None:
    """E-mail a sign-in code to each enabled contact with this address; return the first code.

    Throttled (every request counted before the lookup) and unknown or disabled addresses
    return None and send nothing; callers show NEUTRAL_MESSAGE in every case.
    """
    email = normalize_email(email)
    if not email or not throttle.allow_attempt(REQUEST_SCOPE, email, ip):
        return None
    now = now or utcnow()
    contacts = session.exec(
        select(ClientContact)
        .where(ClientContact.email == email, ClientContact.portal_enabled == True)  # noqa: E712
        .order_by(col(ClientContact.id))
    ).all()
    if not contacts:
        # The same work as for a known address (a code and its hash), so timing tells nothing.
        _code_hash(0, _new_code())
        return None
    first: str | None = None
    for contact in contacts:
        code = _send_code(session, contact, email=email, now=now, ip=ip)
        first = first or code
    return first


def _send_code(
    session: Session, contact: ClientContact, *, email: str, now: datetime, ip: str
) -> str:
    """Store a fresh code for `contact` (its earlier one stops working) and e-mail it."""
    assert contact.id is not None
    code = _new_code()
    # One live code per contact: asking again replaces the one before.
    session.execute(
        update(SignInCode)
        .where(col(SignInCode.contact_id) == contact.id, col(SignInCode.used_at).is_(None))
        .values(used_at=now)
    )
    row = SignInCode(
        company_id=contact.company_id,
        contact_id=contact.id,
        email=email,
        code_hash=_code_hash(contact.id, code),
        expires_at=now + timedelta(minutes=CODE_MINUTES),
        created_at=now,
    )
    session.add(row)
    session.flush()
    outbox.queue_email(
        session,
        company_id=contact.company_id,
        idempotency_key=f"signin_code:{row.id}",
        kind="signin_code",
        to=contact.email,
        entity_type="contact",
        entity_id=contact.id,
        **_code_email(contact, session.get(Company, contact.company_id), code),
    )
    audit.record(
        session,
        company_id=contact.company_id,
        client_id=contact.client_id,
        action="signin_code_requested",
        actor_type="contact",
        actor_id=contact.id,
        entity_type="contact",
        entity_id=contact.id,
        ip=ip,
    )
    return code


def _link_contact(session: Session, actor: Actor) -> ClientContact | None:
    """The enabled contact behind an e-mailed-link session (None for any other session)."""
    if not actor.is_link_session:
        return None
    contact = session.get(ClientContact, actor.contact_id)
    if contact is None or not contact.portal_enabled or contact.company_id != actor.company_id:
        return None
    return contact


def request_step_up_code(
    session: Session, *, actor: Actor, ip: str = "", now: datetime | None = None
) -> str | None:
    """E-mail the contact of an e-mailed-link session a code to open the whole account (its
    saved cards) from the page it is on; returns the code, None when nothing was sent.

    Only that contact is sent one (not every contact with the address), counted like any
    request; any other kind of session gets nothing (it sees the account already).
    """
    contact = _link_contact(session, actor)
    if contact is None:
        return None
    email = normalize_email(contact.email)
    if not throttle.allow_attempt(REQUEST_SCOPE, email, ip):
        raise ThrottledError(THROTTLED_ERROR)
    return _send_code(session, contact, email=email, now=now or utcnow(), ip=ip)


def step_up_with_code(
    session: Session,
    *,
    actor: Actor,
    code: str,
    ip: str = "",
    user_agent: str = "",
    binding: str | None = None,
    now: datetime | None = None,
) -> auth.NewSession:
    """A code session for the same contact as this e-mailed-link session, from the code
    `request_step_up_code` sent (the browser then swaps its cookie by the handoff). The same
    errors as `sign_in_with_code`; a code that opens another contact's account is refused."""
    contact = _link_contact(session, actor)
    if contact is None:
        raise AuthError(WRONG_CODE_ERROR)
    opened = sign_in_with_code(
        session,
        email=contact.email,
        code=code,
        ip=ip,
        user_agent=user_agent,
        binding=binding,
        now=now,
    )
    if opened.contact_id != contact.id:
        # Another account with the same address (another company): not this page's.
        auth.sign_out(session, token=opened.token)
        raise AuthError(WRONG_CODE_ERROR)
    return opened


def sign_in_with_code(
    session: Session,
    *,
    email: str,
    code: str,
    ip: str = "",
    user_agent: str = "",
    binding: str | None = None,
    now: datetime | None = None,
) -> auth.NewSession:
    """Open a session of kind "code" for the contact this live code was sent to.

    ThrottledError over the limit (counted before the lookup), AuthError (one message) for a
    wrong, used, expired or burnt code. A wrong guess is written to the rows it counted against:
    the caller commits after an AuthError too (the sign-in form does).
    """
    email = normalize_email(email)
    if not throttle.allow_attempt(GUESS_SCOPE, email, ip):
        raise ThrottledError(THROTTLED_ERROR)
    now = now or utcnow()
    code = "".join(code.split())
    live = session.exec(
        select(SignInCode)
        .where(
            SignInCode.email == email,
            col(SignInCode.used_at).is_(None),
            col(SignInCode.expires_at) > now,
        )
        .order_by(col(SignInCode.id))
    ).all()
    shaped = bool(_CODE_SHAPE.fullmatch(code))
    match = None
    for row in live:
        if shaped and hmac.compare_digest(row.code_hash, _code_hash(row.contact_id, code)):
            match = row
            break
    if not live:
        _code_hash(0, code)  # the same work when there is nothing to compare with
    if match is None:
        _count_wrong_guess(session, live, now=now, ip=ip)
        raise AuthError(WRONG_CODE_ERROR)
    # Used once: of two requests with the same code at the same moment, one wins the UPDATE.
    used = session.execute(
        update(SignInCode)
        .where(col(SignInCode.id) == match.id, col(SignInCode.used_at).is_(None))
        .values(used_at=now)
    )
    contact = session.get(ClientContact, match.contact_id)
    if used.rowcount != 1 or contact is None or not contact.portal_enabled:
        raise AuthError(WRONG_CODE_ERROR)
    throttle.attempt_succeeded(GUESS_SCOPE, email, ip)
    opened = auth.open_session(
        session,
        contact=contact,
        kind=SessionKind.CODE,
        lifetime=timedelta(hours=get_settings().session_hours),
        ip=ip,
        user_agent=user_agent,
        binding=binding,
    )
    contact.last_login_at = now
    session.add(contact)
    return opened


def _count_wrong_guess(
    session: Session, live: Sequence[SignInCode], *, now: datetime, ip: str
) -> None:
    """Count a wrong guess against each live code of the address; burn those at the limit."""
    for row in live:
        row.failed_attempts += 1
        if row.failed_attempts >= MAX_WRONG_GUESSES:
            row.used_at = now
        session.add(row)
        contact = session.get(ClientContact, row.contact_id)
        audit.record(
            session,
            company_id=row.company_id,
            client_id=contact.client_id if contact else None,
            action="signin_code_failed",
            actor_type="contact",
            actor_id=row.contact_id,
            entity_type="contact",
            entity_id=row.contact_id,
            ip=ip,
            details={"burnt": row.used_at is not None},
        )
