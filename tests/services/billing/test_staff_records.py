"""Staff create and edit invoices, quotes and credits: numbering, totals, drafts, isolation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, Credit, InvoiceLine, Quote, QuoteLine
from portal_app.services.billing import invoices as client_invoices
from portal_app.services.billing.document_forms import FormErrors, LineForm
from portal_app.services.billing.staff_records import (
    CREDIT,
    INVOICE,
    QUOTE,
    create_record,
    edit_form,
    mark_sent,
    record_lines,
    update_record,
)
from tests.helpers.staff_docs import invoice_form, staff_actor


@pytest.fixture
def setup(session, make):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    return company, client, contact, staff_actor(session, company)


def test_create_invoice_numbers_per_company_and_totals(session, make, setup):
    company, client, _, actor = setup
    first = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    second = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    assert (first.number, second.number) == ("INV-0001", "INV-0002")
    assert first.status == "draft"
    assert (first.subtotal_minor, first.tax_minor, first.amount_minor) == (200_00, 40_00, 240_00)
    assert first.balance_minor == 240_00
    lines = record_lines(session, INVOICE, first.id)
    assert [(li.description, li.net_minor, li.tax_minor) for li in lines] == [
        ("Consulting", 200_00, 40_00)
    ]
    # Another company counts from 1 on its own.
    other = make.company()
    other_actor = staff_actor(session, other)
    other_client = make.client(other)
    theirs = create_record(
        session, actor=other_actor, kind=INVOICE, form=invoice_form(other_client.id)
    )
    assert theirs.number == "INV-0001"
    audit = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == first.id, AuditEvent.action == "invoice.created"
        )
    ).one()
    assert audit.actor_type == "staff" and audit.actor_id == actor.staff_user_id


def test_deposit_and_terms_are_stored(session, setup):
    _, client, _, actor = setup
    due = date.today() + timedelta(days=30)
    deposit_due = date.today() + timedelta(days=5)
    invoice = create_record(
        session,
        actor=actor,
        kind=INVOICE,
        form=invoice_form(
            client.id,
            partial="60.00",
            partial_due_date=deposit_due.isoformat(),
            terms="Net 30",
            po_number="PO-7",
        ),
    )
    assert invoice.partial_minor == 60_00 and invoice.partial_due_date == deposit_due
    assert invoice.due_date == due and invoice.terms == "Net 30" and invoice.po_number == "PO-7"
    form = edit_form(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    assert form.partial == "60.00" and form.lines[0].unit_price == "100.00"
    assert form.lines[0].quantity == "2" and form.lines[0].tax_rate == "20"


def test_drafts_never_reach_the_portal_and_sent_ones_do_at_once(session, make, setup):
    _, client, contact, actor = setup
    client_actor = make.actor(contact)
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    with pytest.raises(NotFoundError):
        client_invoices.get_client_invoice(session, actor=client_actor, invoice_id=invoice.id)
    mark_sent(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    view = client_invoices.get_client_invoice(session, actor=client_actor, invoice_id=invoice.id)
    assert view.number == invoice.number
    # A second click changes nothing.
    again = mark_sent(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    assert again.status == "sent"


def test_only_drafts_are_edited_and_lines_are_replaced(session, setup):
    _, client, _, actor = setup
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    form = invoice_form(
        client.id, lines=[LineForm("Design", "3", "50"), LineForm("Hosting", "1", "9.99")]
    )
    update_record(session, actor=actor, kind=INVOICE, record_id=invoice.id, form=form)
    lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
    assert sorted(li.description for li in lines) == ["Design", "Hosting"]
    assert invoice.amount_minor == 159_99 and invoice.tax_minor == 0
    mark_sent(session, actor=actor, kind=INVOICE, record_id=invoice.id)
    with pytest.raises(ValidationError) as err:
        update_record(session, actor=actor, kind=INVOICE, record_id=invoice.id, form=form)
    assert err.value.field == "status"


def test_bad_input_changes_nothing(session, setup):
    _, client, _, actor = setup
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    bad = invoice_form(client.id, lines=[LineForm("x", "1", "-5")])
    with pytest.raises(FormErrors):
        update_record(session, actor=actor, kind=INVOICE, record_id=invoice.id, form=bad)
    session.refresh(invoice)
    assert invoice.amount_minor == 240_00
    assert len(record_lines(session, INVOICE, invoice.id)) == 1


def test_client_cannot_change_on_edit(session, make, setup):
    company, client, _, actor = setup
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    other_client = make.client(company)
    with pytest.raises(FormErrors) as err:
        update_record(
            session,
            actor=actor,
            kind=INVOICE,
            record_id=invoice.id,
            form=invoice_form(other_client.id),
        )
    assert "client_id" in err.value.errors


def test_another_companys_records_are_not_found(session, make, setup):
    _, client, _, actor = setup
    invoice = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    stranger = staff_actor(session, make.company(), role="owner")
    for call in (
        lambda: mark_sent(session, actor=stranger, kind=INVOICE, record_id=invoice.id),
        lambda: edit_form(session, actor=stranger, kind=INVOICE, record_id=invoice.id),
        lambda: update_record(
            session,
            actor=stranger,
            kind=INVOICE,
            record_id=invoice.id,
            form=invoice_form(client.id),
        ),
        lambda: mark_sent(session, actor=actor, kind=INVOICE, record_id="abc"),
        lambda: mark_sent(session, actor=actor, kind=INVOICE, record_id=10**11),
    ):
        with pytest.raises(NotFoundError):
            call()
    with pytest.raises(FormErrors):  # creating for their client is refused too
        create_record(session, actor=stranger, kind=INVOICE, form=invoice_form(client.id))


def test_a_client_contact_is_not_a_staff_actor(session, make, setup):
    _, client, contact, _ = setup
    with pytest.raises(ReadOnlyError):
        create_record(
            session, actor=make.actor(contact), kind=INVOICE, form=invoice_form(client.id)
        )


def test_quotes_and_credits(session, setup):
    _, client, _, actor = setup
    quote = create_record(session, actor=actor, kind=QUOTE, form=invoice_form(client.id))
    assert isinstance(quote, Quote) and quote.number == "Q-0001"
    assert quote.valid_until == date.today() + timedelta(days=30)
    assert session.exec(select(QuoteLine).where(QuoteLine.quote_id == quote.id)).one()
    with pytest.raises(FormErrors):
        create_record(
            session,
            actor=actor,
            kind=QUOTE,
            form=invoice_form(client.id, due_date=(date.today() - timedelta(1)).isoformat()),
        )
    credit = create_record(
        session,
        actor=actor,
        kind=CREDIT,
        form=invoice_form(client.id, due_date="", lines=[LineForm("Refund", "1", "25")]),
    )
    assert isinstance(credit, Credit) and credit.number == "CR-0001"
    assert credit.balance_minor == credit.amount_minor == 25_00
    mark_sent(session, actor=actor, kind=CREDIT, record_id=credit.id)
    mark_sent(session, actor=actor, kind=QUOTE, record_id=quote.id)
    assert credit.status == "sent" and quote.status == "sent" and quote.sent_at
