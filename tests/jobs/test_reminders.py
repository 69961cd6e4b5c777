"""Payment reminders over a simulated month: the payment_reminders job run every day, the
outbox sender after it, and the e-mails read from a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from sqlmodel import col, select

from portal_app.jobs.reminders import send_payment_reminders
from portal_app.models import OutboxMessage
from portal_app.models.client import EmailOptOut
from portal_app.services.billing import reminders
from portal_app.services.payments import ledger
from tests.helpers.mailbox import deliver

START = date.today()
DUE = START + timedelta(days=10)


def _company(make, days: str, **kw):
    return make.company(reminder_days=days, **kw)


def _open_invoice(make, company, **contact_kw):
    client = make.client(company)
    contact = make.contact(client, is_primary=True, **contact_kw)
    invoice = make.invoice(client, issue_date=START, due_date=DUE)
    return client, contact, invoice


def _simulate(session, job_ctx, mailbox, addresses, *, first, last):
    """Run the job and the outbox sender once a day for the day offsets first..last-1;
    {address: [the day offsets a message for it arrived on]}."""
    seen = {address: [] for address in addresses}
    counts = {address: len(mailbox.to(address)) for address in addresses}
    for offset in range(first, last):
        send_payment_reminders(job_ctx(START + timedelta(days=offset)))
        deliver(session)
        for address in addresses:
            now = len(mailbox.to(address))
            seen[address] += [offset] * (now - counts[address])
            counts[address] = now
    return seen


def _rows(session, invoice_id):
    return session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.entity_id == invoice_id, OutboxMessage.kind == reminders.KIND)
        .order_by(col(OutboxMessage.id))
    ).all()


def test_a_month_of_daily_runs(make, session, job_ctx, mailbox):
    company = _company(make, "-3,7,14")
    _, open_contact, open_invoice = _open_invoice(make, company)
    paid_client, paid_contact, paid_later = _open_invoice(make, company)
    _, settled_contact, settled = _open_invoice(make, company)
    _, draft_contact, draft = _open_invoice(make, company)
    draft.status = "draft"
    _, cancelled_contact, cancelled = _open_invoice(make, company)
    cancelled.status = "cancelled"
    _, opted_contact, opted_invoice = _open_invoice(make, company)
    session.add(
        EmailOptOut(company_id=company.id, contact_id=opted_contact.id, kind="payment_reminder")
    )
    # Another company's schedule is its own: one step, a day after the due date.
    other = _company(make, "1")
    _, other_contact, other_invoice = _open_invoice(make, other)
    # A company without a schedule sends nothing.
    silent = _company(make, "")
    _, silent_contact, _silent_invoice = _open_invoice(make, silent)
    # Paid in full before anything was due.
    settled.status, settled.balance_minor, settled.paid_to_date_minor = (
        "paid",
        0,
        settled.amount_minor,
    )
    session.add_all([draft, cancelled, settled])
    session.flush()

    addresses = [
        c.email
        for c in (
            open_contact,
            paid_contact,
            settled_contact,
            draft_contact,
            cancelled_contact,
            opted_contact,
            other_contact,
            silent_contact,
        )
    ]
    # Days 0-11: the step 3 days before the due date (day 7) only.
    seen = _simulate(session, job_ctx, mailbox, addresses, first=0, last=12)
    assert seen[open_contact.email] == [7]
    assert seen[paid_contact.email] == [7]
    assert seen[other_contact.email] == [11]

    # The second client pays on day 12: no reminder after that.
    ledger_payment = make.payment(paid_client, amount_minor=paid_later.balance_minor)
    ledger.allocate_payment(
        session,
        payment=ledger_payment,
        invoice_id=paid_later.id,
        amount_minor=paid_later.balance_minor,
    )
    later = _simulate(session, job_ctx, mailbox, addresses, first=12, last=40)

    assert later[open_contact.email] == [17, 24]  # due + 7 and due + 14
    assert later[paid_contact.email] == []
    assert later[other_contact.email] == []
    for contact in (settled_contact, draft_contact, cancelled_contact, opted_contact):
        assert seen[contact.email] == later[contact.email] == []
    assert seen[silent_contact.email] == later[silent_contact.email] == []

    # Exactly one outbox row per step, however many times the job ran.
    keys = [row.idempotency_key for row in _rows(session, open_invoice.id)]
    assert keys == [reminders.idempotency_key(open_invoice.id, d) for d in (-3, 7, 14)]
    assert len(_rows(session, opted_invoice.id)) == 0
    # Running a step's day again queues nothing new.
    send_payment_reminders(job_ctx(DUE + timedelta(days=14)))
    assert len(_rows(session, open_invoice.id)) == 3


def test_the_email_links_language_and_unsubscribe_header(make, session, job_ctx, mailbox):
    company = _company(make, "7", name="Northwind Studio")
    _, contact, invoice = _open_invoice(make, company, language="de", first_name="Anna")
    send_payment_reminders(job_ctx(DUE + timedelta(days=7)))
    deliver(session)
    (message,) = mailbox.to(contact.email)
    # (Whitespace compared loosely: a long non-ASCII subject is folded into encoded words.)
    assert " ".join(message["Subject"].split()) == (
        f"Zahlungserinnerung: Rechnung {invoice.number} von Northwind Studio ist überfällig"
    )
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Guten Tag Anna," in text
    link = re.search(r"https?://\S+/client/invoice/\S+", text)
    assert link, text
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert urlsplit(unsubscribe).path.startswith("/api/email/unsubscribe/")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert link.group(0) in html


def test_a_missed_run_catches_up_once_and_old_steps_stay_quiet(make, session, job_ctx):
    company = _company(make, "-3,7")
    _, _contact, invoice = _open_invoice(make, company)
    # The job did not run for days: on due + 9 it sends the latest step reached (7), once.
    send_payment_reminders(job_ctx(DUE + timedelta(days=9)))
    send_payment_reminders(job_ctx(DUE + timedelta(days=10)))
    assert [r.idempotency_key for r in _rows(session, invoice.id)] == [
        reminders.idempotency_key(invoice.id, 7)
    ]
    # A schedule set long after the due date does not e-mail about ancient invoices.
    _, _c2, old = _open_invoice(make, company)
    old.due_date = START - timedelta(days=200)
    old.issue_date = START - timedelta(days=230)
    session.add(old)
    session.flush()
    send_payment_reminders(job_ctx(START))
    assert _rows(session, old.id) == []
