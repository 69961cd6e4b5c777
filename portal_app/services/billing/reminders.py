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

The reminder goes to the client's billing contact, in their language, with a link opening the
invoice without a password (an invitation, like the "invoice sent" e-mail) and an unsubscribe
link (services/identity/email_choices.py, which queues it). A contact who switched reminders
off (on the profile or by that link) gets none, and neither does an invoice with an open dispute
(billing/disputes.py): its steps wait, and once staff resolve it the next run sends the step
reached by then (within the catch-up window).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlmodel import Session, col, select

from portal_app.core import routes
from portal_app.core.i18n import _
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.models import Company, Invoice
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.schemas.company_settings import reminder_steps
from portal_app.services.billing.disputes import in_dispute, not_in_dispute
from portal_app.services.identity import audit, email_choices, invitations
from portal_app.services.mail import layout

log = logging.getLogger(__name__)

# A step reached this many days ago is still sent (the job did not run on its day).
CATCH_UP_DAYS = 7
KIND = email_choices.PAYMENT_REMINDER


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
                not_in_dispute(Invoice.id),
            )
            .order_by(col(Invoice.id))
        ).all()
        for invoice in invoices:
            step = step_due(invoice, steps, today)
            if step is not None:
                found.append((invoice.id, step))
    return found


def reminder_body(
    invoice: Invoice, company: Company, *, locale: str, overdue: bool, link: str
) -> layout.Body:
    """The words of one reminder, in the current language."""
    values = {
        "number": invoice.number,
        "company": " ".join(company.name.split()),
        "amount": format_money(invoice.balance_minor, invoice.currency, locale),
        "date": format_day(invoice.due_date, locale),
    }
    if overdue:
        subject = _("Reminder: invoice %(number)s from %(company)s is overdue") % values
        fact = _("Invoice %(number)s was due on %(date)s; %(amount)s is still open.") % values
    else:
        subject = _("Reminder: invoice %(number)s from %(company)s is due on %(date)s") % values
        fact = _("Invoice %(number)s for %(amount)s is due on %(date)s.") % values
    return layout.Body(
        subject=subject,
        paragraphs=[fact, _("If you have paid already, please ignore this reminder.")],
        action=_("To view and pay it, open this link:"),
        link=link,
    )


def send_reminder(session: Session, *, invoice_id: int, step: int, today: date) -> str:
    """Queue the reminder for `step` of one invoice in the caller's transaction (never
    commits). The outcome: "queued", "sent_before" (this step went out already), "closed"
    (paid, cancelled or otherwise no longer open), "in_dispute" (an open dispute pauses it),
    "opted_out" or "no_contact"."""
    invoice = session.get(Invoice, invoice_id)
    if (
        invoice is None
        or invoice.status not in PAYABLE_STATUSES
        or invoice.balance_minor <= 0
        or invoice.due_date is None
    ):
        return "closed"
    if in_dispute(session, invoice.id):
        return "in_dispute"
    due_date = invoice.due_date

    def build(to: email_choices.Recipient) -> layout.Body:
        key = invitations.create_invoice_invitation(session, contact=to.contact, invoice=invoice)
        link = to.base_url + routes.invoice_link_url(key)
        return reminder_body(
            invoice, to.company, locale=to.locale, overdue=due_date < today, link=link
        )

    outcome = email_choices.send_to_contact(
        session,
        company_id=invoice.company_id,
        client_id=invoice.client_id,
        kind=KIND,
        key=idempotency_key(invoice.id, step),
        build=build,
        entity_type="invoice",
        entity_id=invoice.id,
    )
    if outcome == "queued":
        # The client's activity page shows it (services/company/client_activity.py).
        audit.record(
            session,
            company_id=invoice.company_id,
            client_id=invoice.client_id,
            action="payment_reminder_sent",
            actor_type="system",
            actor_id=None,
            entity_type="invoice",
            entity_id=invoice.id,
            details={"step": step},
        )
    return outcome
