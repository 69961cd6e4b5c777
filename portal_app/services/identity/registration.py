"""Self-registration at /client/register, when the company allows it.

A registrant becomes a new Client with one primary ClientContact. The contact stays without
portal access until the e-mailed confirmation link (signed, single-purpose, expiring) is
opened: that sets email_confirmed_at and switches access on. An address already registered
with the company gets the same answer on screen and, instead of a confirmation, an e-mail
telling its owner to sign in or reset the password, so the form reveals no accounts.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from portal_app.core import routes, signing
from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.i18n import N_, gettext, language_of_locale, ngettext, use_language
from portal_app.core.mail import EMAIL_PATTERN
from portal_app.core.paging import parse_record_id
from portal_app.core.settings import get_settings
from portal_app.models import Client, ClientContact, Company
from portal_app.services.identity import audit, throttle
from portal_app.services.identity.auth import normalize_email
from portal_app.services.identity.passwords import hash_password, password_problem
from portal_app.services.mail import outbox

log = logging.getLogger(__name__)

THROTTLE_SCOPE = "registration"
CONFIRM_HOURS = 48
# English msgids (N_), translated where raised or shown, in the language of the event.
INVALID_LINK = N_("This confirmation link is invalid or has expired.")
SENT_MESSAGE = N_(
    "Thank you. We have sent a message to %(email)s: open the link in it to confirm your "
    "address, then sign in."
)
CLOSED_MESSAGE = N_("Registration is closed. Ask us for an invitation to the portal.")
FIELD_LIMITS = {
    "organisation": 200,
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "phone": 50,
    "address1": 200,
    "city": 100,
    "postal_code": 20,
    "country": 100,
    "vat_number": 50,
}


class RegistrationErrors(ValidationError):
    """Several fields are wrong; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors))
        super().__init__(first, errors[first])
        self.errors = errors


@dataclass(frozen=True, slots=True)
class RegistrationInfo:
    """What the registration page shows before anyone types."""

    open: bool
    company_id: int = 0
    company_name: str = ""
    required_fields: list[str] = field(default_factory=list)
    terms: str = ""


def registration_company(session: Session, *, company: object = None) -> Company | None:
    """The company a registration is for: `?company=<id>`, else the deployment's first one."""
    if company not in (None, ""):
        try:
            return session.get(Company, parse_record_id(company, "company"))
        except NotFoundError:
            return None
    return session.exec(select(Company).order_by(Company.id)).first()


def registration_info(session: Session, *, company: object = None) -> RegistrationInfo:
    """Whether registration is open and what it asks for."""
    row = registration_company(session, company=company)
    if row is None or not row.allow_registration:
        return RegistrationInfo(open=False, company_name=row.name if row else "")
    return RegistrationInfo(
        open=True,
        company_id=row.id,
        company_name=row.name,
        required_fields=[f for f in row.registration_required_fields.split(",") if f],
        terms=row.registration_terms,
    )


def _email_digest(email: str) -> str:
    """A short digest of the address: a confirmation dies when the contact's address changes."""
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def make_confirm_token(
    contact: ClientContact, *, now: datetime | None = None, next_path: str = ""
) -> str:
    """A signed token confirming `contact`'s address, valid CONFIRM_HOURS from `now`.

    `next_path` (a portal page, e.g. the /subscribe/<key> page the visitor registered from)
    travels signed in the token, so sign-in after confirming leads back there."""
    payload: list = [contact.id, _email_digest(contact.email)]
    if next_path and routes.is_safe_next(next_path):
        payload.append(next_path)
    return signing.sign(
        signing.Purpose.REGISTRATION_CONFIRM, payload, now=(now or utcnow()).timestamp()
    )


def _from_legacy(fields: list[str]) -> list:
    """A confirmation token made before itsdangerous: ["v1", contact id, e-mail digest]."""
    version, contact_id, digest = fields
    if version != "v1":
        raise ValueError("unknown confirmation token version")
    return [int(contact_id), digest]


def _read_token(token: str, now: datetime) -> list:
    """[contact id, e-mail digest, next page or ""] of a live confirmation token."""
    payload = signing.unsign(
        signing.Purpose.REGISTRATION_CONFIRM,
        token,
        max_age=CONFIRM_HOURS * 3600,
        now=now.timestamp(),
        legacy=_from_legacy,
    )
    if not isinstance(payload, list) or len(payload) not in (2, 3):
        raise signing.InvalidToken(signing.Purpose.REGISTRATION_CONFIRM)
    return [*payload, ""][:3]


def _contact_for_token(session: Session, token: str, now: datetime) -> ClientContact:
    invalid = ValidationError("token", gettext(INVALID_LINK))
    try:
        contact_id, digest, _next = _read_token(token, now)
    except signing.InvalidToken:
        raise invalid from None
    contact = session.get(ClientContact, contact_id)
    if contact is None or _email_digest(contact.email) != digest:
        raise invalid
    return contact


def _clean_form(form: dict) -> dict[str, str]:
    return {
        name: " ".join(str(form.get(name, "") or "").split())[: limit + 1]
        for name, limit in FIELD_LIMITS.items()
    }


def _check(info: RegistrationInfo, values: dict[str, str], password: str, accepted: bool):
    errors: dict[str, str] = {}
    for name, limit in FIELD_LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = gettext("Use at most %(num)d characters.") % {"num": limit}
    if not values["first_name"]:
        errors["first_name"] = gettext("Enter your first name.")
    if not values["last_name"]:
        errors["last_name"] = gettext("Enter your last name.")
    email = normalize_email(values["email"])
    if not email or not EMAIL_PATTERN.fullmatch(email) or len(email) > 254:
        errors["email"] = gettext("Enter a valid e-mail address.")
    required = set(info.required_fields)
    if "phone" in required and not values["phone"]:
        errors["phone"] = gettext("Enter a phone number.")
    if "address" in required:
        for name, message in (
            ("address1", N_("Enter your street address.")),
            ("city", N_("Enter your city.")),
            ("postal_code", N_("Enter your postal code.")),
            ("country", N_("Enter your country.")),
        ):
            if not values[name]:
                errors[name] = gettext(message)
    if "vat_number" in required and not values["vat_number"]:
        errors["vat_number"] = gettext("Enter your VAT number.")
    if problem := password_problem(password):
        errors["password"] = problem
    if info.terms and not accepted:
        errors["terms"] = gettext("Accept the terms to register.")
    return email, errors


def _base() -> str:
    return get_settings().base_url.rstrip("/")


def _mail_language(company: Company, contact: ClientContact, language: str | None) -> str:
    """What a registration e-mail is written in: the contact's choice, else the page's
    `language` (the visitor registered in it), else the company's, else English."""
    return contact.language or language or language_of_locale(company.locale) or "en"


def _send_confirmation(
    session: Session,
    company: Company,
    contact: ClientContact,
    token: str,
    language: str | None = None,
) -> None:
    name = " ".join(company.name.split())
    link = f"{_base()}{routes.CLIENT_REGISTER_CONFIRM}?token={token}"
    with use_language(_mail_language(company, contact, language)):
        names = {"company": name, "hours": CONFIRM_HOURS}
        subject = gettext("Confirm your e-mail for the %(company)s portal") % names
        text = "\n".join(
            [
                gettext("Hello %(name)s,") % {"name": contact.display_name},
                "",
                gettext("Thank you for registering with the %(company)s client portal.") % names,
                ngettext(
                    "Open this link within %(hours)s hour to confirm your e-mail address:",
                    "Open this link within %(hours)s hours to confirm your e-mail address:",
                    CONFIRM_HOURS,
                )
                % names,
                "",
                link,
                "",
                gettext("If you did not register, ignore this e-mail."),
                "",
            ]
        )
    outbox.queue_email(
        session,
        company_id=company.id,
        idempotency_key=f"registration_confirm:{contact.id}",
        kind="registration_confirm",
        entity_type="contact",
        entity_id=contact.id,
        to=contact.email,
        subject=subject,
        text=text,
    )


def _send_already_registered(
    session: Session, company: Company, contact: ClientContact, language: str | None = None
) -> None:
    name = " ".join(company.name.split())
    with use_language(_mail_language(company, contact, language)):
        names = {"company": name}
        subject = gettext("Your %(company)s portal account") % names
        text = "\n".join(
            [
                gettext(
                    "Someone tried to register this e-mail address with the %(company)s client "
                    "portal, but it already has an account."
                )
                % names,
                "",
                gettext("Sign in: %(link)s") % {"link": f"{_base()}{routes.CLIENT_LOGIN}"},
                gettext("Forgot your password? %(link)s")
                % {"link": f"{_base()}{routes.CLIENT_PASSWORD_RESET}"},
                "",
                gettext("If this was not you, ignore this e-mail."),
                "",
            ]
        )
    outbox.queue_email(
        session,
        company_id=company.id,
        # Each attempt is its own event (the form is throttled, so they stay few).
        idempotency_key=f"registration_duplicate:{contact.id}:{secrets.token_hex(16)}",
        kind="registration_duplicate",
        entity_type="contact",
        entity_id=contact.id,
        to=contact.email,
        subject=subject,
        text=text,
    )


def register(
    session: Session,
    *,
    company: object,
    form: dict,
    password: str,
    accepted_terms: bool,
    ip: str = "",
    next_path: str = "",
    language: str | None = None,
) -> str:
    """Register a client and its contact, queue the confirmation e-mail; return the on-screen
    text. `next_path`: the portal page to return to after confirming and signing in (e.g. the
    plan's /subscribe/<key> page); anything not a portal page is dropped. `language`: the
    registration page's, which the e-mails are written in (else the company's).

    ValidationError("form", CLOSED_MESSAGE) when registration is off; RegistrationErrors for
    bad fields. The e-mail goes into the outbox in the caller's transaction (sent and retried
    by the outbox job), so a mail server that is down no longer turns a registrant away.
    """
    info = registration_info(session, company=company)
    if not info.open:
        raise ValidationError("form", gettext(CLOSED_MESSAGE))
    values = _clean_form(form if isinstance(form, dict) else {})
    password = str(password or "")[:300]
    email, errors = _check(info, values, password, bool(accepted_terms))
    if errors:
        raise RegistrationErrors(errors)
    if not throttle.allow_attempt(THROTTLE_SCOPE, email, ip):
        raise ValidationError("form", gettext("Too many registrations from here. Try again later."))
    row = session.get(Company, info.company_id)
    existing = session.exec(
        select(ClientContact).where(
            ClientContact.company_id == row.id, ClientContact.email == email
        )
    ).first()
    if existing is not None:
        _send_already_registered(session, row, existing, language)
        audit.record(
            session,
            company_id=row.id,
            client_id=existing.client_id,
            action="registration_duplicate",
            actor_type="visitor",
            actor_id=None,
            entity_type="contact",
            entity_id=existing.id,
            ip=ip,
        )
        return gettext(SENT_MESSAGE) % {"email": email}
    now = utcnow()
    person = f"{values['first_name']} {values['last_name']}".strip()
    client = Client(
        company_id=row.id,
        name=values["organisation"] or person,
        email=email,
        phone=values["phone"],
        address1=values["address1"],
        city=values["city"],
        postal_code=values["postal_code"],
        country=values["country"],
        vat_number=values["vat_number"],
        currency=row.currency,
    )
    session.add(client)
    session.flush()
    contact = ClientContact(
        company_id=row.id,
        client_id=client.id,
        first_name=values["first_name"],
        last_name=values["last_name"],
        email=email,
        password_hash=hash_password(password),
        is_primary=True,
        # No portal access until the address is confirmed.
        portal_enabled=False,
        terms_accepted_at=now if info.terms else None,
    )
    session.add(contact)
    session.flush()
    audit.record(
        session,
        company_id=row.id,
        client_id=client.id,
        action="registered",
        actor_type="contact",
        actor_id=contact.id,
        entity_type="contact",
        entity_id=contact.id,
        ip=ip,
        details={"terms_accepted": bool(info.terms)},
    )
    token = make_confirm_token(contact, now=now, next_path=str(next_path or "")[:500])
    _send_confirmation(session, row, contact, token, language)
    return gettext(SENT_MESSAGE) % {"email": email}


def confirm_email(
    session: Session, *, token: str, ip: str = "", now: datetime | None = None
) -> ClientContact:
    """Confirm a registrant's address from the e-mailed link and open their portal access.

    ValidationError("token", INVALID_LINK) for a bad, tampered or expired link. Opening the
    link again changes nothing (the first confirmation time stays).
    """
    now = now or utcnow()
    contact = _contact_for_token(session, token, now)
    if contact.email_confirmed_at is None:
        contact.email_confirmed_at = now
        contact.portal_enabled = True
        session.add(contact)
        audit.record(
            session,
            company_id=contact.company_id,
            client_id=contact.client_id,
            action="email_confirmed",
            actor_type="contact",
            actor_id=contact.id,
            entity_type="contact",
            entity_id=contact.id,
            ip=ip,
        )
    return contact


def signin_url_after(token: str, *, now: datetime | None = None) -> str:
    """Where "Sign in" leads after confirming with `token`: the sign-in page, with the page
    the visitor registered from as its next page when the token carries one (signed, and
    checked again as a portal page: no open redirect)."""
    try:
        _contact_id, _digest, next_path = _read_token(token, now or utcnow())
    except signing.InvalidToken:
        return routes.CLIENT_LOGIN
    return routes.login_url(next_path if isinstance(next_path, str) else None)
