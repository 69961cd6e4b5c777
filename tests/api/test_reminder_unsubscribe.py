"""The unsubscribe link of an optional e-mail (a payment reminder here), taken from the e-mail
the real SMTP server got: GET only asks, POST (the button or a mail client's one-click)
unsubscribes, in the contact's language, and the answer offers to subscribe again; a forged,
expired or other kind's token is refused; no reminder follows; links of reminders sent before
the other kinds existed still work."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.signing import Purpose, sign
from portal_app.models import ClientContact
from portal_app.services.billing import reminders
from portal_app.services.identity import email_choices
from portal_app.services.mail import outbox

KIND = email_choices.PAYMENT_REMINDER


def _reminded(committed, mailbox, *, today, **contact_kw):
    """A company reminding 7 days after the due date, one overdue invoice, its reminder sent;
    (contact id, invoice id, the e-mail)."""
    with committed() as (session, make):
        company = make.company(reminder_days="7,14")
        client = make.client(company)
        contact = make.contact(client, is_primary=True, **contact_kw)
        invoice = make.invoice(
            client, issue_date=today - timedelta(days=40), due_date=today - timedelta(days=7)
        )
        outcome = reminders.send_reminder(session, invoice_id=invoice.id, step=7, today=today)
        assert outcome == "queued"
        ids, email = (contact.id, invoice.id), contact.email
    outbox.deliver_due(session_scope)
    (message,) = mailbox.to(email)
    return (*ids, message)


def _opted_out(contact_id: int, kind: str = KIND) -> bool:
    with session_scope() as session:
        return not email_choices.wants(session, session.get(ClientContact, contact_id), kind)


def test_the_link_in_the_email_unsubscribes_after_the_button(committed, client, mailbox, today):
    contact_id, invoice_id, message = _reminded(committed, mailbox, language="fr", today=today)
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
    assert not _opted_out(contact_id, email_choices.TRIAL_ENDING)  # only this kind
    assert client.post(path).status_code == 200  # followed again: the same answer

    # The next step finds the contact opted out.
    with session_scope() as session:
        outcome = reminders.send_reminder(
            session, invoice_id=invoice_id, step=14, today=today + timedelta(days=7)
        )
        assert outcome == "opted_out"

    # The answer's button switches reminders back on.
    again = client.post(path, data={"action": "subscribe"})
    assert again.status_code == 200 and "/client/profile" in again.text
    assert not _opted_out(contact_id)


def test_one_click_unsubscribe_from_the_mail_client(committed, client, mailbox, today):
    contact_id, _, message = _reminded(committed, mailbox, today=today)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = urlsplit(message["List-Unsubscribe"].strip("<>")).path
    answer = client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert _opted_out(contact_id)


def test_a_reminder_link_sent_before_the_other_kinds_still_works(committed, client):
    with committed() as (_session, make):
        contact = make.contact(make.client(make.company()))
        legacy = sign(Purpose.REMINDER_UNSUBSCRIBE, [contact.company_id, contact.id])
        contact_id = contact.id
    answer = client.post(routes.API_REMINDERS_UNSUBSCRIBE.replace("{token}", legacy))
    assert answer.status_code == 200
    assert _opted_out(contact_id)


def test_a_forged_or_expired_token_is_refused(committed, client):
    with committed() as (_session, make):
        contact = make.contact(make.client(make.company()))
        expired = email_choices.unsubscribe_token(
            contact, KIND, now=time.time() - email_choices.UNSUBSCRIBE_DAYS * 86400 - 1
        )
        good = email_choices.unsubscribe_token(contact, KIND)
        # A signed token naming a kind that is not optional (a receipt) is no token.
        receipt = sign(Purpose.EMAIL_UNSUBSCRIBE, [contact.company_id, contact.id, "receipt"])
        contact_id = contact.id
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for token in (expired, forged, receipt, "nothing"):
        for method in (client.get, client.post):
            answer = method(routes.email_unsubscribe_url(token))
            assert answer.status_code == 404
            assert "not valid or has expired" in answer.text
    assert not _opted_out(contact_id)
