"""The "new recurring invoice" e-mail, read from the real SMTP test server: one per issued
invoice however often the job runs, its link opens the invoice without a password, in the
contact's language; nothing for a contact who switched it off."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from sqlmodel import select

from portal_app.jobs import recurring as job
from portal_app.models import Invoice, OutboxMessage
from portal_app.services.identity import email_choices, invitations
from tests.helpers.mailbox import deliver
from tests.helpers.recurring import add_recurring

START = date(2026, 3, 10)


def test_each_issued_invoice_is_e_mailed_once_with_its_link(make, session, job_ctx, mailbox):
    client = make.client(make.company(name="Northwind Studio"))
    contact = make.contact(client, is_primary=True, first_name="Ana", language="es")
    schedule = add_recurring(session, client, number="R-1", start_date=START, due_days=7)
    job.issue_recurring_invoices(job_ctx(START))
    job.issue_recurring_invoices(job_ctx(START))
    (invoice,) = session.exec(
        select(Invoice).where(Invoice.recurring_invoice_id == schedule.id)
    ).all()
    rows = session.exec(
        select(OutboxMessage).where(OutboxMessage.kind == email_choices.RECURRING_INVOICE)
    ).all()
    assert [r.idempotency_key for r in rows] == [f"recurring.issued:{invoice.id}"]
    deliver(session)
    (message,) = mailbox.to(contact.email)
    assert invoice.number in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Ana" in text
    key = urlsplit(re.search(r"https?://\S+/client/invoice/\S+", text).group(0)).path
    target = invitations.link_target(session, key=key.rsplit("/", 1)[1])
    assert (target.contact_id, target.entity_id) == (contact.id, invoice.id)
    assert "/api/email/unsubscribe/" in message["List-Unsubscribe"]


def test_a_contact_who_switched_it_off_gets_none(make, session, job_ctx):
    client = make.client(make.company())
    contact = make.contact(client, is_primary=True)
    email_choices.set_email_choices(session, actor=make.actor(contact), contact=contact, enabled=[])
    add_recurring(session, client, number="R-2", start_date=START)
    assert job.issue_recurring_invoices(job_ctx(START))["issued"] == 1
    assert not session.exec(
        select(OutboxMessage).where(OutboxMessage.kind == email_choices.RECURRING_INVOICE)
    ).all()
