from datetime import date, timedelta

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError
from portal_app.models import AuditEvent, Invoice
from portal_app.services.billing import invoices
from portal_app.services.billing.staff_records import INVOICE, create_record, mark_sent
from portal_app.services.payments.ledger_stamp import ledger_stamp
from portal_app.services.payments.staff_payments import cancel_invoice, mark_paid
from tests.helpers.staff_docs import invoice_form, staff_actor


def test_list_hides_drafts_and_other_clients(make, session):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    me = make.contact(mine)
    visible = make.invoice(mine, status="sent")
    make.invoice(mine, status="draft")
    make.invoice(theirs, status="sent")
    page = invoices.list_invoices(session, actor=make.actor(me), query=invoices.ListQuery())
    assert [row.id for row in page.rows] == [visible.id]
    assert page.total == 1 and not page.has_next


def test_other_clients_invoice_is_not_found(make, session):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    me = make.contact(mine)
    foreign = make.invoice(theirs)
    draft = make.invoice(mine, status="draft")
    for invoice_id in (foreign.id, draft.id, 999_999_999):
        with pytest.raises(NotFoundError):
            invoices.invoice_view(session, actor=make.actor(me), invoice_id=invoice_id)


def test_filters_sort_and_paging(make, session):
    company = make.company()
    client = make.client(company)
    me = make.contact(client)
    today = date(2026, 6, 15)
    overdue = make.invoice(
        client, issue_date=today - timedelta(days=60), due_date=today - timedelta(days=1)
    )
    future = make.invoice(
        client, issue_date=today - timedelta(days=5), due_date=today + timedelta(days=5)
    )
    paid = make.invoice(
        client, status="paid", paid_minor=240_00, issue_date=today - timedelta(days=90)
    )
    actor = make.actor(me)

    def ids(**kw):
        page = invoices.list_invoices(
            session, actor=actor, query=invoices.ListQuery(**kw), today=today
        )
        return [row.id for row in page.rows]

    assert set(ids(status="unpaid")) == {overdue.id, future.id}
    assert ids(status="overdue") == [overdue.id]
    assert ids(status="paid") == [paid.id]
    assert ids(sort="date", descending=False) == [paid.id, overdue.id, future.id]
    # Unknown sort keys and filters fall back to safe defaults instead of reaching SQL.
    assert len(ids(sort="id; drop table invoice", status="bogus")) == 3
    first = invoices.list_invoices(
        session, actor=actor, query=invoices.ListQuery(page_size=10, sort="date"), today=today
    )
    assert first.page_size == 10 and not first.has_next


def test_search_by_number_escapes_wildcards(make, session):
    company = make.company()
    client = make.client(company)
    me = make.contact(client)
    target = make.invoice(client, number=f"INV-{client.id}-77")
    make.invoice(client, number=f"INV-{client.id}-88")
    actor = make.actor(me)
    page = invoices.list_invoices(session, actor=actor, query=invoices.ListQuery(search="-77"))
    assert [r.id for r in page.rows] == [target.id]
    page = invoices.list_invoices(session, actor=actor, query=invoices.ListQuery(search="%"))
    assert page.rows == []


def test_dashboard_totals_per_currency(make, session):
    company = make.company()
    client = make.client(company)
    me = make.contact(client)
    today = date(2026, 6, 15)
    make.invoice(client, currency="USD", due_date=today - timedelta(days=3))  # overdue 240.00
    make.invoice(client, currency="USD", due_date=today + timedelta(days=2))  # due soon 240.00
    make.invoice(client, currency="EUR", status="paid", paid_minor=240_00)
    make.invoice(client, currency="USD", status="draft", due_date=today - timedelta(days=3))
    view = invoices.dashboard(session, actor=make.actor(me), today=today)
    by_currency = {t.currency: t for t in view.totals}
    assert by_currency["USD"].open_balance == "$480.00"
    assert by_currency["USD"].overdue == "$240.00"
    assert by_currency["EUR"].paid_to_date == "€240.00"
    assert [a.reason for a in view.attention] == ["Overdue", "Due soon"]


def test_switched_off_module_is_closed(make, session):
    company = make.company(enabled_modules="payments")
    client = make.client(company)
    me = make.contact(client)
    invoice = make.invoice(client)
    actor = make.actor(me)
    with pytest.raises(NotFoundError):
        invoices.list_invoices(session, actor=actor, query=invoices.ListQuery())
    with pytest.raises(NotFoundError):
        invoices.invoice_view(session, actor=actor, invoice_id=invoice.id)
    with pytest.raises(NotFoundError):
        invoices.invoices_for_download(session, actor=actor, invoice_ids=[invoice.id])


def _viewed(session, invoice_id):
    return session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "invoice_viewed", AuditEvent.entity_id == invoice_id
        )
    ).all()


def test_opening_an_invoice_shows_it_and_records_the_view_once(make, session):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client, number="OPEN-1")
    view = invoices.open_invoice(session, actor=actor, invoice_id=invoice.id)
    assert (view.id, view.number) == (invoice.id, "OPEN-1")
    assert invoice.last_viewed_at is not None
    assert len(_viewed(session, invoice.id)) == 1


def test_opening_another_clients_or_a_draft_invoice_is_not_found_and_records_nothing(make, session):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    theirs = make.invoice(make.client(company))
    draft = make.invoice(make.client(company), status="draft")
    for invoice in (theirs, draft):
        with pytest.raises(NotFoundError):
            invoices.open_invoice(session, actor=actor, invoice_id=invoice.id)
        assert invoice.last_viewed_at is None and _viewed(session, invoice.id) == []


def test_opening_an_invoice_with_the_module_off_is_not_found(make, session):
    client = make.client(make.company(enabled_modules="payments"))
    invoice = make.invoice(client)
    with pytest.raises(NotFoundError):
        invoices.open_invoice(
            session, actor=make.actor(make.contact(client)), invoice_id=invoice.id
        )
    assert _viewed(session, invoice.id) == []


def test_keyset_pages_stay_in_the_clients_scope_and_hide_drafts(make, session):
    """Keys from the page before or after, and the last page, never reach another client's or
    a draft invoice; a key made for another client's list only says where to start."""
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    actor = make.actor(make.contact(mine))
    issued = date(2025, 1, 1)
    own = [make.invoice(mine, number=f"KS-{n}", issue_date=issued) for n in range(5)]
    make.invoice(mine, number="KS-draft", status="draft", issue_date=issued)
    foreign = make.invoice(theirs, number="KS-foreign", issue_date=issued)
    query = invoices.ListQuery(page_size=10)
    first = invoices.list_invoices(session, actor=actor, query=query)
    assert [r.id for r in first.rows] == [i.id for i in reversed(own)]
    last = invoices.list_invoices(
        session, actor=actor, query=invoices.ListQuery(page_size=10, last=True)
    )
    assert (last.page, last.total, [r.id for r in last.rows]) == (1, 5, [r.id for r in first.rows])
    # A key naming the other client's invoice (its date and id) starts the page there.
    order = invoices.ListQuery().normalized().order()
    after_foreign = order.key_of(foreign)
    page = invoices.list_invoices(
        session, actor=actor, query=invoices.ListQuery(page=2, page_size=10, after=after_foreign)
    )
    assert {r.id for r in page.rows} <= {i.id for i in own}
    assert foreign.id not in [r.id for r in page.rows]


def test_one_built_list_statement_serves_each_client_day_and_search(make, session):
    """The list's statements are built once per shape with the actor's ids, the day and the
    search as parameters: each call still sees only its own client's rows, on its own day,
    for its own search."""
    # Two companies: their numbers may be the same.
    mine, theirs = make.client(make.company()), make.client(make.company())
    due = date(2026, 3, 10)
    own = [make.invoice(mine, number=f"BS-{n}", due_date=due) for n in range(3)]
    other = [make.invoice(theirs, number=f"BS-{n}", due_date=due) for n in range(2)]
    me, them = make.actor(make.contact(mine)), make.actor(make.contact(theirs))

    def ids(actor, today, **query):
        page = invoices.list_invoices(
            session, actor=actor, query=invoices.ListQuery(**query), today=today
        )
        return sorted(row.id for row in page.rows), page.total

    for _ in range(2):  # the second round runs the statements the first one built
        assert ids(me, due) == (sorted(i.id for i in own), 3)
        assert ids(them, due) == (sorted(i.id for i in other), 2)
        assert ids(me, due, status="overdue") == ([], 0)
        later = due + timedelta(days=1)
        assert ids(me, later, status="overdue") == (sorted(i.id for i in own), 3)
        assert ids(them, later, status="overdue") == (sorted(i.id for i in other), 2)
        assert ids(me, due, search="BS-1") == ([own[1].id], 1)
        assert ids(them, due, search="BS-0") == ([other[0].id], 1)
        assert ids(them, due, search="BS-2") == ([], 0)


def test_list_rows_are_the_invoices_row_views(make, session):
    """A list page's rows (plain tuples, `_row_view`) read as `invoice_row_view` makes them
    from the invoices themselves, overdue and payable included."""
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    today = date(2026, 6, 15)
    made = [
        make.invoice(client, issue_date=today - timedelta(days=40), due_date=today),
        make.invoice(client, issue_date=today - timedelta(days=30), due_date=today - timedelta(1)),
        make.invoice(client, status="paid", paid_minor=240_00, issue_date=today),
    ]
    page = invoices.list_invoices(session, actor=actor, query=invoices.ListQuery(), today=today)
    views = {inv.id: invoices.invoice_row_view(inv, "en_US", today) for inv in made}
    assert page.rows == [views[row.id] for row in page.rows] and len(page.rows) == 3
    assert [views[i.id].is_overdue for i in made] == [False, True, False]


def test_the_last_page_of_a_filtered_list_is_numbered_from_its_count(make, session):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    for n in range(7):
        make.invoice(client, number=f"LP-{n}", status="paid" if n % 2 else "sent")
    last = invoices.list_invoices(
        session, actor=actor, query=invoices.ListQuery(status="unpaid", page_size=10, last=True)
    )
    assert (last.page, last.total, last.has_next, len(last.rows)) == (1, 4, False, 4)
    last_of_two = invoices.list_invoices(
        session,
        actor=actor,
        query=invoices.ListQuery(status="all", page_size=10, search="LP", last=True),
    )
    assert (last_of_two.page, len(last_of_two.rows)) == (1, 7)


def _counted(session, actor, **query) -> tuple[str, int]:
    """What a list load does (pages/client/invoices.py): the ledger stamp first, then the last
    page with that stamp, whose count is kept per stamp. (stamp, total)."""
    stamp = ledger_stamp(session, actor=actor)
    page = invoices.list_invoices(
        session, actor=actor, query=invoices.ListQuery(last=True, ledger_stamp=stamp, **query)
    )
    return stamp, page.total


@pytest.fixture
def counted_client(make, session):
    """A client with three sent invoices, its actor and a staff actor of its company."""
    company = make.company()
    client = make.client(company)
    for n in range(3):
        make.invoice(client, number=f"CK-{n}", status="sent")
    return client, make.actor(make.contact(client)), staff_actor(session, company)


def test_the_kept_count_follows_an_invoice_the_staff_create_and_send(session, counted_client):
    client, actor, staff = counted_client
    before, total = _counted(session, actor)
    assert total == 3 and _counted(session, actor) == (before, 3)  # kept, still right
    draft = create_record(session, actor=staff, kind=INVOICE, form=invoice_form(client.id))
    assert _counted(session, actor)[1] == 3  # a draft is not listed
    mark_sent(session, actor=staff, kind=INVOICE, record_id=draft.id)
    after, total = _counted(session, actor)
    assert after != before and total == 4


def test_the_kept_count_follows_an_invoice_paid(session, counted_client):
    client, actor, staff = counted_client
    before, unpaid = _counted(session, actor, status="unpaid")
    _, paid = _counted(session, actor, status="paid")
    assert (unpaid, paid) == (3, 0)
    invoice = session.exec(
        select(Invoice).where(Invoice.client_id == client.id, Invoice.number == "CK-1")
    ).one()
    mark_paid(session, actor=staff, invoice_id=invoice.id)
    after, unpaid = _counted(session, actor, status="unpaid")
    assert after != before and (unpaid, _counted(session, actor, status="paid")[1]) == (2, 1)


def test_the_kept_count_follows_an_invoice_voided(session, counted_client):
    client, actor, staff = counted_client
    before, unpaid = _counted(session, actor, status="unpaid")
    assert unpaid == 3 and _counted(session, actor)[1] == 3
    invoice = session.exec(
        select(Invoice).where(Invoice.client_id == client.id, Invoice.number == "CK-2")
    ).one()
    cancel_invoice(session, actor=staff, invoice_id=invoice.id)
    after, unpaid = _counted(session, actor, status="unpaid")
    assert after != before and unpaid == 2
    assert _counted(session, actor)[1] == 3  # a cancelled invoice stays listed
