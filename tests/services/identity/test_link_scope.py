"""An e-mailed link opens its document, not the whole account: the session it makes sees the
linked invoice (or quote, and the invoice it became) and what hangs off it; everything else
asks for the password."""

from datetime import date

import pytest

from portal_app.core.errors import NotFoundError
from portal_app.services.billing import credits, invoices, quotes, statements
from portal_app.services.documents import documents
from portal_app.services.identity import auth, invitations
from portal_app.services.identity.link_scope import FullSessionRequired
from portal_app.services.payments import checkout as co
from portal_app.services.payments import payment_methods, payments
from tests.helpers.quotes import add_quote


@pytest.fixture
def account(make, session, tmp_path, monkeypatch):
    """A client with two invoices (each with a document), a credit, a quote, a saved card and
    a payment on each invoice; one contact signed in with a password."""
    from portal_app.core.settings import get_settings
    from portal_app.models import PaymentMethod
    from portal_app.services.payments import ledger

    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    get_settings.cache_clear()
    client = make.client(make.company())
    contact = make.contact(client)
    linked, other = make.invoice(client), make.invoice(client)
    make.credit(client, amount_minor=10_00)
    quote = add_quote(session, client, number="Q-1")
    docs = {}
    for invoice in (linked, other):
        docs[invoice.id] = documents.store_document(
            session,
            company_id=client.company_id,
            client_id=client.id,
            data=b"%PDF-1.4\n" + str(invoice.id).encode() + b"\n%%EOF\n",
            name=f"{invoice.number}.pdf",
            invoice_id=invoice.id,
        ).id
    paid = {}
    for invoice in (linked, other):
        payment = make.payment(client, amount_minor=10_00, method="manual")
        ledger.allocate_payment(session, payment=payment, invoice_id=invoice.id, amount_minor=10_00)
        paid[invoice.id] = payment.id
    session.add(
        PaymentMethod(
            company_id=client.company_id,
            client_id=client.id,
            customer_ref="cus_x",
            method_ref=f"pm_{client.id}",
            brand="visa",
            last4="4242",
            exp_month=12,
            exp_year=2031,
            is_default=True,
        )
    )
    session.flush()
    yield {
        "client": client,
        "contact": contact,
        "linked": linked,
        "other": other,
        "quote": quote,
        "docs": docs,
        "paid": paid,
    }
    get_settings.cache_clear()


def _link_actor(session, contact, record, kind: str):
    """The actor of a real link session, as the cookie resolves it."""
    create = (
        invitations.create_invoice_invitation
        if kind == "invoice"
        else invitations.create_quote_invitation
    )
    key = create(session, contact=contact, **{kind: record})
    opened = invitations.open_invitation(session, key=key, entity_type=kind)
    actor = auth.resolve_actor(session, token=opened.new_session.token)
    assert actor is not None and actor.is_link_session
    assert (actor.link_type, actor.link_id) == (kind, record.id)
    return actor


def test_an_invoice_link_opens_that_invoice_and_what_hangs_off_it(session, make, account):
    actor = _link_actor(session, account["contact"], account["linked"], "invoice")
    linked, other = account["linked"], account["other"]

    listed = invoices.list_invoices(session, actor=actor, query=invoices.ListQuery())
    assert [row.id for row in listed.rows] == [linked.id]
    assert invoices.open_invoice(session, actor=actor, invoice_id=linked.id).number == linked.number
    with pytest.raises(NotFoundError):
        invoices.open_invoice(session, actor=actor, invoice_id=other.id)

    shown = payments.list_payments(session, actor=actor)
    assert [row.id for row in shown.rows] == [account["paid"][linked.id]]
    with pytest.raises(NotFoundError):
        payments.payment_view(session, actor=actor, payment_id=account["paid"][other.id])

    rows = documents.list_client_documents(session, actor=actor)
    assert [row.id for row in rows.rows] == [account["docs"][linked.id]]
    with pytest.raises(NotFoundError):
        documents.get_client_document(session, actor=actor, document_id=account["docs"][other.id])

    assert quotes.list_quotes(session, actor=actor, query=quotes.ListQuery()).rows == []
    # Pay it with a new card: yes; another invoice, or with a saved card: no.
    assert co.preview(session, actor=actor, invoice_ids=[linked.id]).lines
    with pytest.raises(NotFoundError):
        co.preview(session, actor=actor, invoice_ids=[other.id])
    assert co.saved_cards(session, actor=actor) == []
    assert payment_methods.list_methods(session, actor=actor) == []
    assert [g.count for g in co.payable_groups(session, actor=actor)] == [1]


@pytest.mark.parametrize("part", ["credits", "statement"])
def test_the_rest_of_the_account_asks_for_the_password(session, account, part):
    actor = _link_actor(session, account["contact"], account["linked"], "invoice")
    with pytest.raises(FullSessionRequired) as refused:
        if part == "credits":
            credits.list_credits(session, actor=actor)
        else:
            statements.statement(
                session, actor=actor, start=date(2026, 1, 1), end=date(2026, 12, 31)
            )
    assert "password" in refused.value.message


def test_a_quote_link_opens_the_quote_and_the_invoice_it_becomes(session, make, account):
    quote = account["quote"]
    actor = _link_actor(session, account["contact"], quote, "quote")
    assert [
        row.id for row in quotes.list_quotes(session, actor=actor, query=quotes.ListQuery()).rows
    ] == [quote.id]
    assert invoices.list_invoices(session, actor=actor, query=invoices.ListQuery()).rows == []
    result = quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id])
    [became] = result.invoice_ids
    assert [
        row.id
        for row in invoices.list_invoices(session, actor=actor, query=invoices.ListQuery()).rows
    ] == [became]
    assert co.preview(session, actor=actor, invoice_ids=[became]).lines


def test_a_password_session_still_sees_everything(session, make, account):
    actor = make.actor(account["contact"])
    listed = invoices.list_invoices(session, actor=actor, query=invoices.ListQuery())
    assert {row.id for row in listed.rows} == {account["linked"].id, account["other"].id}
    assert len(payments.list_payments(session, actor=actor).rows) == 2
    assert len(co.saved_cards(session, actor=actor)) == 1
    credits.list_credits(session, actor=actor)
