"""The unsubscribe link of a payment reminder, taken from the e-mail the real SMTP server got:
GET only asks, POST (the button or a mail client's one-click) unsubscribes, in the contact's
language; a forged or expired token is refused; no reminder follows."""

from __future__ import annotations

import time
from datetime import date, timedelta
from urllib.parse import urlsplit

from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.models import ClientContact
from portal_app.services.billing import reminders
from portal_app.services.mail import outbox

TODAY = date.today()


def _reminded(committed, mailbox, **contact_kw):
    """A company reminding 7 days after the due date, one overdue invoice, its reminder sent;
    (contact id, invoice id, the e-mail)."""
    with committed() as (session, make):
        company = make.company(reminder_days="7,14")
        client = make.client(company)
        contact = make.contact(client, is_primary=True, **contact_kw)
        invoice = make.invoice(
            client, issue_date=TODAY - timedelta(days=40), due_date=TODAY - timedelta(days=7)
        )
        outcome = reminders.send_reminder(session, invoice_id=invoice.id, step=7, today=TODAY)
        assert outcome == "queued"
        ids, email = (contact.id, invoice.id), contact.email
    outbox.deliver_due(session_scope)
    (message,) = mailbox.to(email)
    return (*ids, message)


def _opted_out(contact_id: int) -> bool:
    with session_scope() as session:
        return session.get(ClientContact, contact_id).reminders_opt_out


def test_the_link_in_the_email_unsubscribes_after_the_button(committed, client, mailbox):
    contact_id, invoice_id, message = _reminded(committed, mailbox, language="fr")
    link = message["List-Unsubscribe"].strip("<>")
    assert link in message.get_body(preferencelist=("plain",)).get_content()
    path = urlsplit(link).path

    page = client.get(path)
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert "Se désabonner" in page.text and '<form method="post">' in page.text
    assert not _opted_out(contact_id)  # opening the link (a link scanner) changes nothing

    done = client.post(path)
    assert done.status_code == 200 and "Désabonnement effectué" in done.text
    assert _opted_out(contact_id)
    assert client.post(path).status_code == 200  # followed again: the same answer

    # The next step finds the contact opted out.
    with session_scope() as session:
        outcome = reminders.send_reminder(
            session, invoice_id=invoice_id, step=14, today=TODAY + timedelta(days=7)
        )
        assert outcome == "opted_out"


def test_one_click_unsubscribe_from_the_mail_client(committed, client, mailbox):
    contact_id, _, message = _reminded(committed, mailbox)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = urlsplit(message["List-Unsubscribe"].strip("<>")).path
    answer = client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert _opted_out(contact_id)


def test_a_forged_or_expired_token_is_refused(committed, client):
    with committed() as (_session, make):
        contact = make.contact(make.client(make.company()))
        expired = reminders.unsubscribe_token(
            contact, now=time.time() - reminders.UNSUBSCRIBE_DAYS * 86400 - 1
        )
        good = reminders.unsubscribe_token(contact)
        contact_id = contact.id
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for token in (expired, forged, "nothing"):
        for method in (client.get, client.post):
            answer = method(routes.reminders_unsubscribe_url(token))
            assert answer.status_code == 404
            assert "not valid or has expired" in answer.text
    assert not _opted_out(contact_id)
