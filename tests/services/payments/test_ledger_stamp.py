"""The ledger stamp: a fingerprint of a client's invoices and payments that live pages poll."""

from datetime import timedelta

from sqlalchemy import event

from portal_app.core.db import utcnow
from portal_app.services.payments import ledger_stamp


def _key(client):
    return (client.company_id, client.id)


def test_the_stamp_moves_when_an_invoice_or_a_payment_of_the_client_changes(make, session):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    empty = ledger_stamp.ledger_stamp(session, actor=actor)
    invoice = make.invoice(client)
    with_invoice = ledger_stamp.ledger_stamp(session, actor=actor)
    assert with_invoice != empty
    invoice.updated_at = utcnow() + timedelta(seconds=5)
    session.add(invoice)
    session.flush()
    invoice_changed = ledger_stamp.ledger_stamp(session, actor=actor)
    assert invoice_changed != with_invoice
    make.payment(client)
    assert ledger_stamp.ledger_stamp(session, actor=actor) != invoice_changed


def test_another_clients_records_leave_the_stamp_alone(make, session):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    actor = make.actor(make.contact(mine))
    before = ledger_stamp.ledger_stamp(session, actor=actor)
    make.invoice(theirs)
    make.payment(theirs)
    assert ledger_stamp.ledger_stamp(session, actor=actor) == before


def test_stamps_of_more_clients_than_a_batch_equal_each_clients_own(make, session, monkeypatch):
    company = make.company()
    clients = [make.client(company) for _ in range(5)]
    for count, client in enumerate(clients):
        for _ in range(count):
            make.invoice(client)
        if count % 2:
            make.payment(client)
    monkeypatch.setattr(ledger_stamp, "BATCH", 2)  # three queries of 2, 2 and 1 clients
    together = ledger_stamp.ledger_stamps(session, clients=[_key(c) for c in clients])
    for client in clients:
        alone = ledger_stamp.ledger_stamps(session, clients=[_key(client)])
        assert together[_key(client)] == alone[_key(client)]
    assert len(set(together.values())) == len(clients)


def test_batched_stamps_equal_the_single_stamp_and_keep_to_the_company(make, session):
    company = make.company()
    busy, empty = make.client(company), make.client(company)
    make.invoice(busy)
    actor_busy = make.actor(make.contact(busy))
    stamps = ledger_stamp.ledger_stamps(session, clients=[_key(busy), _key(empty)])
    assert stamps[_key(busy)] == ledger_stamp.ledger_stamp(session, actor=actor_busy)
    assert stamps[_key(busy)] != stamps[_key(empty)]
    # The right client id under another company's id is nobody's ledger.
    foreign = (make.company().id, busy.id)
    assert ledger_stamp.ledger_stamps(session, clients=[foreign])[foreign] == stamps[_key(empty)]
    assert ledger_stamp.ledger_stamps(session, clients=[]) == {}


def test_one_clients_stamp_is_one_statement_with_the_same_sql_for_every_client(
    make, session, engine
):
    # Every live page load reads it: one round trip, and SQL the engine compiles once (an
    # expanding IN list is rendered anew at each execution).
    company = make.company()
    first, second = make.client(company), make.client(company)
    make.invoice(first)
    make.payment(second)
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        for client in (first, second):
            actor = make.actor(make.contact(client))
            session.flush()
            seen.clear()
            stamp = ledger_stamp.ledger_stamp(session, actor=actor)
            assert (
                stamp == ledger_stamp.ledger_stamps(session, clients=[_key(client)])[_key(client)]
            )
            assert len(seen) == 2  # the stamp, then the batched one compared with it
            one_client = seen[0]
            assert " IN " not in one_client.upper()
            if client is first:
                first_sql = one_client
        assert one_client == first_sql
    finally:
        event.remove(engine, "before_cursor_execute", capture)
