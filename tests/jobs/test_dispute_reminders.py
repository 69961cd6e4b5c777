"""The payment_reminders job run daily over a disputed invoice: nothing while the dispute is
open, the step reached by then once staff resolve it, read from the real SMTP test server."""

from __future__ import annotations

from datetime import date, timedelta

from portal_app.jobs.reminders import send_payment_reminders
from portal_app.services.documents import threads
from tests.helpers.mailbox import deliver
from tests.helpers.staff_docs import staff_actor

START = date.today()
DUE = START + timedelta(days=10)


def test_reminders_wait_for_the_dispute_and_resume_once_resolved(make, session, job_ctx, mailbox):
    company = make.company(reminder_days="-3,7,14")
    client = make.client(company)
    contact = make.contact(client, is_primary=True)
    invoice = make.invoice(client, issue_date=START, due_date=DUE)
    threads.post_client_message(
        session,
        actor=make.actor(contact),
        document_type="invoice",
        document_id=invoice.id,
        body="The hours on this invoice are wrong.",
        dispute=True,
    )
    deliver(session)  # the staff notice, so the contact's box starts empty
    for offset in range(0, 18):  # past the -3 and 7 steps, the dispute still open
        send_payment_reminders(job_ctx(START + timedelta(days=offset)))
        deliver(session)
    assert mailbox.to(contact.email) == []

    threads.resolve_thread(
        session,
        actor=staff_actor(session, company),
        document_type="invoice",
        document_id=invoice.id,
    )
    deliver(session)
    resolved_mail = len(mailbox.to(contact.email))  # the "resolved" e-mail
    for offset in range(18, 26):  # day 18 still sends the 7 step (catch-up), day 24 the 14
        send_payment_reminders(job_ctx(START + timedelta(days=offset)))
        deliver(session)
    reminders_sent = mailbox.to(contact.email)[resolved_mail:]
    assert len(reminders_sent) == 2
    assert all(invoice.number in m["Subject"] for m in reminders_sent)
