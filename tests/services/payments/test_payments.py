"""The client's payments: list, paging, labels, detail after real payments, isolation."""

from datetime import UTC, datetime, timedelta

import pytest

from portal_app.core.errors import NotFoundError
from portal_app.models import Payment, PaymentAllocation
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import payments
from tests.helpers.ledger import (
    assert_credit_consistent,
    assert_invoices_balance,
    assert_payment_consistent,
)


@pytest.fixture
def payer(make):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    return company, client, make.actor(contact)


def _pay_by_card(tx, session, actor, gateway, browser_card, **request) -> int:
    """A real checkout charged on localstripe, as the checkout page does it; the payment id."""
    flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose="test")
    with tx() as s:
        customer = co.customer_ref_for(s, actor=actor, gateway=gateway)
    method_ref = browser_card(customer)
    with tx() as s:  # saved, so the payment names the card
        flow.store_card(
            s, actor=actor, card=gateway.card_details(method_ref), gateway_name="stripe"
        )
    started = co.start_checkout(session, actor=actor, request=co.CheckoutRequest(**request))
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=method_ref
    )
    assert outcome.status == "succeeded", outcome.message
    return outcome.payment_id


_T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _payment(session, client, *, status="completed", amount=100_00, applied=0, **kw) -> Payment:
    """A payment row written directly (the statuses a checkout alone does not produce)."""
    payment = Payment(
        company_id=client.company_id,
        client_id=client.id,
        number=kw.pop("number", f"tmp-{datetime.now().timestamp()}-{id(kw)}"),
        status=status,
        currency=kw.pop("currency", "USD"),
        amount_minor=amount,
        applied_minor=applied,
        method=kw.pop("method", "card"),
        method_label=kw.pop("method_label", "Visa •••• 4242"),
        **kw,
    )
    session.add(payment)
    session.flush()
    if payment.number.startswith("tmp-"):
        payment.number = f"PAY-{payment.id:06d}"
        session.add(payment)
        session.flush()
    return payment


def test_real_card_payment_with_credit_shows_in_list_and_detail(
    make, session, tx, payer, gateway, browser_card
):
    _company, client, actor = payer
    invoice = make.invoice(client, number=f"INV-{client.id}-1")  # 240.00
    credit = make.credit(client, amount_minor=40_00, number=f"CR-{client.id}-1")
    payment_id = _pay_by_card(
        tx, session, actor, gateway, browser_card, invoice_ids=[invoice.id], apply_credit=True
    )
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment_id)
    assert_credit_consistent(session, credit.id)

    page = payments.list_payments(session, actor=actor)
    assert [row.id for row in page.rows] == [payment_id]
    row = page.rows[0]
    payment = session.get(Payment, payment_id)
    assert row.number == payment.number and row.number.startswith("PAY-")
    assert row.status_label == "Completed"
    assert row.amount == "$240.00"  # 200.00 by card and 40.00 of credit
    assert row.method_label == "Visa •••• 4242"
    assert row.unapplied == ""
    assert page.total == 1 and not page.has_next and not page.total_is_capped

    view = payments.payment_view(session, actor=actor, payment_id=payment_id)
    assert view.status_label == "Completed" and view.transaction_reference.startswith("pi_")
    assert [(i.invoice_id, i.number, i.applied, i.refunded) for i in view.invoices] == [
        (invoice.id, invoice.number, "$240.00", "")
    ]
    assert all(i.has_link for i in view.invoices)
    assert [(c.credit_id, c.number, c.amount) for c in view.credits] == [
        (credit.id, credit.number, "$40.00")
    ]
    assert view.amount == "$200.00" and view.credit_total == "$40.00"
    assert view.total == "$240.00" and view.applied == "$240.00"
    assert not view.has_unapplied and not view.has_refund and view.has_credit


def test_over_payment_leaves_an_unapplied_part(make, session, tx, payer, gateway, browser_card):
    company, client, actor = payer
    company.allow_over_payment = True
    session.add(company)
    invoice = make.invoice(client)
    payment_id = _pay_by_card(
        tx,
        session,
        actor,
        gateway,
        browser_card,
        invoice_ids=[invoice.id],
        amounts={invoice.id: "300.00"},
        confirm_over_payment=True,
    )
    row = payments.list_payments(session, actor=actor).rows[0]
    assert row.amount == "$300.00" and row.unapplied == "$60.00"
    view = payments.payment_view(session, actor=actor, payment_id=payment_id)
    assert view.has_unapplied and view.unapplied == "$60.00"
    assert view.applied == "$240.00" and view.total == "$300.00"
    assert_payment_consistent(session, payment_id)


def test_newest_first_with_server_paging(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    made = [
        _payment(session, client, created_at=_T0 + timedelta(days=i), amount=(i + 1) * 100)
        for i in range(30)
    ]
    newest_first = [p.id for p in reversed(made)]
    first = payments.list_payments(session, actor=actor, page=1, page_size=25)
    assert [r.id for r in first.rows] == newest_first[:25]
    assert first.has_next and first.total == 30 and first.page_size == 25
    second = payments.list_payments(session, actor=actor, page=2, page_size=25)
    assert [r.id for r in second.rows] == newest_first[25:]
    assert not second.has_next
    # Same timestamp: the higher id comes first, so paging never skips or repeats a row.
    twins = [_payment(session, client, created_at=_T0 + timedelta(days=99)) for _ in range(2)]
    top = payments.list_payments(session, actor=actor, page_size=10).rows
    assert [r.id for r in top[:2]] == [twins[1].id, twins[0].id]
    # Bad paging input falls back to safe values.
    odd = payments.list_payments(session, actor=actor, page=-5, page_size=7)
    assert odd.page == 1 and odd.page_size == 25
    beyond = payments.list_payments(session, actor=actor, page=50)
    assert beyond.rows == [] and not beyond.has_next


def test_count_is_capped(make, session, monkeypatch):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    for i in range(12):
        _payment(session, client, created_at=_T0 + timedelta(hours=i))
    monkeypatch.setattr(payments, "COUNT_CAP", 10)
    page = payments.list_payments(session, actor=actor, page_size=10)
    assert page.total == 10 and page.total_is_capped and page.has_next


def test_status_labels_and_unapplied_only_for_money_received(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    expected = {
        "pending": "Pending",
        "completed": "Completed",
        "failed": "Failed",
        "refunded": "Refunded",
        "partly_refunded": "Partly refunded",
    }
    made = {
        status: _payment(session, client, status=status, amount=50_00, created_at=_T0)
        for status in expected
    }
    rows = {row.id: row for row in payments.list_payments(session, actor=actor).rows}
    for status, label in expected.items():
        assert rows[made[status].id].status_label == label
    # Nothing applied: what arrived and was not refunded is unapplied; a failure never is.
    assert rows[made["completed"].id].unapplied == "$50.00"
    assert rows[made["failed"].id].unapplied == ""
    assert rows[made["pending"].id].unapplied == ""
    failed = payments.payment_view(session, actor=actor, payment_id=made["failed"].id)
    assert failed.is_failed and not failed.has_unapplied


def test_refunds_on_invoices_and_on_the_unapplied_part(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)
    # A duplicate payment of the invoice, refunded in full (applied is net of refunds: 0).
    duplicate = _payment(
        session, client, status="refunded", amount=240_00, applied=0, refunded_minor=240_00
    )
    session.add(
        PaymentAllocation(
            company_id=company.id,
            payment_id=duplicate.id,
            invoice_id=invoice.id,
            amount_minor=240_00,
            refunded_minor=240_00,
        )
    )
    # An over-payment whose extra 40.00 went back; 10.00 is still unapplied.
    over = _payment(
        session,
        client,
        status="partly_refunded",
        amount=290_00,
        applied=240_00,
        refunded_minor=40_00,
    )
    session.add(
        PaymentAllocation(
            company_id=company.id, payment_id=over.id, invoice_id=invoice.id, amount_minor=240_00
        )
    )
    session.flush()
    view = payments.payment_view(session, actor=actor, payment_id=duplicate.id)
    assert view.status_label == "Refunded" and view.has_refund
    assert [(i.applied, i.refunded) for i in view.invoices] == [("$240.00", "$240.00")]
    assert view.refunded == "$240.00" and not view.has_unapplied
    partly = payments.payment_view(session, actor=actor, payment_id=over.id)
    assert partly.status_label == "Partly refunded"
    assert partly.unapplied == "$10.00" and partly.invoices[0].refunded == ""
    rows = {r.id: r for r in payments.list_payments(session, actor=actor).rows}
    assert rows[duplicate.id].unapplied == "" and rows[over.id].unapplied == "$10.00"


def test_money_is_formatted_in_the_clients_locale(make, session):
    company = make.company()
    client = make.client(company, locale="de_DE")
    actor = make.actor(make.contact(client))
    _payment(session, client, currency="EUR", amount=1234_50, applied=1234_50)
    _payment(session, client, currency="JPY", amount=1500, applied=1500)
    amounts = sorted(row.amount for row in payments.list_payments(session, actor=actor).rows)
    assert [a.replace("\u00a0", " ") for a in amounts] == ["1.234,50 €", "1.500 ¥"]


def test_another_clients_payment_is_not_found(make, session):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    actor = make.actor(make.contact(mine))
    own = _payment(session, mine)
    foreign = _payment(session, theirs)
    elsewhere = _payment(session, make.client(make.company()))
    for bad in (foreign.id, elsewhere.id, 999_999_999, 0, -1, True):
        with pytest.raises(NotFoundError):
            payments.payment_view(session, actor=actor, payment_id=bad)
    assert [r.id for r in payments.list_payments(session, actor=actor).rows] == [own.id]
    # An allocation pointing at someone else's invoice is never shown (ids are not trusted).
    foreign_invoice = make.invoice(theirs)
    session.add(
        PaymentAllocation(
            company_id=company.id,
            payment_id=own.id,
            invoice_id=foreign_invoice.id,
            amount_minor=10_00,
        )
    )
    session.flush()
    assert payments.payment_view(session, actor=actor, payment_id=own.id).invoices == []


def test_parse_payment_id():
    assert payments.parse_payment_id("42") == 42
    assert payments.parse_payment_id(" 7 ") == 7
    for bad in ("", None, "abc", "-1", "0", "1e3", "²", "١٢", "1" * 13, "4.0"):
        with pytest.raises(NotFoundError):
            payments.parse_payment_id(bad)


def test_switched_off_module_is_closed_and_links_follow_modules(make, session):
    company = make.company(enabled_modules="invoices,credits")
    client = make.client(company)
    actor = make.actor(make.contact(client))
    payment = _payment(session, client)
    with pytest.raises(NotFoundError):
        payments.list_payments(session, actor=actor)
    with pytest.raises(NotFoundError):
        payments.payment_view(session, actor=actor, payment_id=payment.id)
    # Payments on, invoices and credits off: the detail names them but links nowhere.
    company.enabled_modules = "payments"
    session.add(company)
    invoice = make.invoice(client)
    credit = make.credit(client, amount_minor=5_00)
    for credit_id in (None, credit.id):
        session.add(
            PaymentAllocation(
                company_id=company.id,
                payment_id=payment.id,
                credit_id=credit_id,
                invoice_id=invoice.id,
                amount_minor=5_00,
            )
        )
    session.flush()
    view = payments.payment_view(session, actor=actor, payment_id=payment.id)
    assert [i.has_link for i in view.invoices] == [False]
    assert [c.has_link for c in view.credits] == [False]


def test_a_refunded_payment_totals_what_was_kept(make, session, payer):
    """Issue 18 item 15: "Total $30.00" beside "Refunded $10.00" read as if nothing came back;
    the total is what the payment comes to after its refunds, and says so."""
    _company, client, actor = payer
    payment = make.payment(
        client, amount_minor=30_00, refunded_minor=10_00, status="partly_refunded"
    )
    view = payments.payment_view(session, actor=actor, payment_id=payment.id)
    assert (view.amount, view.refunded) == ("$30.00", "$10.00")
    assert (view.total_label, view.total) == ("Total after refunds", "$20.00")
    plain = make.payment(client, amount_minor=30_00)
    view = payments.payment_view(session, actor=actor, payment_id=plain.id)
    assert (view.total_label, view.total) == ("Total", "$30.00")


def test_payment_pages_by_key_and_the_last_page(payer, make, session):
    """Newest first; the page after by the last key, back by the first key, and the last page
    numbered from the count, with payments at the same moment kept apart by id."""
    _, client, actor = payer
    moment = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    made = [
        make.payment(client, created_at=moment - timedelta(days=n // 3), paid_at=moment)
        for n in range(12)
    ]
    make.payment(make.client(make.company()), created_at=moment, paid_at=moment)
    newest_first = [p.id for p in sorted(made, key=lambda p: (p.created_at, p.id), reverse=True)]
    first = payments.list_payments(session, actor=actor, page=1, page_size=10)
    second = payments.list_payments(
        session, actor=actor, page=2, page_size=10, after=first.last_key
    )
    assert [r.id for r in first.rows + second.rows] == newest_first
    assert (first.has_next, second.has_next, second.page) == (True, False, 2)
    back = payments.list_payments(
        session, actor=actor, page=1, page_size=10, before=second.first_key
    )
    assert [r.id for r in back.rows] == newest_first[:10]
    last = payments.list_payments(session, actor=actor, page=1, page_size=10, last=True)
    assert (last.page, last.total, [r.id for r in last.rows]) == (2, 12, newest_first[10:])
    garbage = payments.list_payments(session, actor=actor, page=2, page_size=10, after="nonsense")
    assert [r.id for r in garbage.rows] == newest_first[10:]
