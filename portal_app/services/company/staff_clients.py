"""Staff work on clients and contacts: list with balances, create, edit, portal access.

Every function takes a StaffActor; rows of another company are "not found". Changes are
audited as the staff user's.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.core.locale import format_day, valid_country_code, valid_locale
from portal_app.core.mail import EMAIL_PATTERN
from portal_app.core.money import SUPPORTED_CURRENCIES, format_money
from portal_app.core.paging import COUNT_CAP, PAGE_SIZES, parse_record_id
from portal_app.core.routes import password_reset_url
from portal_app.core.settings import get_settings
from portal_app.models import AuthSession, Client, ClientContact, Company, Invoice
from portal_app.schemas.staff import (
    ClientForm,
    ClientPage,
    ClientRowView,
    ContactForm,
    ContactView,
)
from portal_app.services.company.locale import company_locale
from portal_app.services.identity import audit, staff_scope
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.auth import normalize_email
from portal_app.services.identity.password_reset import make_reset_token
from portal_app.services.identity.passwords import hash_password, password_problem
from portal_app.services.mail import outbox

log = logging.getLogger(__name__)

MAX_SEARCH = 100
OPEN_STATUSES = ("sent", "partial")
DUPLICATE_EMAIL = N_("Another contact of this company already uses this e-mail address.")


def _require_staff(actor: StaffActor) -> None:
    # A client Actor has no staff_user_id: it never reaches staff data, whatever the caller.
    if not isinstance(actor, StaffActor):
        raise ReadOnlyError(gettext("Sign in as staff to do this."))


def _audit(session: Session, actor: StaffActor, action: str, **kw) -> None:
    audit.record(
        session,
        company_id=actor.company_id,
        action=action,
        actor_type="staff",
        actor_id=actor.staff_user_id,
        ip=actor.ip,
        **kw,
    )


def get_client(session: Session, *, actor: StaffActor, client_id: object) -> Client:
    """The company's client with this id; NotFoundError for anything else."""
    _require_staff(actor)
    client = session.get(Client, parse_record_id(client_id, "client"))
    if client is None or client.company_id != actor.company_id:
        raise NotFoundError("client")
    return client


def get_contact(session: Session, *, actor: StaffActor, contact_id: object) -> ClientContact:
    """The company's contact with this id; NotFoundError for anything else."""
    _require_staff(actor)
    contact = session.get(ClientContact, parse_record_id(contact_id, "contact"))
    if contact is None or contact.company_id != actor.company_id:
        raise NotFoundError("contact")
    return contact


def open_balances(session: Session, *, company_id: int, client_ids: list[int]) -> dict[int, dict]:
    """{client_id: {currency: minor}}: the sum of the open invoices' balances per currency."""
    if not client_ids:
        return {}
    rows = session.exec(
        select(Invoice.client_id, Invoice.currency, func.sum(Invoice.balance_minor))
        .where(
            Invoice.company_id == company_id,
            col(Invoice.client_id).in_(client_ids),
            col(Invoice.status).in_(OPEN_STATUSES),
        )
        .group_by(Invoice.client_id, Invoice.currency)
    ).all()
    result: dict[int, dict] = {}
    for client_id, currency, total in rows:
        if total:
            result.setdefault(client_id, {})[currency] = int(total)
    return result


def format_balances(balances: dict[str, int], locale: str) -> str:
    """'$1,200.00 · €80.00' in currency order; '' when nothing is owed."""
    return " · ".join(
        format_money(minor, currency, locale) for currency, minor in sorted(balances.items())
    )


def list_clients(
    session: Session, *, actor: StaffActor, search: str = "", page: int = 1, page_size: int = 25
) -> ClientPage:
    """One page of the company's clients by name, searched in name, number and e-mails."""
    _require_staff(actor)
    page = page if isinstance(page, int) and 1 <= page <= 100_000 else 1
    page_size = page_size if page_size in PAGE_SIZES else 25
    conditions = [Client.company_id == actor.company_id]
    term = str(search or "").strip()[:MAX_SEARCH]
    if term:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        contact_match = select(ClientContact.client_id).where(
            ClientContact.company_id == actor.company_id,
            col(ClientContact.email).ilike(pattern, escape="\\"),
        )
        conditions.append(
            or_(
                col(Client.name).ilike(pattern, escape="\\"),
                col(Client.number).ilike(pattern, escape="\\"),
                col(Client.email).ilike(pattern, escape="\\"),
                col(Client.id).in_(contact_match),
            )
        )
    where = and_(*conditions)
    rows = session.exec(
        select(Client)
        .where(where)
        .order_by(func.lower(Client.name), col(Client.id))
        .offset((page - 1) * page_size)
        .limit(page_size + 1)
    ).all()
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    capped = select(Client.id).where(where).limit(COUNT_CAP + 1).subquery()
    total = session.exec(select(func.count()).select_from(capped)).one()

    ids = [row.id for row in rows]
    balances = open_balances(session, company_id=actor.company_id, client_ids=ids)
    counts = dict(
        session.exec(
            select(ClientContact.client_id, func.count())
            .where(col(ClientContact.client_id).in_(ids or [0]))
            .group_by(ClientContact.client_id)
        ).all()
    )
    locale = company_locale(session, actor.company_id)
    return ClientPage(
        rows=[
            ClientRowView(
                id=row.id,
                name=row.name,
                number=row.number,
                email=row.email,
                contacts=int(counts.get(row.id, 0)),
                balances=format_balances(balances.get(row.id, {}), locale),
            )
            for row in rows
        ],
        page=page,
        page_size=page_size,
        total=min(total, COUNT_CAP),
        total_is_capped=total > COUNT_CAP,
        has_next=has_next,
    )


def _clean(value: object, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def _check_email(field: str, email: str, *, required: bool) -> str:
    email = normalize_email(email)
    if not email:
        if required:
            raise ValidationError(field, gettext("Enter an e-mail address."))
        return ""
    if len(email) > 254 or not EMAIL_PATTERN.fullmatch(email):
        raise ValidationError(field, gettext("Enter a valid e-mail address."))
    return email


def parse_client_form(form: ClientForm, *, default_currency: str) -> dict:
    """The client's columns from the typed form; ValidationError naming the first bad field."""
    name = _clean(form.name, 201)
    if not name:
        raise ValidationError("name", gettext("Enter the client's name."))
    if len(name) > 200:
        raise ValidationError("name", gettext("Use at most 200 characters."))
    currency = (_clean(form.currency, 3) or default_currency).upper()
    if currency not in SUPPORTED_CURRENCIES:
        raise ValidationError(
            "currency",
            gettext("Choose one of %(currencies)s.")
            % {"currencies": ", ".join(SUPPORTED_CURRENCIES)},
        )
    locale = _clean(form.locale, 20)
    if locale and not valid_locale(locale):
        raise ValidationError("locale", gettext("Not a known locale (e.g. en_US, de_DE)."))
    country_code = _clean(form.country_code, 3).upper()
    if country_code and not valid_country_code(country_code):
        raise ValidationError(
            "country_code", gettext("Use the two-letter ISO country code, e.g. DE.")
        )
    return {
        "name": name,
        "number": _clean(form.number, 50),
        "email": _check_email("email", form.email, required=False),
        "phone": _clean(form.phone, 50),
        "address1": _clean(form.address1, 200),
        "city": _clean(form.city, 100),
        "postal_code": _clean(form.postal_code, 20),
        "country": _clean(form.country, 100),
        "vat_number": _clean(form.vat_number, 50),
        "country_code": country_code,
        "buyer_reference": _clean(form.buyer_reference, 100),
        "currency": currency,
        "locale": locale,
    }


def create_client(session: Session, *, actor: StaffActor, form: ClientForm) -> Client:
    """Add a client to the actor's company."""
    _require_staff(actor)
    staff_scope.require_role(actor, staff_scope.StaffAction.MANAGE_CLIENTS)
    company = session.get(Company, actor.company_id)
    values = parse_client_form(form, default_currency=company.currency if company else "USD")
    client = Client(company_id=actor.company_id, **values)
    session.add(client)
    session.flush()
    _audit(
        session,
        actor,
        "client_created",
        client_id=client.id,
        entity_type="client",
        entity_id=client.id,
    )
    return client


def update_client(
    session: Session, *, actor: StaffActor, client_id: object, form: ClientForm
) -> Client:
    """Change a client's details (currency only while it has no invoices in another one)."""
    staff_scope.require_role(actor, staff_scope.StaffAction.MANAGE_CLIENTS)
    client = get_client(session, actor=actor, client_id=client_id)
    values = parse_client_form(form, default_currency=client.currency)
    changed = {k: v for k, v in values.items() if getattr(client, k) != v}
    for key, value in changed.items():
        setattr(client, key, value)
    session.add(client)
    if changed:
        _audit(
            session,
            actor,
            "client_updated",
            client_id=client.id,
            entity_type="client",
            entity_id=client.id,
            details={"fields": sorted(changed)},
        )
    return client


def client_form(client: Client) -> ClientForm:
    """The form filled with a client's current values."""
    return ClientForm(**{k: str(getattr(client, k) or "") for k in asdict(ClientForm())})


def _email_taken(session: Session, company_id: int, email: str, except_id: int | None) -> bool:
    statement = select(ClientContact.id).where(
        ClientContact.company_id == company_id, ClientContact.email == email
    )
    if except_id is not None:
        statement = statement.where(ClientContact.id != except_id)
    return session.exec(statement).first() is not None


def _apply_contact(session: Session, contact: ClientContact, form: ContactForm) -> list[str]:
    values = {
        "first_name": _clean(form.first_name, 100),
        "last_name": _clean(form.last_name, 100),
        "email": _check_email("contact_email", form.email, required=True),
        "is_primary": bool(form.is_primary),
        "portal_enabled": bool(form.portal_enabled),
    }
    if _email_taken(session, contact.company_id, values["email"], contact.id):
        raise ValidationError("contact_email", gettext(DUPLICATE_EMAIL))
    changed = [k for k, v in values.items() if getattr(contact, k) != v]
    for key in changed:
        setattr(contact, key, values[key])
    return changed


def _one_primary(session: Session, contact: ClientContact) -> None:
    # A client has at most one primary contact: making one primary demotes the others.
    if not contact.is_primary:
        return
    others = session.exec(
        select(ClientContact).where(
            ClientContact.client_id == contact.client_id,
            ClientContact.id != contact.id,
            ClientContact.is_primary == True,  # noqa: E712
        )
    ).all()
    for other in others:
        other.is_primary = False
        session.add(other)
    session.flush()


def _revoke_sessions(session: Session, contact_id: int) -> int:
    rows = session.exec(
        select(AuthSession).where(
            AuthSession.contact_id == contact_id,
            AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


def add_contact(
    session: Session, *, actor: StaffActor, client_id: object, form: ContactForm
) -> ClientContact:
    """Add a contact to a client (no password yet: set one or send a password link)."""
    staff_scope.require_role(actor, staff_scope.StaffAction.MANAGE_CLIENTS)
    client = get_client(session, actor=actor, client_id=client_id)
    contact = ClientContact(company_id=client.company_id, client_id=client.id, email="")
    _apply_contact(session, contact, form)
    session.add(contact)
    session.flush()
    _one_primary(session, contact)
    _audit(
        session,
        actor,
        "contact_created",
        client_id=client.id,
        entity_type="contact",
        entity_id=contact.id,
    )
    return contact


def update_contact(
    session: Session, *, actor: StaffActor, contact_id: object, form: ContactForm
) -> ClientContact:
    """Change a contact; switching portal access off signs out its open sessions."""
    staff_scope.require_role(actor, staff_scope.StaffAction.MANAGE_CLIENTS)
    contact = get_contact(session, actor=actor, contact_id=contact_id)
    changed = _apply_contact(session, contact, form)
    session.add(contact)
    _one_primary(session, contact)
    revoked = 0
    if "portal_enabled" in changed and not contact.portal_enabled:
        revoked = _revoke_sessions(session, contact.id)
    if changed:
        _audit(
            session,
            actor,
            "contact_updated",
            client_id=contact.client_id,
            entity_type="contact",
            entity_id=contact.id,
            details={"fields": sorted(changed), "sessions_revoked": revoked},
        )
    return contact


def set_contact_password(
    session: Session, *, actor: StaffActor, contact_id: object, password: str
) -> ClientContact:
    """Give a contact a password chosen by staff (the contact's open sessions end).

    Owners and admins only: whoever sets it can sign in as the contact with a full session,
    so plain staff may only e-mail the contact a link to choose one (`send_password_link`).
    """
    staff_scope.require_role(actor, staff_scope.StaffAction.SET_CONTACT_PASSWORD)
    contact = get_contact(session, actor=actor, contact_id=contact_id)
    if problem := password_problem(str(password or "")):
        raise ValidationError("password", problem)
    contact.password_hash = hash_password(password)
    session.add(contact)
    revoked = _revoke_sessions(session, contact.id)
    _audit(
        session,
        actor,
        "contact_password_set",
        client_id=contact.client_id,
        entity_type="contact",
        entity_id=contact.id,
        details={"sessions_revoked": revoked},
    )
    return contact


def _password_link_email(contact: ClientContact, company: Company, link: str) -> dict[str, str]:
    minutes = get_settings().password_reset_minutes
    company_name = " ".join(company.name.split())
    text = (
        f"Hello {contact.display_name},\n\n"
        f"{company_name} gives you access to its client portal, where you can see and pay "
        f"your invoices.\nTo choose your password, open this link within {minutes} minutes:\n\n"
        f"{link}\n\nThe link works once.\n"
    )
    return {"subject": f"Choose your {company_name} portal password", "text": text}


def send_password_link(session: Session, *, actor: StaffActor, contact_id: object) -> str:
    """Queue an e-mail with a single-use link to choose a password; return its token.

    ValidationError when portal access is off. The message goes into the outbox in the
    caller's transaction and is sent (and retried) by the outbox job.
    """
    staff_scope.require_role(actor, staff_scope.StaffAction.MANAGE_CLIENTS)
    contact = get_contact(session, actor=actor, contact_id=contact_id)
    if not contact.portal_enabled:
        raise ValidationError("contact", gettext("Enable portal access for this contact first."))
    company = session.get(Company, contact.company_id)
    token = make_reset_token(contact)
    link = get_settings().base_url.rstrip("/") + password_reset_url(token)
    outbox.queue_email(
        session,
        company_id=contact.company_id,
        # Each click is its own event (two in one second may carry the same token).
        idempotency_key=f"contact_password_link:{contact.id}:{secrets.token_hex(16)}",
        kind="contact_password_link",
        to=contact.email,
        entity_type="contact",
        entity_id=contact.id,
        **_password_link_email(contact, company, link),
    )
    _audit(
        session,
        actor,
        "contact_password_link_sent",
        client_id=contact.client_id,
        entity_type="contact",
        entity_id=contact.id,
    )
    return token


def contact_views(session: Session, *, actor: StaffActor, client_id: int) -> list[ContactView]:
    """The client's contacts, primary first."""
    locale = company_locale(session, actor.company_id)
    rows = session.exec(
        select(ClientContact)
        .where(ClientContact.company_id == actor.company_id, ClientContact.client_id == client_id)
        .order_by(col(ClientContact.is_primary).desc(), col(ClientContact.id))
    ).all()
    return [
        ContactView(
            id=row.id,
            name=row.display_name,
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            is_primary=row.is_primary,
            portal_enabled=row.portal_enabled,
            has_password=bool(row.password_hash),
            last_login=format_day(row.last_login_at, locale),
            email_confirmed=row.email_confirmed_at is not None,
        )
        for row in rows
    ]
