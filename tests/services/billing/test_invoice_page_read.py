"""The invoice page's read (issue 25): the ledger stamp, whether the invoice has files and its
question thread in the invoice's own statement, and of the invoice's company and client only
the columns the page shows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError
from portal_app.models import AuditEvent, Client, Company, Document, DocumentThread, Invoice
from portal_app.services.billing import invoices
from portal_app.services.documents import threads
from portal_app.services.identity import auth
from portal_app.services.payments.ledger_stamp import ledger_stamp
from tests.helpers.staff_docs import staff_actor


def _statements(session, work):
    """What `work()` sends to the database, and what it returned."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        result = work()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen, result


def _viewed(session, invoice_id):
    return session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "invoice_viewed", AuditEvent.entity_id == invoice_id
        )
    ).all()


def test_the_stamp_read_with_the_invoice_is_the_ledger_stamp(make, session):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client, number="STAMP-1")
    make.payment(client)
    opened = invoices.open_invoice_with_stamp(session, actor=actor, invoice_id=invoice.id)
    view, stamp = opened.view, opened.stamp
    assert (view.id, view.number) == (invoice.id, "STAMP-1")
    assert stamp == ledger_stamp(session, actor=actor)
    assert len(_viewed(session, invoice.id)) == 1
    # It follows a change like the ledger stamp does.
    invoice.updated_at = utcnow() + timedelta(seconds=5)
    session.add(invoice)
    session.flush()
    moved = invoices.open_invoice_with_stamp(session, actor=actor, invoice_id=invoice.id).stamp
    assert moved != stamp and moved == ledger_stamp(session, actor=actor)


def test_the_page_view_is_the_same_with_the_stamp_and_one_statement_fewer(make, session):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)
    make.payment(client)

    def hold():
        # Held, as the page's session check holds their locales (session_memo.py): the
        # page's statement reads its parties as rows, not into the session.
        session.expunge_all()
        return session.get(Client, client.id), session.get(Company, client.company_id)

    held = hold()
    before, (_, view) = _statements(
        session,
        lambda: (
            ledger_stamp(session, actor=actor),
            invoices.open_invoice(session, actor=actor, invoice_id=invoice.id),
        ),
    )
    held = hold()
    after, opened = _statements(
        session,
        lambda: invoices.open_invoice_with_stamp(session, actor=actor, invoice_id=invoice.id),
    )
    assert all(held)
    assert len(after) == len(before) - 1, (before, after)
    assert opened.view == view


def test_an_emailed_link_session_gets_its_invoice_and_the_stamp(make, session):
    client = make.client(make.company())
    invoice = make.invoice(client)
    other = make.invoice(client)
    actor = make.actor(make.contact(client), "link", link_to=invoice)
    opened = invoices.open_invoice_with_stamp(session, actor=actor, invoice_id=invoice.id)
    assert opened.view.id == invoice.id and opened.stamp == ledger_stamp(session, actor=actor)
    with pytest.raises(NotFoundError):
        invoices.open_invoice_with_stamp(session, actor=actor, invoice_id=other.id)


def test_another_clients_or_a_draft_invoice_is_not_found_and_records_nothing(make, session):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    theirs = make.invoice(make.client(company))
    draft = make.invoice(make.client(company), status="draft")
    for invoice in (theirs, draft):
        with pytest.raises(NotFoundError):
            invoices.open_invoice_with_stamp(session, actor=actor, invoice_id=invoice.id)
        assert invoice.last_viewed_at is None and _viewed(session, invoice.id) == []


def test_the_page_reads_only_the_parties_columns_it_shows(make, session):
    contact = make.contact(make.client(make.company()))
    invoice = make.invoice(session.get(Client, contact.client_id))
    token = auth.open_session(
        session, contact=contact, kind="password", lifetime=timedelta(days=1)
    ).token
    session.flush()
    session.expunge_all()

    def page_event():
        # As the page's event: the session check first (it notes the modules and locale).
        actor = auth.resolve_actor(session, token=token)
        assert actor is not None
        return invoices.open_invoice_with_stamp(session, actor=actor, invoice_id=invoice.id)

    seen, opened = _statements(session, page_event)
    assert opened.view.id == invoice.id
    # The session check, the invoice with its parties and stamp, its lines and the view record
    # (one statement on PostgreSQL, two on SQLite): nothing loaded lazily, and nothing was
    # applied to the invoice, so no statement for its payments.
    assert len(seen) == (4 if session.get_bind().dialect.name == "postgresql" else 5), seen
    (invoice_sql,) = [sql for sql in seen if "FROM invoice JOIN company" in sql]
    read = set(re.findall(r"\b(company|client)\.(\w+)", invoice_sql.split(" FROM ")[0]))
    assert read >= {("company", name) for name in invoices.PAGE_COMPANY_COLUMNS}
    assert read >= {("client", name) for name in invoices.PAGE_CLIENT_COLUMNS}
    assert ("company", "next_invoice_number") not in read
    assert ("company", "quote_terms") not in read
    assert len(read) == len(invoices.PAGE_COMPANY_COLUMNS) + len(invoices.PAGE_CLIENT_COLUMNS) + 2


def _file(session, invoice, *, visible=True, client_id=None):
    session.add(
        Document(
            company_id=invoice.company_id,
            client_id=client_id or invoice.client_id,
            invoice_id=invoice.id,
            name="terms.pdf",
            sha256="0" * 64,
            size_bytes=10,
            media_type="application/pdf",
            visible_to_client=visible,
        )
    )
    session.flush()


def test_the_invoices_statement_tells_whether_it_has_files_and_a_thread(make, session):
    company = make.company(email="office@example.test")
    client = make.client(company)
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)

    def opened():
        session.expunge_all()
        return invoices.open_invoice_with_stamp(session, actor=actor, invoice_id=invoice.id)

    bare = opened()
    assert (bare.may_have_files, bare.thread) == (False, None)
    assert bare.invoice.id == invoice.id
    _file(session, invoice, visible=False)
    assert opened().may_have_files is False  # a staff-only file is none of the client's
    _file(session, invoice)
    assert opened().may_have_files is True
    threads.post_client_message(
        session,
        actor=actor,
        document_type="invoice",
        document_id=invoice.id,
        body="Why twice?",
        dispute=True,
    )
    found = opened().thread
    stored = session.exec(select(DocumentThread)).one()
    assert found is not None and found not in session
    assert (found.id, found.kind, found.status) == (stored.id, stored.kind, stored.status)
    assert found.kind == "dispute" and found.status == "open"


def test_the_thread_read_with_the_invoice_is_the_clients_thread(make, session):
    company = make.company(email="office@example.test")
    client = make.client(company)
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)
    link = make.actor(make.contact(client), "link", link_to=invoice)

    def both(who):
        session.expunge_all()
        # Held, as the page's session check holds their locales (session_memo.py).
        held = session.get(Client, client.id), session.get(Company, company.id)
        opened = invoices.open_invoice_with_stamp(session, actor=who, invoice_id=invoice.id)
        seen, of = _statements(
            session,
            lambda: threads.client_thread_of(
                session,
                actor=who,
                document_type="invoice",
                document=opened.invoice,
                thread=opened.thread,
            ),
        )
        full = threads.client_thread(
            session, actor=who, document_type="invoice", document_id=invoice.id
        )
        del held
        return seen, of, full

    for who in (actor, link):
        seen, of, full = both(who)
        assert of == full and of.messages == [] and of.thread_id == 0
        assert seen == []  # no thread: no statement
    threads.post_client_message(
        session, actor=actor, document_type="invoice", document_id=invoice.id, body="Why?"
    )
    threads.post_staff_answer(
        session,
        actor=staff_actor(session, company),
        document_type="invoice",
        document_id=invoice.id,
        body="Because.",
        resolve=True,
    )
    for who in (actor, link):
        seen, of, full = both(who)
        assert of == full and [m.body for m in of.messages] == ["Why?", "Because."]
        assert of.status == "resolved" and of.messages[1].author == company.name
        assert seen


def test_the_page_reads_its_invoice_and_parties_as_rows_and_notes_the_view_on_a_held_one(
    make, session
):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client, number="ROWS-1")
    invoice_id = invoice.id
    session.expunge_all()
    opened = invoices.open_invoice_with_stamp(session, actor=actor, invoice_id=invoice_id)
    assert (opened.invoice.id, opened.invoice.number, opened.view.number) == (
        invoice_id,
        "ROWS-1",
        "ROWS-1",
    )
    # Nothing of the page's statement went into the session (no ORM objects built).
    assert not [
        o for o in session.identity_map.values() if isinstance(o, (Invoice, Client, Company))
    ]
    held = session.get(Invoice, invoice_id)
    invoices.open_invoice_with_stamp(session, actor=actor, invoice_id=invoice_id)
    assert held.last_viewed_at is not None and held not in session.dirty
