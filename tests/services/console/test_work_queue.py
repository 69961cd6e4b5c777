"""The staff work queue: each kind appears, leaves when handled, stays in its company, and the
navigation's counts match the lists."""

from datetime import UTC, date, datetime, timedelta

from portal_app.core.db import utcnow
from portal_app.models import Document, Subscription
from portal_app.services.billing import recurring as recurring_service
from portal_app.services.console import work_queue as wq
from portal_app.services.payments import staff_payments
from portal_app.services.payments.autobill import autobill_invoice
from portal_app.services.subscriptions import staff_cancellations as sc
from tests.helpers.quotes import add_quote
from tests.helpers.recurring import add_recurring
from tests.helpers.staff_docs import staff_actor
from tests.helpers.subscriptions import plan, tx_for


def _keys(session, staff, kind, *, today):
    queue = wq.work_queue(session, actor=staff, today=today)
    keys = {item.key for item in queue.items if item.kind == kind}
    assert queue.counts[kind] == len(keys)
    assert wq.queue_counts(session, actor=staff, today=today) == queue.counts
    return keys


def _world(make):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    return company, client, contact


def test_recurring_cancellation_request_until_declined(make, session, today):
    company, client, contact = _world(make)
    other_company, other_client, other_contact = _world(make)
    for c, co in ((client, contact), (other_client, other_contact)):
        schedule = add_recurring(session, c, number=f"R-{c.id}", start_date=today)
        recurring_service.request_cancellation(
            session, actor=make.actor(co), recurring_id=schedule.id, reason="Closing"
        )
        if c is client:
            mine = schedule
    staff = staff_actor(session, company)
    assert _keys(session, staff, "recurring_cancellation", today=today) == {
        f"recurring_cancellation-{mine.id}"
    }
    [item] = [i for i in wq.work_queue(session, actor=staff, today=today).items]
    assert (item.title, item.detail, item.href) == (
        f"Recurring invoice R-{client.id}",
        "Closing",
        f"/staff/clients/{client.id}",
    )
    sc.decline_request(session, actor=staff, kind="recurring", record_id=mine.id, today=today)
    assert _keys(session, staff, "recurring_cancellation", today=today) == set()


def test_subscription_cancellation_request_until_declined(make, session, today):
    company, client, _ = _world(make)
    basic = plan(session, company)
    sub = Subscription(
        company_id=company.id,
        client_id=client.id,
        plan_id=basic.id,
        status="cancel_requested",
        current_period_start=today,
        current_period_end=today + timedelta(days=30),
        cancel_requested_at=utcnow(),
        cancel_reason="Moving",
    )
    session.add(sub)
    session.flush()
    staff = staff_actor(session, company)
    other = staff_actor(session, make.company())
    assert _keys(session, staff, "subscription_cancellation", today=today) == {
        f"subscription_cancellation-{sub.id}"
    }
    assert _keys(session, other, "subscription_cancellation", today=today) == set()
    sc.decline_request(session, actor=staff, kind="subscription", record_id=sub.id, today=today)
    assert _keys(session, staff, "subscription_cancellation", today=today) == set()


def test_unapplied_payment_until_applied(make, session, today):
    company, client, _ = _world(make)
    payment = make.payment(client, amount_minor=50_00)
    make.payment(client, amount_minor=20_00, applied_minor=20_00)  # fully applied: not waiting
    make.payment(make.client(make.company()), amount_minor=30_00)  # another company's
    invoice = make.invoice(client)
    staff = staff_actor(session, company)
    assert _keys(session, staff, "unapplied_payment", today=today) == {
        f"unapplied_payment-{payment.id}"
    }
    [item] = wq.work_queue(session, actor=staff, today=today).items
    assert item.detail == "$50.00 not applied"
    staff_payments.apply_unapplied(
        session,
        actor=staff,
        payment_id=payment.id,
        applications=[staff_payments.Application(invoice_id=invoice.id, amount="50.00")],
    )
    assert _keys(session, staff, "unapplied_payment", today=today) == set()


def test_failed_charge_until_the_invoice_is_cancelled(make, session, gateway, today):
    company, client, _ = _world(make)
    invoice = make.invoice(client, number="INV-0012")
    other_invoice = make.invoice(make.client(make.company()), number="INV-9")
    for target in (invoice, other_invoice):
        # No saved card: the charge fails before reaching the gateway and is audited.
        result = autobill_invoice(
            tx_for(session), invoice_id=target.id, gateway=gateway, source="subscription"
        )
        assert result.status == "no_card"
    staff = staff_actor(session, company, role="owner")
    assert _keys(session, staff, "failed_charge", today=today) == {f"failed_charge-{invoice.id}"}
    [item] = wq.work_queue(session, actor=staff, today=today).items
    assert item.title == "Invoice INV-0012"
    assert item.detail.startswith("Renewal failed, $")
    staff_payments.cancel_invoice(session, actor=staff, invoice_id=invoice.id)
    assert _keys(session, staff, "failed_charge", today=today) == set()


def test_quotes_answered_today_until_converted(make, session, today):
    company, client, _ = _world(make)
    now = utcnow()
    approved = add_quote(session, client, number="Q-1", status="approved", approved_at=now)
    declined = add_quote(session, client, number="Q-2", status="declined", declined_at=now)
    add_quote(  # answered yesterday
        session, client, number="Q-3", status="approved", approved_at=now - timedelta(days=1)
    )
    add_quote(session, client, number="Q-4", status="sent")
    add_quote(
        session, make.client(make.company()), number="Q-5", status="approved", approved_at=now
    )
    staff = staff_actor(session, company)
    assert _keys(session, staff, "quote_answered", today=today) == {
        f"quote_answered-{approved.id}",
        f"quote_answered-{declined.id}",
    }
    approved.status = "converted"
    session.add(approved)
    session.flush()
    assert _keys(session, staff, "quote_answered", today=today) == {f"quote_answered-{declined.id}"}


def _doc(session, client, uploaded_by, created_at):
    doc = Document(
        company_id=client.company_id,
        client_id=client.id,
        name="receipt.pdf",
        sha256="0" * 64,
        media_type="application/pdf",
        uploaded_by=uploaded_by,
        created_at=created_at,
    )
    session.add(doc)
    session.flush()
    return doc


def test_client_uploads_of_the_last_seven_days(make, session, today):
    company, client, _ = _world(make)
    now = utcnow()
    fresh = _doc(session, client, "contact", now)
    _doc(session, client, "staff", now)
    old = _doc(session, client, "contact", now - timedelta(days=6))
    _doc(
        session,
        client,
        "contact",
        datetime.combine(today, datetime.min.time(), tzinfo=UTC) - timedelta(days=8),
    )
    _doc(session, make.client(make.company()), "contact", now)
    staff = staff_actor(session, company)
    assert _keys(session, staff, "client_upload", today=today) == {
        f"client_upload-{fresh.id}",
        f"client_upload-{old.id}",
    }
    # A week later they are no longer waiting.
    later = wq.queue_counts(session, actor=staff, today=today + timedelta(days=8))
    assert later["client_upload"] == 0


def test_counts_cover_every_kind_and_start_at_zero(make, session, today):
    staff = staff_actor(session, make.company())
    assert wq.queue_counts(session, actor=staff, today=today) == dict.fromkeys(wq.KINDS, 0)


def test_quotes_answered_today_is_the_companys_day(make, session):
    company, client, _ = _world(make)
    company.time_zone = "Pacific/Auckland"  # UTC+13 in December
    session.add(company)
    session.flush()
    # 11:30 UTC on 5 December is 00:30 on the 6th in Auckland: today there, not in UTC.
    today_there = add_quote(
        session,
        client,
        number="Q-NZ-1",
        status="approved",
        approved_at=datetime(2026, 12, 5, 11, 30, tzinfo=UTC),
    )
    add_quote(  # 23:30 on the 5th in Auckland: yesterday there
        session,
        client,
        number="Q-NZ-2",
        status="declined",
        declined_at=datetime(2026, 12, 5, 10, 30, tzinfo=UTC),
    )
    staff = staff_actor(session, company)
    queue = wq.work_queue(session, actor=staff, today=date(2026, 12, 6))
    keys = {item.key for item in queue.items if item.kind == "quote_answered"}
    assert keys == {f"quote_answered-{today_there.id}"}
    counts = wq.queue_counts(session, actor=staff, today=date(2026, 12, 6))
    assert counts["quote_answered"] == 1


def test_client_messages_wait_until_staff_answer(make, session, today):
    from portal_app.services.documents import threads

    company, client, contact = _world(make)
    _, other_client, other_contact = _world(make)
    invoice, theirs = make.invoice(client), make.invoice(other_client)
    quote = add_quote(session, client, number=f"Q-MSG-{client.id}")
    for actor, kind, record, dispute in (
        (make.actor(contact), "invoice", invoice, True),
        (make.actor(contact), "quote", quote, False),
        (make.actor(other_contact), "invoice", theirs, False),
    ):
        threads.post_client_message(
            session,
            actor=actor,
            document_type=kind,
            document_id=record.id,
            body="Please check the hours on this one.",
            dispute=dispute,
        )
    staff = staff_actor(session, company)
    keys = _keys(session, staff, "client_message", today=today)
    assert len(keys) == 2
    items = {
        i.href: i
        for i in wq.work_queue(session, actor=staff, today=today).items
        if i.kind == "client_message"
    }
    disputed = items[f"/staff/invoices/{invoice.id}"]
    assert disputed.title == f"Invoice {invoice.number}"
    assert disputed.detail == "Dispute: Please check the hours on this one."
    assert items[f"/staff/quotes/{quote.id}"].detail.startswith("Question: ")
    # An answer takes the quote off; resolving takes the invoice off.
    threads.post_staff_answer(
        session, actor=staff, document_type="quote", document_id=quote.id, body="Checked: fine."
    )
    threads.resolve_thread(session, actor=staff, document_type="invoice", document_id=invoice.id)
    assert _keys(session, staff, "client_message", today=today) == set()
