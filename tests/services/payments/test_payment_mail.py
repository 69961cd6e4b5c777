"""E-mails about money, read from the real SMTP test server: the receipt of an auto-billed
payment with its PDF, queued once however often the settle runs, in the contact's language and
also for a contact who switched every optional e-mail off; a declined automatic charge tells
the client, once, how to fix the card."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlmodel import select

from portal_app.models import OutboxMessage, Payment
from portal_app.services.identity import email_choices
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import payment_mail
from portal_app.services.payments.autobill import autobill_invoice
from tests.conftest import CARD_DECLINED_ON_CHARGE
from tests.helpers.mailbox import deliver


@pytest.fixture
def tx(session):
    @contextmanager
    def scope():
        with session.begin_nested():
            yield session

    return scope


def _client_with_card(make, session, gateway, browser_card, number=None, **contact_kw):
    client = make.client(make.company(name="Northwind Studio"))
    contact = make.contact(client, is_primary=True, **contact_kw)
    actor = make.actor(contact)
    customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    method_ref = browser_card(customer, number) if number else browser_card(customer)
    flow.store_card(
        session, actor=actor, card=gateway.card_details(method_ref), gateway_name="stripe"
    )
    return client, contact, actor


def _rows(session, kind, client):
    """The outbox rows of `kind` for this test's company (other tests commit rows of their own)."""
    return session.exec(
        select(OutboxMessage).where(
            OutboxMessage.kind == kind, OutboxMessage.company_id == client.company_id
        )
    ).all()


def test_a_paid_auto_charge_sends_one_receipt_with_its_pdf(
    make, session, tx, gateway, browser_card, mailbox
):
    client, contact, actor = _client_with_card(
        make, session, gateway, browser_card, language="de", first_name="Anna"
    )
    # Every optional e-mail off: a receipt still comes.
    email_choices.set_email_choices(session, actor=actor, contact=contact, enabled=[])
    invoice = make.invoice(client)
    result = autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway)
    assert result.status == "paid"
    # The settle reached again (the webhook after the job): still one receipt.
    payment = session.get(Payment, result.payment_id)
    assert payment_mail.queue_receipt(session, payment) == "sent_before"
    assert len(_rows(session, payment_mail.RECEIPT, client)) == 1
    deliver(session)
    (message,) = mailbox.to(contact.email)
    assert payment.number in message["Subject"] and "Northwind Studio" in message["Subject"]
    assert message["List-Unsubscribe"] is None
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Anna" in text
    link = re.search(r"https?://\S+/client/login\?next=\S+", text)
    assert link and "payments" in link.group(0)
    (pdf,) = [part for part in message.iter_attachments()]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"receipt-{payment.number}.pdf"
    assert pdf.get_content().startswith(b"%PDF")


def test_a_declined_auto_charge_says_how_to_fix_the_card_once(
    make, session, tx, gateway, browser_card, mailbox
):
    client, contact, _ = _client_with_card(
        make, session, gateway, browser_card, number=CARD_DECLINED_ON_CHARGE
    )
    invoice = make.invoice(client)
    first = autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway)
    assert first.status == "declined"
    deliver(session)
    (message,) = mailbox.to(contact.email)
    assert invoice.number in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "/client/login?next=%2Fclient%2Fpayment_methods" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "payment_methods" in html
    assert not _rows(session, payment_mail.RECEIPT, client)
    # Queued again for the same failed checkout: nothing new.
    assert (
        payment_mail.queue_payment_failed(session, invoice=invoice, checkout_id=first.checkout_id)
        == "sent_before"
    )
    # A later retry that fails again is a new event: one more e-mail.
    second = autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway)
    assert second.status == "declined" and second.checkout_id != first.checkout_id
    assert len(_rows(session, payment_mail.FAILED, client)) == 2


def test_no_saved_card_is_told_once_per_invoice(make, session, tx, gateway, mailbox):
    client = make.client(make.company())
    contact = make.contact(client, is_primary=True)
    invoice = make.invoice(client)
    for _ in range(3):  # the job retrying on later days
        assert autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway).status == "no_card"
    assert len(_rows(session, payment_mail.FAILED, client)) == 1
    deliver(session)
    (message,) = mailbox.to(contact.email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert invoice.number in text and "payment_methods" in text
