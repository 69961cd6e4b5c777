"""E-mailing a document to a client contact: an invitation link, the message, "sent", the audit.

Invoices and quotes get an emailed link (an Invitation key, >= 128 bits, stored hashed) that
opens /client/invoice/[key] or /client/quote/[key] without a password. Credits have no emailed
link yet: their message points at the credit in the signed-in portal.

Invoices and credit notes are attached in the client's e-invoice format (plain PDF, hybrid
Factur-X PDF, or the hybrid and the UBL XML; services/billing/einvoice_format.py), which the
document records as its sent_format. The message is queued in the outbox in the caller's
transaction, with the document marked sent; the outbox job sends it and retries while the
mail server is down (staff see its status on the outbox page).
"""

from __future__ import annotations

import html
import logging
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.core.i18n import N_, gettext, use_language
from portal_app.core.locale import display_locale, format_day
from portal_app.core.money import format_money
from portal_app.core.paging import parse_record_id
from portal_app.core.routes import credit_url, invoice_link_url, login_url, quote_link_url
from portal_app.core.settings import get_settings
from portal_app.core.tokens import token_hash
from portal_app.models import Client, ClientContact, Company, Invitation
from portal_app.services.billing import einvoice_format
from portal_app.services.billing.staff_records import CREDIT, INVOICE, QUOTE, Kind, mark_sent
from portal_app.services.identity import invitations
from portal_app.services.identity.language import email_language
from portal_app.services.identity.staff_scope import record
from portal_app.services.mail import outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EmailedDocument:
    """Who got the message and the link it carried (absolute URL)."""

    contact_id: int
    email: str
    link: str


def choose_contact(session: Session, *, client_id: int, company_id: int, raw_id=None):
    """The contact to e-mail: the one asked for (must be this client's, with portal access),
    else the primary contact, else the first with portal access."""
    statement = select(ClientContact).where(
        ClientContact.client_id == client_id,
        ClientContact.company_id == company_id,
        ClientContact.portal_enabled == True,  # noqa: E712
    )
    if raw_id not in (None, ""):
        try:
            contact_id = parse_record_id(raw_id, "contact")
        except Exception:
            raise ValidationError(
                "contact_id", gettext("Choose one of this client's contacts.")
            ) from None
        contact = session.exec(statement.where(ClientContact.id == contact_id)).first()
        if contact is None:
            raise ValidationError("contact_id", gettext("Choose one of this client's contacts."))
        return contact
    contacts = session.exec(
        statement.order_by(ClientContact.is_primary.desc(), ClientContact.id)
    ).all()
    if not contacts:
        raise ValidationError(
            "contact_id", gettext("This client has no contact with portal access.")
        )
    return contacts[0]


# What each kind's e-mail says, whole sentences per kind (translated where the e-mail is built).
_FACT = {
    "invoice": N_("Invoice %(number)s for %(amount)s."),
    "quote": N_("Quote %(number)s for %(amount)s."),
    "credit": N_("Credit note %(number)s for %(amount)s."),
}
_ACTION = {
    "invoice": N_("To view and pay it, open this link:"),
    "quote": N_("To view and approve it, open this link:"),
    "credit": N_("To view it, sign in to the portal:"),
}
_SUBJECT = {
    "invoice": N_("Invoice %(number)s from %(company)s"),
    "quote": N_("Quote %(number)s from %(company)s"),
    "credit": N_("Credit note %(number)s from %(company)s"),
}


def _message(
    kind: Kind, row, company: Company, contact: ClientContact, link: str, locale: str
) -> dict:
    """Subject, text and HTML of a document e-mail, in the current language (the contact's)
    with money and dates in `locale`."""
    amount = format_money(row.amount_minor, row.currency, locale)
    facts = [gettext(_FACT[kind.name]) % {"number": row.number, "amount": amount}]
    if kind.name == "invoice":
        balance = format_money(row.balance_minor, row.currency, locale)
        if row.due_date:
            facts.append(
                gettext("Balance due %(amount)s by %(date)s.")
                % {"amount": balance, "date": format_day(row.due_date, locale)}
            )
        if row.partial_minor and row.partial_due_date:
            deposit = format_money(row.partial_minor, row.currency, locale)
            by = format_day(row.partial_due_date, locale)
            facts.append(
                gettext("A deposit of %(amount)s is due by %(date)s.")
                % {"amount": deposit, "date": by}
            )
    elif kind.name == "quote" and row.valid_until:
        facts.append(
            gettext("Valid until %(date)s.") % {"date": format_day(row.valid_until, locale)}
        )
    action = gettext(_ACTION[kind.name])
    name = contact.first_name or contact.display_name
    hello = gettext("Hello %(name)s,") % {"name": name}
    text = f"{hello}\n\n" + "\n".join(facts) + f"\n\n{action}\n{link}\n\n{company.name}\n"
    safe_link = html.escape(link, quote=True)
    body = "".join(f"<p>{html.escape(fact)}</p>" for fact in facts)
    html_body = (
        f"<p>{html.escape(hello)}</p>{body}<p>{html.escape(action)}</p>"
        f'<p><a href="{safe_link}">{safe_link}</a></p><p>{html.escape(company.name)}</p>'
    )
    subject = gettext(_SUBJECT[kind.name]) % {"number": row.number, "company": company.name}
    subject = subject.replace("\r", " ").replace("\n", " ")
    return {"to": contact.email, "subject": subject[:200], "text": text, "html": html_body}


def email_document(
    session: Session, *, actor, kind: Kind, record_id: object, contact_id: object = None
) -> EmailedDocument:
    """E-mail one document to one contact of its client, mark it sent and record it.

    A draft becomes "sent" (it reaches the portal); cancelled or other closed documents are
    refused by mark_sent's rules. ValidationError("contact_id") when there is nobody to write
    to. The e-mail is queued in the outbox (same transaction), not sent here.
    """
    row = mark_sent(session, actor=actor, kind=kind, record_id=record_id)
    contact = choose_contact(
        session, client_id=row.client_id, company_id=row.company_id, raw_id=contact_id
    )
    company = session.get(Company, row.company_id)
    client = session.get(Client, row.client_id)
    # The e-mail and its attached PDFs are in the contact's language, not the staff user's.
    language = email_language(contact, client, company)
    locale = display_locale(language, client.locale or company.locale or "en_US")
    base = get_settings().base_url.rstrip("/")
    if kind is INVOICE:
        key = invitations.create_invoice_invitation(session, contact=contact, invoice=row)
        link = base + invoice_link_url(key)
    elif kind is QUOTE:
        key = invitations.create_quote_invitation(session, contact=contact, quote=row)
        link = base + quote_link_url(key)
    elif kind is CREDIT:
        link = base + login_url(credit_url(row.id))
    else:  # pragma: no cover - every kind is listed above
        raise ValueError(kind.name)
    # Invoices and credit notes go with their files in the client's e-invoice format.
    fmt, attachments = "", []
    if kind is not QUOTE:
        with use_language(language):
            fmt, attachments = einvoice_format.document_attachments(
                session, kind_name=kind.name, row=row, contact=contact
            )
        row.sent_format = fmt
        session.add(row)
    if kind is not CREDIT:
        invitation = session.exec(
            select(Invitation).where(Invitation.key_hash == token_hash(key))
        ).one()
        invitation.sent_at = utcnow()
        session.add(invitation)
    session.flush()
    with use_language(language):
        message = _message(kind, row, company, contact, link, locale)
    outbox.queue_email(
        session,
        company_id=row.company_id,
        # Each e-mailing is its own event: a new invitation, or for a credit a fresh key.
        idempotency_key=f"{kind.name}.emailed:{row.id}:{secrets.token_hex(16)}",
        kind=f"{kind.name}_sent",
        entity_type=kind.name,
        entity_id=row.id,
        attachments=attachments,
        **message,
    )
    record(
        session,
        actor,
        action=f"{kind.name}.emailed",
        entity_type=kind.name,
        entity_id=row.id,
        client_id=row.client_id,
        details={"contact_id": contact.id, "to": contact.email, "format": fmt},
    )
    return EmailedDocument(contact_id=contact.id, email=contact.email, link=link)
