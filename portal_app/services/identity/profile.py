"""/client/profile: a contact changes their own details, e-mail address, password and
preferences (including which optional e-mails they get), and, where the company allows it, the
client's billing address and tax number.

Only a full session (password or e-mailed code) changes anything: an e-mailed-link session is
told to sign in (FullSessionRequired) and a staff preview is read-only. Every change is
audited, so staff see it in the audit log.

A new e-mail address is used only once its owner follows the link e-mailed to it: a signed
token (core.signing, its own purpose) carrying the contact, the new address and a keyed
fingerprint of the current address and the time it was confirmed. Following it changes both,
so a link works once and every older link dies with it; it lives EMAIL_CHANGE_HOURS. The old
address is told of the change.
"""

from __future__ import annotations

import html
import secrets
from datetime import UTC, datetime

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import update
from sqlmodel import Session, col, select

from portal_app.core import routes, signing
from portal_app.core.db import utcnow
from portal_app.core.errors import FieldErrors, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext as _
from portal_app.core.i18n import use_language
from portal_app.core.settings import get_settings
from portal_app.models import Client, ClientContact, Company, SignInCode
from portal_app.schemas.forms import field_errors
from portal_app.schemas.profile import (
    BILLING_FIELDS,
    BillingDetailsIn,
    ContactDetailsIn,
    EmailChangeIn,
    PasswordChangeIn,
    PreferencesIn,
    ProfileView,
)
from portal_app.services.identity import audit, email_choices, language, signin
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.link_scope import FullSessionRequired
from portal_app.services.identity.passwords import hash_password, password_problem, verify_password
from portal_app.services.mail import outbox

EMAIL_CHANGE_HOURS = 24
_PURPOSE = signing.Purpose.EMAIL_CHANGE


def _refuse_changes(actor: Actor) -> None:
    """Only a full session of the contact changes the profile."""
    if actor.is_link_session:
        raise FullSessionRequired("profile")
    if actor.is_preview:
        raise ReadOnlyError(_("A staff preview cannot change the profile."))


def _rows(session: Session, actor: Actor) -> tuple[ClientContact, Client, Company]:
    """The actor's own contact, client and company (a link session is told to sign in)."""
    if actor.is_link_session:
        raise FullSessionRequired("profile")
    contact = session.get(ClientContact, actor.contact_id)
    client = session.get(Client, actor.client_id)
    company = session.get(Company, actor.company_id)
    if (
        contact is None
        or client is None
        or company is None
        or contact.company_id != actor.company_id
        or contact.client_id != actor.client_id
        or client.company_id != actor.company_id
    ):
        raise FullSessionRequired("profile")
    return contact, client, company


def _checked(model: type, form: object, *, extra: dict[str, str] | None = None):
    """`form` checked by `model`; FieldErrors naming every wrong field (with `extra`)."""
    errors = dict(extra or {})
    try:
        checked = model.model_validate(form if isinstance(form, dict) else {})
    except PydanticValidationError as exc:
        errors = {**field_errors(exc), **errors}
        raise FieldErrors(errors) from None
    if errors:
        raise FieldErrors(errors)
    return checked


def _audit(session: Session, actor: Actor, action: str, **kw) -> None:
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action=action,
        actor_type="contact",
        actor_id=actor.contact_id,
        ip=actor.ip,
        **kw,
    )


def profile_view(session: Session, *, actor: Actor) -> ProfileView:
    """What the profile page shows for the signed-in contact."""
    contact, client, company = _rows(session, actor)
    values = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "phone": contact.phone,
        "language": contact.language or "",
        "locale": client.locale,
        **{name: getattr(client, name) for name in BILLING_FIELDS},
    }
    return ProfileView(
        values=values,
        email=contact.email,
        client_name=client.name,
        has_password=bool(contact.password_hash),
        codes_only=contact.codes_only,
        company_codes_only=company.codes_only,
        may_edit_billing=company.allow_client_detail_edits,
    )


def update_contact_details(session: Session, *, actor: Actor, form: dict) -> list[str]:
    """Save the contact's name and phone; the fields that changed ([] for none)."""
    _refuse_changes(actor)
    contact, _client, _company = _rows(session, actor)
    checked = _checked(ContactDetailsIn, form)
    changed = [
        name
        for name in ("first_name", "last_name", "phone")
        if getattr(contact, name) != getattr(checked, name)
    ]
    if not changed:
        return []
    for name in changed:
        setattr(contact, name, getattr(checked, name))
    session.add(contact)
    _audit(
        session,
        actor,
        "contact_details_changed",
        entity_type="contact",
        entity_id=contact.id,
        details={"fields": changed},
    )
    return changed


# -- e-mail address --------------------------------------------------------------------------


def _fingerprint(contact: ClientContact) -> str:
    """What a live change link for this contact carries: it stops matching once the address
    (or the time it was last confirmed) changes."""
    confirmed = contact.email_confirmed_at.isoformat() if contact.email_confirmed_at else ""
    return signing.fingerprint(_PURPOSE, f"{contact.id}|{contact.email}|{confirmed}")


def _aware(now: datetime | None) -> datetime:
    now = now or utcnow()
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def make_email_change_token(
    contact: ClientContact, new_email: str, *, now: datetime | None = None
) -> str:
    """A signed link token moving `contact` to `new_email`, valid EMAIL_CHANGE_HOURS."""
    payload = [contact.id, new_email, _fingerprint(contact)]
    return signing.sign(_PURPOSE, payload, now=_aware(now).timestamp())


def _email_taken(session: Session, company_id: int, email: str, contact_id: int) -> bool:
    """Whether another contact of the company signs in with `email` (unique per company)."""
    other = session.exec(
        select(ClientContact.id).where(
            ClientContact.company_id == company_id,
            ClientContact.email == email,
            ClientContact.id != contact_id,
        )
    ).first()
    return other is not None


def _contact_language(contact: ClientContact, client: Client, company: Company) -> str:
    """The language e-mails to this contact are written in (one rule: language.py)."""
    return language.email_language(contact, client, company)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _change_email(
    contact: ClientContact, company: Company, new_email: str, link: str
) -> dict[str, str]:
    """Subject, text and HTML of the e-mail to the new address (in the current language)."""
    values = {
        "name": contact.display_name,
        "company": _one_line(company.name),
        "hours": EMAIL_CHANGE_HOURS,
        "email": new_email,
    }
    greeting = _("Hello %(name)s,") % values
    asked = (
        _(
            "You asked to use %(email)s to sign in to the %(company)s portal. "
            "Open this link within %(hours)d hours to confirm the new address:"
        )
        % values
    )
    ignore = _(
        "Until you do, your old address stays in use. If you did not ask for this, "
        "ignore this e-mail."
    )
    return {
        "subject": _("Confirm your new e-mail address for the %(company)s portal") % values,
        "text": f"{greeting}\n\n{asked}\n\n{link}\n\n{ignore}\n",
        "html": (
            f"<p>{html.escape(greeting)}</p><p>{html.escape(asked)}</p>"
            f'<p><a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></p>'
            f"<p>{html.escape(ignore)}</p>"
        ),
    }


def _changed_notice(contact: ClientContact, company: Company, old_email: str) -> dict[str, str]:
    """Subject and text of the notice to the old address after a change."""
    values = {
        "name": contact.display_name,
        "company": _one_line(company.name),
        "email": contact.email,
        "old": old_email,
    }
    greeting = _("Hello %(name)s,") % values
    body = (
        _(
            "The e-mail address of your %(company)s portal account changed from %(old)s to "
            "%(email)s. If you did not do this, contact %(company)s at once."
        )
        % values
    )
    return {
        "subject": _("Your e-mail address for the %(company)s portal changed") % values,
        "text": f"{greeting}\n\n{body}\n",
        "html": f"<p>{html.escape(greeting)}</p><p>{html.escape(body)}</p>",
    }


def request_email_change(
    session: Session, *, actor: Actor, form: dict, now: datetime | None = None
) -> str:
    """E-mail a confirmation link to the new address (queued in the outbox); return its token.

    Nothing changes until the link is followed (confirm_email_change). FieldErrors for an
    invalid address, the current one, or one another contact of the company uses.
    """
    _refuse_changes(actor)
    contact, client, company = _rows(session, actor)
    new_email = _checked(EmailChangeIn, form).email
    if new_email == contact.email:
        raise FieldErrors({"email": _("This is already your e-mail address.")})
    if _email_taken(session, company.id, new_email, contact.id):
        raise FieldErrors({"email": _("Another contact already uses this e-mail address.")})
    token = make_email_change_token(contact, new_email, now=now)
    link = get_settings().base_url.rstrip("/") + routes.email_change_url(token)
    with use_language(_contact_language(contact, client, company)):
        message = _change_email(contact, company, new_email, link)
    outbox.queue_email(
        session,
        company_id=company.id,
        # Every request is its own message (a second one may carry another address).
        idempotency_key=f"email_change:{contact.id}:{secrets.token_hex(16)}",
        kind="email_change",
        to=new_email,
        entity_type="contact",
        entity_id=contact.id,
        **message,
    )
    _audit(
        session,
        actor,
        "email_change_requested",
        entity_type="contact",
        entity_id=contact.id,
        details={"new_email": new_email},
    )
    return token


def confirm_email_change(
    session: Session, *, token: str, ip: str = "", now: datetime | None = None
) -> ClientContact:
    """Move the contact to the address the link was sent to; the contact.

    ValidationError("token", ...) for a malformed, tampered, expired or already used link, or
    when another contact took the address meanwhile; nothing changes then.
    """
    now = _aware(now)
    invalid = ValidationError("token", _("This link is invalid or has expired."))
    try:
        contact_id, new_email, carried = signing.unsign(
            _PURPOSE, token, max_age=EMAIL_CHANGE_HOURS * 3600, now=now.timestamp()
        )
    except (signing.InvalidToken, ValueError, TypeError):
        raise invalid from None
    contact = session.get(ClientContact, contact_id) if isinstance(contact_id, int) else None
    if (
        contact is None
        or not contact.portal_enabled
        or not isinstance(new_email, str)
        or not isinstance(carried, str)
        or not secrets.compare_digest(carried, _fingerprint(contact))
    ):
        raise invalid
    if _email_taken(session, contact.company_id, new_email, contact.id):
        raise ValidationError(
            "token", _("Another contact already uses this e-mail address. Ask for a new link.")
        )
    old_email = contact.email
    contact.email = new_email
    contact.email_confirmed_at = now
    session.add(contact)
    # Codes e-mailed to the old address no longer sign anyone in.
    session.execute(
        update(SignInCode)
        .where(col(SignInCode.contact_id) == contact.id, col(SignInCode.used_at).is_(None))
        .values(used_at=now)
    )
    company = session.get(Company, contact.company_id)
    client = session.get(Client, contact.client_id)
    if company is not None and client is not None:
        with use_language(_contact_language(contact, client, company)):
            notice = _changed_notice(contact, company, old_email)
        outbox.queue_email(
            session,
            company_id=company.id,
            idempotency_key=f"email_changed:{contact.id}:{secrets.token_hex(16)}",
            kind="email_changed",
            to=old_email,
            entity_type="contact",
            entity_id=contact.id,
            **notice,
        )
    audit.record(
        session,
        company_id=contact.company_id,
        client_id=contact.client_id,
        action="email_changed",
        actor_type="contact",
        actor_id=contact.id,
        entity_type="contact",
        entity_id=contact.id,
        ip=ip,
        details={"old_email": old_email, "new_email": new_email},
    )
    session.flush()
    return contact


# -- password ------------------------------------------------------------------------------


def change_password(session: Session, *, actor: Actor, form: dict) -> int:
    """Set a new password after checking the current one; sign out the contact's other
    sessions. Returns how many were signed out.

    A contact without a password yet (invited, or signing in with codes) sets one without a
    current one. FieldErrors: wrong current password, weak new one, the two differ.
    """
    _refuse_changes(actor)
    contact, _client, company = _rows(session, actor)
    if company.codes_only:
        raise ReadOnlyError(_("This portal signs in with e-mailed codes, not passwords."))
    raw = form if isinstance(form, dict) else {}
    extra: dict[str, str] = {}
    current = str(raw.get("current_password", "") or "")[:300]
    if contact.password_hash:
        if not current:
            extra["current_password"] = _("Enter your current password.")
        elif not verify_password(current, contact.password_hash):
            extra["current_password"] = _("This is not your current password.")
    if problem := password_problem(str(raw.get("new_password", "") or "")[:300]):
        extra["new_password"] = problem
    checked = _checked(PasswordChangeIn, raw, extra=extra)
    contact.password_hash = hash_password(checked.new_password)
    session.add(contact)
    revoked = signin.revoke_contact_sessions(
        session, contact_id=contact.id, keep_session_id=actor.session_id
    )
    _audit(
        session,
        actor,
        "password_changed",
        entity_type="contact",
        entity_id=contact.id,
        details={"sessions_revoked": revoked},
    )
    return revoked


# -- billing details and preferences ----------------------------------------------------------


def update_billing_details(session: Session, *, actor: Actor, form: dict) -> list[str]:
    """Save the client's billing address and tax number where the company lets contacts do
    it; the fields that changed. Audited with the values before and after, for staff."""
    _refuse_changes(actor)
    _contact, client, company = _rows(session, actor)
    if not company.allow_client_detail_edits:
        raise ReadOnlyError(
            _("%(company)s keeps your billing details: ask them to change these.")
            % {"company": _one_line(company.name)}
        )
    checked = _checked(BillingDetailsIn, form)
    changed = [name for name in BILLING_FIELDS if getattr(client, name) != getattr(checked, name)]
    if not changed:
        return []
    before = {name: getattr(client, name) for name in changed}
    for name in changed:
        setattr(client, name, getattr(checked, name))
    session.add(client)
    _audit(
        session,
        actor,
        "client_details_changed",
        entity_type="client",
        entity_id=client.id,
        details={
            "fields": changed,
            "before": before,
            "after": {name: getattr(client, name) for name in changed},
        },
    )
    return changed


def update_preferences(session: Session, *, actor: Actor, form: dict) -> list[str]:
    """Save the portal language, the formats of money and dates, and the contact's codes-only
    sign-in preference; the fields that changed."""
    _refuse_changes(actor)
    contact, client, company = _rows(session, actor)
    checked = _checked(PreferencesIn, form)
    changed: list[str] = []
    if (contact.language or "") != checked.language:
        language.set_contact_language(session, actor=actor, language=checked.language or None)
        changed.append("language")
    if client.locale != checked.locale:
        client.locale = checked.locale
        session.add(client)
        changed.append("locale")
    # Where the company signs everyone in with codes, the contact's own choice is moot.
    codes_only = checked.codes_only if not company.codes_only else contact.codes_only
    if contact.codes_only != codes_only:
        contact.codes_only = codes_only
        session.add(contact)
        changed.append("codes_only")
    extra = [name for name in changed if name != "language"]
    if extra:
        _audit(
            session,
            actor,
            "contact_preferences_changed",
            entity_type="contact",
            entity_id=contact.id,
            details={"fields": extra, "locale": client.locale, "codes_only": contact.codes_only},
        )
    return changed


def email_choice_list(session: Session, *, actor: Actor) -> list[email_choices.EmailChoice]:
    """The optional e-mails the profile offers, named in the current language, and which of
    them the contact gets."""
    contact, _client, _company = _rows(session, actor)
    return email_choices.email_choices(session, contact)


def update_email_choices(session: Session, *, actor: Actor, form: dict) -> list[str]:
    """Save which optional e-mails the contact gets: a kind is on when the form's
    `email_<kind>` is "on" (a checked box); the kinds that changed."""
    _refuse_changes(actor)
    contact, _client, _company = _rows(session, actor)
    enabled = [kind for kind in email_choices.OPTIONAL_KINDS if form.get(f"email_{kind}") == "on"]
    return email_choices.set_email_choices(session, actor=actor, contact=contact, enabled=enabled)
