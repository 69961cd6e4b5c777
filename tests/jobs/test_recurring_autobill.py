"""The recurring job charging the default card (localstripe): paid, declined, switched off."""

from datetime import date

from sqlmodel import col, select

from portal_app.jobs import recurring as job
from portal_app.models import AuditEvent, Invoice, Payment
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from tests.conftest import CARD_DECLINED_ON_CHARGE
from tests.helpers.recurring import add_recurring


def _client_with_card(make, session, gateway, browser_card, number=None):
    client = make.client(make.company())
    actor = make.actor(make.contact(client, is_primary=True))
    customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    method_ref = browser_card(customer, number) if number else browser_card(customer)
    flow.store_card(
        session, actor=actor, card=gateway.card_details(method_ref), gateway_name="stripe"
    )
    return client


def _invoices(session, schedule_id):
    return session.exec(
        select(Invoice).where(Invoice.recurring_invoice_id == schedule_id).order_by(col(Invoice.id))
    ).all()


def test_opted_in_schedule_is_charged_when_issued(make, session, job_ctx, gateway, browser_card):
    client = _client_with_card(make, session, gateway, browser_card)
    day = date(2026, 7, 1)
    schedule = add_recurring(
        session, client, number="R-1", start_date=day, auto_bill="opt_in", auto_bill_enabled=True
    )
    counts = job.issue_recurring_invoices(job_ctx(day, gateway))
    assert counts["autobill_paid"] >= 1
    [invoice] = _invoices(session, schedule.id)
    assert invoice.status == "paid" and invoice.balance_minor == 0


def test_always_charges_opt_in_without_consent_does_not(
    make, session, job_ctx, gateway, browser_card
):
    client = _client_with_card(make, session, gateway, browser_card)
    day = date(2026, 7, 2)
    always = add_recurring(session, client, number="R-2", start_date=day, auto_bill="always")
    not_opted = add_recurring(session, client, number="R-3", start_date=day, auto_bill="opt_in")
    opted_out = add_recurring(
        session, client, number="R-4", start_date=day, auto_bill="opt_out", auto_bill_enabled=False
    )
    job.issue_recurring_invoices(job_ctx(day, gateway))
    assert _invoices(session, always.id)[0].status == "paid"
    assert _invoices(session, not_opted.id)[0].status == "sent"
    assert _invoices(session, opted_out.id)[0].status == "sent"


def test_declined_card_leaves_invoices_unpaid_recorded_and_not_retried(
    make, session, job_ctx, gateway, browser_card
):
    client = _client_with_card(make, session, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    schedule = add_recurring(
        session, client, number="R-5", start_date=date(2026, 5, 3), auto_bill="always"
    )
    # Three periods missed: all three issued, only the first charge is tried.
    counts = job.issue_recurring_invoices(job_ctx(date(2026, 7, 10), gateway))
    invoices = _invoices(session, schedule.id)
    assert len(invoices) == 3 and counts["autobill_failed"] >= 1
    assert all(inv.status == "sent" and inv.balance_minor == inv.amount_minor for inv in invoices)
    failed = session.exec(
        select(Payment).where(Payment.client_id == client.id, Payment.status == "failed")
    ).all()
    assert len(failed) == 1
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.client_id == client.id, AuditEvent.action == "autobill_failed"
        )
    ).all()
    assert [e.entity_id for e in events] == [invoices[0].id]
    # The next run issues nothing new and charges nothing again.
    job.issue_recurring_invoices(job_ctx(date(2026, 7, 10), gateway))
    assert len(session.exec(select(Payment).where(Payment.client_id == client.id)).all()) == 1
