"""Staff lists and detail views of invoices, quotes, credits and payments."""

from __future__ import annotations

import pytest

from portal_app.core.errors import NotFoundError
from portal_app.models import Payment
from portal_app.services.billing.staff_lists import client_options, list_records, record_detail
from portal_app.services.billing.staff_records import INVOICE, QUOTE, create_record
from portal_app.services.payments.staff_payment_views import (
    list_payments,
    open_invoices,
    unapplied_text,
)
from portal_app.services.payments.staff_payments import mark_paid
from tests.helpers.staff_docs import invoice_form, staff_actor


@pytest.fixture
def setup(session, make):
    company = make.company()
    client = make.client(company, name="Zeta Works")
    make.contact(client)
    return company, client, staff_actor(session, company)


def test_lists_are_the_companys_only_with_filters(session, make, setup):
    company, client, actor = setup
    draft = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    sent = make.invoice(client, number="INV-9001")
    other_company = make.company()
    make.invoice(make.client(other_company), number="INV-9002")
    page = list_records(session, actor=actor, kind=INVOICE)
    assert {row.id for row in page.rows} == {draft.id, sent.id}
    assert [
        r.id for r in list_records(session, actor=actor, kind=INVOICE, status="draft").rows
    ] == [draft.id]
    assert [
        r.number for r in list_records(session, actor=actor, kind=INVOICE, search="9001").rows
    ] == ["INV-9001"]
    assert len(list_records(session, actor=actor, kind=INVOICE, search="zeta").rows) == 2
    assert list_records(session, actor=actor, kind=INVOICE, search="%").rows == []
    assert list_records(session, actor=actor, kind=QUOTE).rows == []
    assert len(list_records(session, actor=actor, kind=INVOICE, status="bogus").rows) == 2
    options = client_options(session, actor=actor)
    assert [o.label for o in options] == ["Zeta Works"]


def test_detail_flags_follow_the_status(session, make, setup):
    _, client, actor = setup
    draft = create_record(session, actor=actor, kind=INVOICE, form=invoice_form(client.id))
    view = record_detail(session, actor=actor, kind=INVOICE, record_id=draft.id)
    assert view.can_edit and view.can_send and view.can_mark_paid and not view.can_cancel
    assert view.total == "$240.00" and view.lines[0].tax == "VAT 20%"
    assert len(view.contacts) == 1
    mark_paid(session, actor=actor, invoice_id=draft.id)
    view = record_detail(session, actor=actor, kind=INVOICE, record_id=draft.id)
    assert not (view.can_edit or view.can_mark_paid or view.can_cancel)
    assert view.status_label == "Paid" and view.balance == "$0.00"
    with pytest.raises(NotFoundError):
        record_detail(
            session, actor=staff_actor(session, make.company()), kind=INVOICE, record_id=draft.id
        )


def test_payments_list_shows_unapplied_amounts(session, make, setup):
    _, client, actor = setup
    invoice = make.invoice(client)
    pre = Payment(
        company_id=client.company_id,
        client_id=client.id,
        number=f"PRE-{client.id}",
        status="completed",
        currency="USD",
        amount_minor=100_00,
        method="manual",
    )
    session.add(pre)
    session.flush()
    paid = mark_paid(session, actor=actor, invoice_id=make.invoice(client).id)
    rows = list_payments(session, actor=actor).rows
    by_id = {row.id: row for row in rows}
    assert by_id[pre.id].unapplied == "$100.00" and by_id[pre.id].can_apply
    assert by_id[paid.id].unapplied == "$0.00" and not by_id[paid.id].can_apply
    assert not by_id[pre.id].can_refund  # not a card payment
    assert [r.id for r in list_payments(session, actor=actor, status="unapplied").rows] == [pre.id]
    candidates = open_invoices(session, actor=actor, payment_id=pre.id)
    assert [c.id for c in candidates] == [invoice.id]
    assert candidates[0].balance_major == "240.00"
    assert unapplied_text(session, actor=actor, payment_id=pre.id) == "$100.00"
    stranger = staff_actor(session, make.company())
    assert list_payments(session, actor=stranger).rows == []
    with pytest.raises(NotFoundError):
        open_invoices(session, actor=stranger, payment_id=pre.id)
    # Refunded from its unapplied part, nothing is left to apply.
    pre.refunded_minor = 100_00
    pre.status = "refunded"
    session.add(pre)
    session.flush()
    assert list_payments(session, actor=actor, status="unapplied").rows == []
