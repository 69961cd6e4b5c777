"""Which e-mails a client contact gets, and the one way every e-mail to a contact is queued.

Optional kinds (OPTIONAL_KINDS) can be switched off: on /client/profile, or by the unsubscribe
link each of them carries (also its List-Unsubscribe header, one click per RFC 8058). A
switched-off kind is one EmailOptOut row. Receipts, failed payments, a cancelled subscription
and the documents staff send are not optional: they have no unsubscribe link.

`send_to_contact` is the single path of these e-mails: in the caller's transaction it picks the
contact (the client's billing contact unless named), leaves out an opted-out contact, writes the
message in the contact's language with the company's branding (services/mail/layout.py) and
queues it in the outbox under an idempotency key that names the event, so a job run twice or a
webhook replayed queues it once.

An unsubscribe token is signed (core.signing) and names the company, the contact and the kind;
it works UNSUBSCRIBE_DAYS. Tokens of the payment reminders sent before the other kinds existed
(their own purpose, no kind) still unsubscribe from reminders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from portal_app.core import routes
from portal_app.core.db import id_of
from portal_app.core.i18n import N_, gettext, use_language
from portal_app.core.locale import display_locale
from portal_app.core.settings import get_settings
from portal_app.core.signing import InvalidToken, Purpose, sign, unsign
from portal_app.models import Client, ClientContact, Company, OutboxMessage
from portal_app.models.client import EmailOptOut
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.language import email_language
from portal_app.services.mail import layout, outbox

PAYMENT_REMINDER = "payment_reminder"
TRIAL_ENDING = "trial_ending"
SUBSCRIPTION_RENEWED = "subscription_renewed"
CARD_EXPIRING = "card_expiring"
RECURRING_INVOICE = "recurring_invoice_issued"
# The kinds a contact may switch off, in the order the profile lists them, with their names.
OPTIONAL_KINDS: dict[str, str] = {
    PAYMENT_REMINDER: N_("Payment reminders"),
    RECURRING_INVOICE: N_("New invoices from a recurring schedule"),
    TRIAL_ENDING: N_("A trial about to end"),
    SUBSCRIPTION_RENEWED: N_("Subscription renewals"),
    CARD_EXPIRING: N_("A saved card expiring before the next charge"),
}
# Uploaded logos live under this path (services/company/branding.py serves them).
LOGO_PATH_PREFIX = routes.API_BRANDING_LOGO.removesuffix("{name}")
# How long an unsubscribe link works (the e-mail it came in may be read weeks later).
UNSUBSCRIBE_DAYS = 180


def billing_contact(session: Session, *, company_id: int, client_id: int) -> ClientContact | None:
    """Who a client's e-mails go to: its primary contact, else the first with portal access."""
    return session.exec(
        select(ClientContact)
        .where(
            ClientContact.client_id == client_id,
            ClientContact.company_id == company_id,
            ClientContact.portal_enabled == True,  # noqa: E712
        )
        .order_by(col(ClientContact.is_primary).desc(), col(ClientContact.id))
    ).first()


def wants(session: Session, contact: ClientContact, kind: str) -> bool:
    """True unless `kind` is optional and the contact switched it off."""
    if kind not in OPTIONAL_KINDS:
        return True
    return (
        session.exec(
            select(EmailOptOut.id).where(
                EmailOptOut.contact_id == contact.id, EmailOptOut.kind == kind
            )
        ).first()
        is None
    )


def switched_off(session: Session, contact_id: int) -> set[str]:
    """The optional kinds a contact switched off."""
    return set(
        session.exec(select(EmailOptOut.kind).where(EmailOptOut.contact_id == contact_id)).all()
    )


def _set(session: Session, contact: ClientContact, kind: str, on: bool) -> bool:
    """Switch one optional kind on or off for a contact; True when that changed anything."""
    if kind not in OPTIONAL_KINDS:
        raise ValueError(f"not an optional e-mail: {kind}")
    if on:
        gone = session.exec(
            delete(EmailOptOut).where(
                col(EmailOptOut.contact_id) == contact.id, col(EmailOptOut.kind) == kind
            )
        ).rowcount  # type: ignore[attr-defined]
        return gone > 0
    if not wants(session, contact, kind):
        return False
    session.add(EmailOptOut(company_id=contact.company_id, contact_id=id_of(contact), kind=kind))
    session.flush()
    return True


@dataclass(frozen=True, slots=True)
class EmailChoice:
    """One optional kind on the profile: its key, its name (translated) and whether it is on."""

    kind: str
    label: str
    enabled: bool


def email_choices(session: Session, contact: ClientContact) -> list[EmailChoice]:
    """The optional kinds of e-mail, in profile order, and which of them the contact gets."""
    off = switched_off(session, id_of(contact))
    return [EmailChoice(k, gettext(label), k not in off) for k, label in OPTIONAL_KINDS.items()]


def set_email_choices(
    session: Session, *, actor: Actor, contact: ClientContact, enabled: Iterable[str]
) -> list[str]:
    """Make exactly the `enabled` optional kinds on for the actor's own contact (unknown names
    are ignored); the kinds that changed, audited. Never commits. The caller checks that the
    actor may change the profile."""
    wanted = set(enabled)
    changed = [kind for kind in OPTIONAL_KINDS if _set(session, contact, kind, kind in wanted)]
    if changed:
        audit.record(
            session,
            company_id=actor.company_id,
            client_id=actor.client_id,
            action="contact.email_choices_changed",
            actor_type="contact",
            actor_id=actor.contact_id,
            entity_type="client_contact",
            entity_id=contact.id,
            ip=actor.ip,
            details={
                "on": sorted(k for k in changed if k in wanted),
                "off": sorted(k for k in changed if k not in wanted),
            },
        )
    return changed


# -- unsubscribe links ------------------------------------------------------------------------


def unsubscribe_token(contact: ClientContact, kind: str, *, now: float | None = None) -> str:
    """The signed token of a contact's unsubscribe link for one optional kind (ids only)."""
    return sign(Purpose.EMAIL_UNSUBSCRIBE, [contact.company_id, contact.id, kind], now=now)


def unsubscribe_link(contact: ClientContact, kind: str) -> str:
    """The absolute unsubscribe URL put in an optional e-mail and its List-Unsubscribe header."""
    base = get_settings().base_url.rstrip("/")
    return base + routes.email_unsubscribe_url(unsubscribe_token(contact, kind))


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    """What a valid unsubscribe token names, and the language to answer in."""

    contact_id: int
    kind: str
    language: str
    subscribed: bool


def _payload(token: object, now: float | None) -> tuple[int, int, str] | None:
    max_age = UNSUBSCRIBE_DAYS * 86400
    try:
        company_id, contact_id, kind = unsign(
            Purpose.EMAIL_UNSUBSCRIBE, token, max_age=max_age, now=now
        )
        return int(company_id), int(contact_id), str(kind)
    except (InvalidToken, TypeError, ValueError):
        pass
    try:  # a payment reminder's link from before the other kinds
        company_id, contact_id = unsign(
            Purpose.REMINDER_UNSUBSCRIBE, token, max_age=max_age, now=now
        )
        return int(company_id), int(contact_id), PAYMENT_REMINDER
    except (InvalidToken, TypeError, ValueError):
        return None


def _contact_of(
    session: Session, token: object, now: float | None
) -> tuple[ClientContact, str, str] | None:
    payload = _payload(token, now)
    if payload is None:
        return None
    company_id, contact_id, kind = payload
    if kind not in OPTIONAL_KINDS:
        return None
    contact = session.get(ClientContact, contact_id)
    if contact is None or contact.company_id != company_id:
        return None
    client = session.get(Client, contact.client_id)
    company = session.get(Company, company_id)
    if client is None or company is None:
        return None
    return contact, kind, email_language(contact, client, company)


def read_unsubscribe_token(
    session: Session, token: object, *, now: float | None = None
) -> Unsubscribed | None:
    """What a valid unsubscribe token names, or None for a forged, expired or foreign one (or a
    contact that no longer exists)."""
    found = _contact_of(session, token, now)
    if found is None:
        return None
    contact, kind, lang = found
    return Unsubscribed(id_of(contact), kind, lang, wants(session, contact, kind))


def unsubscribe(
    session: Session,
    *,
    token: object,
    ip: str = "",
    now: float | None = None,
    subscribe: bool = False,
) -> Unsubscribed | None:
    """Switch off (or, with `subscribe`, back on) the kind of e-mail the token names for its
    contact (never commits). Returns what it names (also when nothing changed), None for a bad
    token."""
    found = _contact_of(session, token, now)
    if found is None:
        return None
    contact, kind, lang = found
    if _set(session, contact, kind, subscribe):
        audit.record(
            session,
            company_id=contact.company_id,
            action="contact.email_resubscribed" if subscribe else "contact.email_unsubscribed",
            actor_type="contact",
            actor_id=contact.id,
            client_id=contact.client_id,
            entity_type="client_contact",
            entity_id=contact.id,
            ip=ip,
            details={"kind": kind},
        )
    return Unsubscribed(id_of(contact), kind, lang, subscribe)


# -- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    """Whom a message is written for, for its builder: contact, client, company, money and date
    locale, and the portal's base URL (no trailing slash)."""

    contact: ClientContact
    client: Client
    company: Company
    locale: str
    base_url: str


def send_to_contact(
    session: Session,
    *,
    company_id: int,
    client_id: int,
    kind: str,
    key: str,
    build: Callable[[Recipient], layout.Body],
    contact: ClientContact | None = None,
    entity_type: str = "",
    entity_id: int | None = None,
    attachments: Callable[[Recipient], Sequence[outbox.Attachment]] | None = None,
) -> str:
    """Queue one e-mail to a client's contact in the caller's transaction (never commits).

    `build` writes the message's words; it runs in the contact's language. `key` is the outbox
    idempotency key of the event. Outcome: "queued", "sent_before" (this key was queued
    already), "opted_out" or "no_contact".
    """
    if session.exec(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).first():
        return "sent_before"
    if contact is None:
        contact = billing_contact(session, company_id=company_id, client_id=client_id)
    if contact is None:
        return "no_contact"
    if not wants(session, contact, kind):
        return "opted_out"
    company = session.get_one(Company, company_id)
    client = session.get_one(Client, client_id)
    language = email_language(contact, client, company)
    recipient = Recipient(
        contact=contact,
        client=client,
        company=company,
        # Money and dates as the contact reads them, in the client's region.
        locale=display_locale(language, client.locale or company.locale or "en_US"),
        base_url=get_settings().base_url.rstrip("/"),
    )
    unsubscribe = unsubscribe_link(contact, kind) if kind in OPTIONAL_KINDS else ""
    with use_language(language):
        message = layout.render(
            build(recipient),
            brand=layout.branding(
                company.name,
                company.primary_color,
                # Only a logo uploaded here is linked (served by our own route).
                recipient.base_url + company.logo_path
                if company.logo_path.startswith(LOGO_PATH_PREFIX)
                else "",
            ),
            recipient_name=contact.first_name or contact.display_name,
            unsubscribe=unsubscribe,
        )
        files = attachments(recipient) if attachments else ()
    queued = outbox.queue_email(
        session,
        company_id=company_id,
        idempotency_key=key,
        kind=kind,
        to=contact.email,
        entity_type=entity_type,
        entity_id=entity_id,
        attachments=files,
        list_unsubscribe=unsubscribe,
        **message,
    )
    return "queued" if queued else "sent_before"
