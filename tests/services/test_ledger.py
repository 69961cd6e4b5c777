"""The ledger stamp: a fingerprint of a client's invoices and payments that live pages poll."""

from datetime import timedelta

from portal_app.db import utcnow
from portal_app.models import Payment
from portal_app.services import ledger


def _key(client):
    return (client.company_id, client.id)


def _payment(session, client, **kw):
    payment = Payment(
        company_id=client.company_id,
        client_id=client.id,
        number=kw.pop("number", f"P-{client.id}"),
        currency="USD",
        amount_minor=1000,
        **kw,
    )
    session.add(payment)
    session.flush()
    return payment


def test_the_stamp_moves_when_an_invoice_or_a_payment_of_the_client_changes(make, session):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    empty = ledger.ledger_stamp(session, actor=actor)
    invoice = make.invoice(client)
    with_invoice = ledger.ledger_stamp(session, actor=actor)
    assert with_invoice != empty
    invoice.updated_at = utcnow() + timedelta(seconds=5)
    session.add(invoice)
    session.flush()
    invoice_changed = ledger.ledger_stamp(session, actor=actor)
    assert invoice_changed != with_invoice
    _payment(session, client)
    assert ledger.ledger_stamp(session, actor=actor) != invoice_changed


def test_another_clients_records_leave_the_stamp_alone(make, session):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    actor = make.actor(make.contact(mine))
    before = ledger.ledger_stamp(session, actor=actor)
    make.invoice(theirs)
    _payment(session, theirs)
    assert ledger.ledger_stamp(session, actor=actor) == before


def test_stamps_of_more_clients_than_a_batch_equal_each_clients_own(make, session, monkeypatch):
    company = make.company()
    clients = [make.client(company) for _ in range(5)]
    for count, client in enumerate(clients):
        for _ in range(count):
            make.invoice(client)
        if count % 2:
            _payment(session, client)
    monkeypatch.setattr(ledger, "BATCH", 2)  # three queries of 2, 2 and 1 clients
    together = ledger.ledger_stamps(session, clients=[_key(c) for c in clients])
    for client in clients:
        alone = ledger.ledger_stamps(session, clients=[_key(client)])
        assert together[_key(client)] == alone[_key(client)]
    assert len(set(together.values())) == len(clients)
