"""E-mailing documents through a real SMTP server (aiosmtpd): the link in the message opens
the document, the document is sent, the e-mail is recorded."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote, urlsplit

import pytest
from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.settings import get_settings
from portal_app.core.tokens import token_hash
from portal_app.models import AuditEvent, Invitation
from portal_app.services.billing import invoices as client_invoices
from portal_app.services.billing.staff_mail import email_document
from portal_app.services.billing.staff_records import CREDIT, INVOICE, QUOTE, create_record
from portal_app.services.identity import invitations
from tests.helpers.mailbox import Mailbox, deliver, free_port, serve, smtp_settings
from tests.helpers.staff_docs import invoice_form, staff_actor


@pytest.fixture
def setup(session, make):
    company = make.company(name="Acme Billing")
    client = make.client(company)
    contact = make.contact(client, first_name="Dana", is_primary=True)
    return company, client, contact, staff_actor(session, company)


def _invitation(session, key: str) -> Invitation:
    return session.exec(select(Invitation).where(Invitation.key_hash == token_hash(key))).one()


def _link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(r"https?://\S+", text)
    assert len(links) == 1, text
    return links[0]


def test_emailed_invoice_link_opens_the_invoice(session, make, mailbox, setup):
    _, client, contact, actor = setup
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    sent = email_document(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    assert invoice.status == "sent" and invoice.sent_at is not None
    assert mailbox.messages == []  # queued in the outbox with the document's change
    deliver(session)
    assert mailbox.recipients == [[contact.email]]
    message = mailbox.messages[0]
    assert message["Subject"] == f"Invoice {invoice.number} from Acme Billing"
    link = _link(message)
    assert link == sent.link
    assert link.startswith(get_settings().base_url.rstrip("/") + "/client/invoice/")
    assert "$240.00" in message.get_body(preferencelist=("plain",)).get_content()
    key = unquote(urlsplit(link).path.rsplit("/", 1)[1])
    opened = invitations.open_invitation(session, key=key)
    assert (opened.entity_type, opened.entity_id) == ("invoice", invoice.id)
    invitation = _invitation(session, key)
    assert invitation.sent_at is not None and invitation.contact_id == contact.id
    # The contact now sees it in the portal.
    assert client_invoices.get_client_invoice(
        session, actor=make.actor(contact), invoice_id=invoice.id
    )
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "invoice.emailed", AuditEvent.entity_id == invoice.id
        )
    ).one()
    assert event.actor_type == "staff" and str(contact.id) in event.details


def test_emailed_quote_and_credit(session, mailbox, setup):
    _, client, _, actor = setup
    quote = create_record(session, actor=actor, kind=QUOTE, form=invoice_form(client.id))
    sent = email_document(session, actor=actor, kind=QUOTE, record_id=quote.id)
    assert "/client/quote/" in sent.link and quote.status == "sent"
    key = unquote(sent.link.rsplit("/", 1)[1])
    invitation = _invitation(session, key)
    assert (invitation.entity_type, invitation.entity_id) == ("quote", quote.id)
    opened = invitations.open_invitation(session, key=key, entity_type="quote")
    assert opened.entity_id == quote.id
    credit = create_record(
        session, actor=actor, kind=CREDIT, form=invoice_form(client.id, due_date="")
    )
    sent = email_document(session, actor=actor, kind=CREDIT, record_id=credit.id)
    assert credit.status == "sent" and "/client/login" in sent.link
    deliver(session)
    assert len(mailbox.messages) == 2


def test_contact_choice_is_checked(session, make, mailbox, setup):
    company, client, _, actor = setup
    invoice = make.invoice(client)
    second = make.contact(client)
    sent = email_document(
        session, actor=actor, kind=INVOICE, record_id=invoice.id, contact_id=second.id
    )
    assert sent.email == second.email
    stranger = make.contact(make.client(company))
    for bad in (stranger.id, "abc"):
        with pytest.raises(ValidationError) as err:
            email_document(session, actor=actor, kind=INVOICE, record_id=invoice.id, contact_id=bad)
        assert err.value.field == "contact_id"
    lonely = make.invoice(make.client(company))
    with pytest.raises(ValidationError, match="no contact"):
        email_document(session, actor=actor, kind=INVOICE, record_id=lonely.id)
    with pytest.raises(NotFoundError):
        email_document(
            session,
            actor=staff_actor(session, make.company()),
            kind=INVOICE,
            record_id=invoice.id,
        )


def test_cancelled_invoice_is_not_emailed(session, make, mailbox, setup):
    _, client, _, actor = setup
    invoice = make.invoice(client, status="cancelled")
    with pytest.raises(ValidationError):
        email_document(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    deliver(session)
    assert mailbox.messages == []


def test_smtp_down_queues_the_message_and_sends_it_when_the_server_is_back(session, setup):
    # Before the outbox this was an error and the invoice stayed a draft; now the invoice is
    # sent, the e-mail waits in the outbox (retried with backoff) and goes out later.
    _, client, contact, actor = setup
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    port = free_port()
    with smtp_settings(port):
        sent = email_document(session, actor=actor, kind=INVOICE, record_id=invoice.id)
        assert invoice.status == "sent"
        assert deliver(session)["retrying"] == 1
        with serve(Mailbox(), port) as box:
            assert deliver(session, now=utcnow() + timedelta(hours=1))["sent"] == 1
    assert box.recipients == [[contact.email]]
    assert _link(box.messages[0]) == sent.link


def test_an_invoice_emailed_by_german_staff_is_in_the_french_contacts_language(
    session, make, mailbox
):
    import subprocess

    from portal_app.core.i18n import use_language

    company = make.company(name="Acme Billing", locale="en_US")
    client = make.client(company, locale="en_US")
    contact = make.contact(client, first_name="Dana", is_primary=True, language="fr")
    assert contact.language == "fr"
    actor = staff_actor(session, company)
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    # The staff user works in German; the client reads French.
    with use_language("de"):
        email_document(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    deliver(session)
    message = mailbox.messages[0]
    assert message["Subject"] == f"Facture {invoice.number} de Acme Billing"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Bonjour Dana,")
    # French money in the client's (US) region: fr_US is no CLDR locale, so French alone.
    assert "240,00\u00a0$US" in text
    [pdf] = [part for part in message.iter_attachments() if part.get_filename().endswith(".pdf")]
    read = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.get_content(), capture_output=True, check=True
    ).stdout.decode()
    assert "FACTURE" in read and "Sous-total" in read and "Subtotal" not in read
