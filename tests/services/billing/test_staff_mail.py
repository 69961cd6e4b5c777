"""E-mailing documents through a real SMTP server (aiosmtpd): the link in the message opens
the document, the document is sent, the e-mail is recorded."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.settings import get_settings
from portal_app.core.tokens import token_hash
from portal_app.models import AuditEvent, Invitation
from portal_app.services.billing import invoices as client_invoices
from portal_app.services.billing.staff_mail import email_document
from portal_app.services.billing.staff_records import CREDIT, INVOICE, QUOTE, create_record
from portal_app.services.identity import invitations
from tests.helpers.staff_docs import invoice_form, staff_actor
from tests.services.identity.test_password_reset import _free_port, _run_smtp


@pytest.fixture
def mailbox():
    with _run_smtp() as box:
        yield box


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
    assert mailbox.messages == []


def test_smtp_down_is_a_clear_error(session, setup, monkeypatch):
    _, client, _, actor = setup
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(_free_port()))
    monkeypatch.setenv("SMTP_STARTTLS", "false")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationError) as err:
            email_document(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    finally:
        get_settings.cache_clear()
    assert err.value.field == "email"
