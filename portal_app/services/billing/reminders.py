"""Payment reminders: e-mails about open invoices on the schedule each company sets.

A company's `reminder_days` (e.g. "-3,7,14") lists days relative to an invoice's due date,
negative before it; empty sends none. The payment_reminders job (jobs/reminders.py) runs
daily: for each open invoice (sent or partly paid, balance above zero, with a due date) it
finds the latest step reached by today and queues one reminder for it through the outbox,
in the same transaction. The outbox's idempotency key `reminder:<invoice>:<step>` makes each
step go out at most once per invoice, however often the job runs. A step is sent only up to
CATCH_UP_DAYS after its day (a run missed for a few days still sends it; a schedule set today
does not e-mail every invoice that was due long ago) and only after the issue day; when a
run finds several steps reached, only the latest is sent.

The reminder goes to the client's billing contact (the primary contact, else the first with
portal access), in their language, with a link opening the invoice without a password (an
invitation, like the "invoice sent" e-mail) and an unsubscribe link (a signed token, also the
List-Unsubscribe header with one-click unsubscribe). A contact who unsubscribed
(`reminders_opt_out`) gets none. Invoices in dispute are not paused yet: disputes (issue 22
item 4) do not exist so far.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from portal_app.core import routes
from portal_app.core.i18n import _, use_language
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.core.settings import get_settings
from portal_app.core.signing import InvalidToken, Purpose, sign, unsign
from portal_app.models import Client, ClientContact, Company, Invoice, OutboxMessage
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.schemas.company_settings import reminder_steps
from portal_app.services.identity import audit, invitations
from portal_app.services.identity.language import email_language
from portal_app.services.mail import outbox

log = logging.getLogger(__name__)

# A step reached this many days ago is still sent (the job did not run on its day).
CATCH_UP_DAYS = 7
# How long an unsubscribe link works (the reminder it came in may be read weeks later).
UNSUBSCRIBE_DAYS = 180
KIND = "payment_reminder"


def schedule(company: Company) -> list[int]:
    """The company's reminder steps, days from the due date in increasing order ([]: none)."""
    return reminder_steps(company.reminder_days) or []


def step_due(invoice: Invoice, steps: list[int], today: date) -> int | None:
    """The latest step of `steps` reached by `today` for this invoice, if it is still to be
    sent today (within CATCH_UP_DAYS of its day and after the issue day); else None."""
    if invoice.due_date is None:
        return None
    reached = [d for d in steps if invoice.due_date + timedelta(days=d) <= today]
    if not reached:
        return None
    step = reached[-1]
    day = invoice.due_date + timedelta(days=step)
    if (today - day).days > CATCH_UP_DAYS or day <= invoice.issue_date:
        return None
    return step


def idempotency_key(invoice_id: int, step: int) -> str:
    """The outbox key of one reminder: one message per invoice and step, ever."""
    return f"reminder:{invoice_id}:{step}"


def due_reminders(session: Session, today: date) -> list[tuple[int, int]]:
    """(invoice id, step) of every reminder to send today, across all companies."""
    found: list[tuple[int, int]] = []
    companies = session.exec(select(Company).where(col(Company.reminder_days) != "")).all()
    for company in companies:
        steps = schedule(company)
        if not steps:
            continue
        # Only invoices whose due date puts some step within the catch-up window.
        earliest = today - timedelta(days=steps[-1] + CATCH_UP_DAYS)
        latest = today - timedelta(days=steps[0])
        invoices = session.exec(
            select(Invoice)
            .where(
                Invoice.company_id == company.id,
                col(Invoice.status).in_(PAYABLE_STATUSES),
                Invoice.balance_minor > 0,
                col(Invoice.due_date).is_not(None),
                col(Invoice.due_date) >= earliest,
                col(Invoice.due_date) <= latest,
            )
            .order_by(col(Invoice.id))
        ).all()
        for invoice in invoices:
            step = step_due(invoice, steps, today)
            if step is not None:
                found.append((invoice.id, step))
    return found


def billing_contact(session: Session, invoice: Invoice) -> ClientContact | None:
    """Who reminders about this invoice go to: the client's primary contact, else the first
    with portal access."""
    return session.exec(
        select(ClientContact)
        .where(
            ClientContact.client_id == invoice.client_id,
            ClientContact.company_id == invoice.company_id,
            ClientContact.portal_enabled == True,  # noqa: E712
        )
        .order_by(col(ClientContact.is_primary).desc(), col(ClientContact.id))
    ).first()


def unsubscribe_token(contact: ClientContact, *, now: float | None = None) -> str:
    """The signed token of a contact's unsubscribe link (ids only)."""
    return sign(Purpose.REMINDER_UNSUBSCRIBE, [contact.company_id, contact.id], now=now)


def unsubscribe_link(contact: ClientContact) -> str:
    """The absolute unsubscribe URL put in a reminder and its List-Unsubscribe header."""
    base = get_settings().base_url.rstrip("/")
    return base + routes.reminders_unsubscribe_url(unsubscribe_token(contact))


def reminder_message(
    invoice: Invoice,
    company: Company,
    contact: ClientContact,
    *,
    locale: str,
    overdue: bool,
    link: str,
    unsubscribe: str,
) -> dict:
    """Subject, plain text and HTML of one reminder, in the current language."""
    values = {
        "number": invoice.number,
        "company": " ".join(company.name.split()),
        "amount": format_money(invoice.balance_minor, invoice.currency, locale),
        "date": format_day(invoice.due_date, locale),
        "name": contact.first_name or contact.display_name,
    }
    if overdue:
        subject = _("Reminder: invoice %(number)s from %(company)s is overdue") % values
        fact = _("Invoice %(number)s was due on %(date)s; %(amount)s is still open.") % values
    else:
        subject = _("Reminder: invoice %(number)s from %(company)s is due on %(date)s") % values
        fact = _("Invoice %(number)s for %(amount)s is due on %(date)s.") % values
    hello = _("Hello %(name)s,") % values
    action = _("To view and pay it, open this link:")
    paid = _("If you have paid already, please ignore this reminder.")
    stop = _("To stop payment reminders, open this link:")
    name = values["company"]
    text = (
        f"{hello}\n\n{fact}\n\n{action}\n{link}\n\n{paid}\n\n{name}\n\n-- \n{stop}\n{unsubscribe}\n"
    )
    esc = html.escape
    html_body = (
        f"<p>{esc(hello)}</p><p>{esc(fact)}</p><p>{esc(action)}<br>"
        f'<a href="{esc(link, quote=True)}">{esc(link)}</a></p><p>{esc(paid)}</p>'
        f"<p>{esc(name)}</p><hr><p><small>{esc(stop)} "
        f'<a href="{esc(unsubscribe, quote=True)}">{esc(unsubscribe)}</a></small></p>'
    )
    subject = " ".join(subject.split())[:200]
    return {"subject": subject, "text": text, "html": html_body}


def send_reminder(session: Session, *, invoice_id: int, step: int, today: date) -> str:
    """Queue the reminder for `step` of one invoice in the caller's transaction (never
    commits). The outcome: "queued", "sent_before" (this step went out already), "closed"
    (paid, cancelled or otherwise no longer open), "opted_out" or "no_contact"."""
    invoice = session.get(Invoice, invoice_id)
    if (
        invoice is None
        or invoice.status not in PAYABLE_STATUSES
        or invoice.balance_minor <= 0
        or invoice.due_date is None
    ):
        return "closed"
    key = idempotency_key(invoice.id, step)
    if session.exec(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).first():
        return "sent_before"
    contact = billing_contact(session, invoice)
    if contact is None:
        return "no_contact"
    if contact.reminders_opt_out:
        return "opted_out"
    company = session.get(Company, invoice.company_id)
    client = session.get(Client, invoice.client_id)
    if company is None or client is None:
        return "closed"
    base = get_settings().base_url.rstrip("/")
    link = base + routes.invoice_link_url(
        invitations.create_invoice_invitation(session, contact=contact, invoice=invoice)
    )
    unsubscribe = unsubscribe_link(contact)
    locale = client.locale or company.locale or "en_US"
    with use_language(email_language(contact, client, company)):
        message = reminder_message(
            invoice,
            company,
            contact,
            locale=locale,
            overdue=invoice.due_date < today,
            link=link,
            unsubscribe=unsubscribe,
        )
    outbox.queue_email(
        session,
        company_id=invoice.company_id,
        idempotency_key=key,
        kind=KIND,
        to=contact.email,
        entity_type="invoice",
        entity_id=invoice.id,
        list_unsubscribe=unsubscribe,
        **message,
    )
    return "queued"


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    """The contact a valid unsubscribe token names, and the language to answer in."""

    contact_id: int
    language: str


def read_unsubscribe_token(
    session: Session, token: object, *, now: float | None = None
) -> Unsubscribed | None:
    """The contact of a valid unsubscribe token, or None for a forged, expired or foreign one
    (or a contact that no longer exists)."""
    try:
        payload = unsign(
            Purpose.REMINDER_UNSUBSCRIBE, token, max_age=UNSUBSCRIBE_DAYS * 86400, now=now
        )
        company_id, contact_id = (int(v) for v in payload)
    except (InvalidToken, TypeError, ValueError):
        return None
    contact = session.get(ClientContact, contact_id)
    if contact is None or contact.company_id != company_id:
        return None
    client = session.get(Client, contact.client_id)
    company = session.get(Company, company_id)
    if client is None or company is None:
        return None
    return Unsubscribed(contact.id, email_language(contact, client, company))


def unsubscribe(
    session: Session, *, token: object, ip: str = "", now: float | None = None
) -> Unsubscribed | None:
    """Stop payment reminders for the contact the token names (never commits). Returns the
    Unsubscribed contact (also when they had unsubscribed before), None for a bad token."""
    found = read_unsubscribe_token(session, token, now=now)
    if found is None:
        return None
    contact = session.get(ClientContact, found.contact_id)
    assert contact is not None  # read_unsubscribe_token found it in this session
    if not contact.reminders_opt_out:
        contact.reminders_opt_out = True
        session.add(contact)
        audit.record(
            session,
            company_id=contact.company_id,
            action="contact.reminders_unsubscribed",
            actor_type="contact",
            actor_id=contact.id,
            client_id=contact.client_id,
            entity_type="client_contact",
            entity_id=contact.id,
            ip=ip,
        )
    return found
