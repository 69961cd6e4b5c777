"""What an open dispute pauses: reminders and auto-bill of that invoice, until it is resolved.
The auto-bill tests charge a real card at localstripe."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.models import Company, Invoice, Payment
from portal_app.services.billing import disputes, reminders
from portal_app.services.documents import threads
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments.autobill import IN_DISPUTE, autobill_invoice
from tests.helpers.ledger import assert_invoices_balance
from tests.helpers.staff_docs import staff_actor


@pytest.fixture
def tx(session):
    @contextmanager
    def scope():
        with session.begin_nested():
            yield session

    return scope


def _write(session, actor, invoice, *, dispute: bool, body="This is not what we ordered."):
    return threads.post_client_message(
        session,
        actor=actor,
        document_type="invoice",
        document_id=invoice.id,
        body=body,
        dispute=dispute,
    )


def _resolve(session, company, invoice):
    threads.resolve_thread(
        session,
        actor=staff_actor(session, company),
        document_type="invoice",
        document_id=invoice.id,
    )


def test_only_an_open_dispute_counts(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client, is_primary=True))
    disputed, questioned, quiet = make.invoice(client), make.invoice(client), make.invoice(client)
    _write(session, actor, disputed, dispute=True)
    _write(session, actor, questioned, dispute=False)

    assert disputes.in_dispute(session, disputed.id)
    assert not disputes.in_dispute(session, questioned.id)
    assert not disputes.in_dispute(session, quiet.id)
    ids = {disputed.id, questioned.id, quiet.id}
    undisputed = session.exec(
        select(Invoice.id).where(Invoice.id.in_(ids), disputes.not_in_dispute(Invoice.id))
    ).all()
    assert set(undisputed) == {questioned.id, quiet.id}

    _resolve(session, company, disputed)
    assert not disputes.in_dispute(session, disputed.id)


def test_reminders_skip_a_disputed_invoice_until_it_is_resolved(make, session, today):
    company = make.company(reminder_days="7")
    client = make.client(company)
    actor = make.actor(make.contact(client, is_primary=True))
    due = today - timedelta(days=7)
    disputed = make.invoice(client, issue_date=due - timedelta(days=30), due_date=due)
    other = make.invoice(client, issue_date=due - timedelta(days=30), due_date=due)
    _write(session, actor, disputed, dispute=True)

    found = reminders.due_reminders(session, today)
    assert (other.id, 7) in found and all(inv != disputed.id for inv, _ in found)
    # Even asked directly (a run that listed it before the dispute), nothing is queued.
    assert reminders.send_reminder(session, invoice_id=disputed.id, step=7, today=today) == (
        "in_dispute"
    )

    _resolve(session, company, disputed)
    assert (disputed.id, 7) in reminders.due_reminders(session, today)
    assert reminders.send_reminder(session, invoice_id=disputed.id, step=7, today=today) == (
        "queued"
    )


def test_a_question_does_not_pause_reminders(make, session, today):
    company = make.company(reminder_days="7")
    client = make.client(company)
    actor = make.actor(make.contact(client, is_primary=True))
    due = today - timedelta(days=7)
    invoice = make.invoice(client, issue_date=due - timedelta(days=30), due_date=due)
    _write(session, actor, invoice, dispute=False)
    assert (invoice.id, 7) in reminders.due_reminders(session, today)


def _with_default_card(make, session, gateway, browser_card):
    client = make.client(make.company())
    actor = make.actor(make.contact(client, is_primary=True))
    customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    flow.store_card(
        session,
        actor=actor,
        card=gateway.card_details(browser_card(customer)),
        gateway_name="stripe",
    )
    return client, actor


def _completed_payments(session, client):
    return session.exec(
        select(Payment).where(Payment.client_id == client.id, Payment.status == "completed")
    ).all()


def test_autobill_does_not_charge_a_disputed_invoice_and_charges_once_resolved(
    make, session, tx, gateway, browser_card
):
    client, actor = _with_default_card(make, session, gateway, browser_card)
    invoice = make.invoice(client)
    _write(session, actor, invoice, dispute=True)

    result = autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway, source_id=1)
    assert (result.status, result.message) == ("skipped", IN_DISPUTE)
    session.refresh(invoice)
    assert invoice.balance_minor == invoice.amount_minor
    assert _completed_payments(session, client) == []
    # A follow-up message keeps it a dispute: still no charge.
    _write(session, actor, invoice, dispute=False, body="Any news about this?")
    assert autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway).status == "skipped"

    _resolve(session, session.get(Company, client.company_id), invoice)
    result = autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway, source_id=1)
    assert result.status == "paid", result
    session.refresh(invoice)
    assert invoice.status == "paid" and invoice.balance_minor == 0
    (payment,) = _completed_payments(session, client)
    assert gateway.retrieve_payment(payment.gateway_reference).amount_minor == invoice.amount_minor
    assert_invoices_balance(session, [invoice.id])


def test_autobill_charges_an_invoice_with_only_a_question(make, session, tx, gateway, browser_card):
    client, actor = _with_default_card(make, session, gateway, browser_card)
    invoice = make.invoice(client)
    _write(session, actor, invoice, dispute=False, body="Can I get a copy with our PO number?")
    assert autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway).status == "paid"
