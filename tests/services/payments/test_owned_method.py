"""One owned-card check (payment_methods.owned_method) for checkout, pre-payments and the
cards page: each wrong id is "not found", through every service that takes a card id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from portal_app.core.errors import NotFoundError
from portal_app.models import PaymentMethod
from portal_app.services.payments import checkout as co
from portal_app.services.payments import payment_methods as pm
from portal_app.services.payments import prepayments as pre


def _card(session, client, **kw) -> PaymentMethod:
    row = PaymentMethod(
        company_id=client.company_id,
        client_id=client.id,
        customer_ref=f"cus_{uuid.uuid4().hex[:12]}",
        method_ref=f"pm_{uuid.uuid4().hex[:16]}",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2031,
        **kw,
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def mine(make, session):
    company = make.company()
    client = make.client(company)
    return company, client, make.actor(make.contact(client))


def _refused_everywhere(session, actor, method_id) -> None:
    """The same refusal from the check itself and from each service that takes a card id."""
    with pytest.raises(NotFoundError):
        pm.owned_method(session, actor=actor, method_id=method_id)
    with pytest.raises(NotFoundError):
        co.method_ref_of(session, actor=actor, method_id=method_id)
    with pytest.raises(NotFoundError):
        pm.set_default(session, actor=actor, method_id=method_id)
    request = pre.PrepaymentRequest(50_00, "USD", "", False, "monthly", None)
    with pytest.raises(NotFoundError):
        pre.start_prepayment(session, actor=actor, request=request, payment_method_id=method_id)


def test_own_card_is_found(mine, session):
    _company, client, actor = mine
    card = _card(session, client)
    assert pm.owned_method(session, actor=actor, method_id=card.id).id == card.id
    assert co.method_ref_of(session, actor=actor, method_id=card.id) == card.method_ref


def test_another_clients_card_of_the_same_company(mine, make, session):
    company, _client, actor = mine
    other = _card(session, make.client(company))
    _refused_everywhere(session, actor, other.id)


def test_a_card_of_another_company(mine, make, session):
    _company, _client, actor = mine
    stranger = _card(session, make.client(make.company()))
    _refused_everywhere(session, actor, stranger.id)


def test_removed_card(mine, session):
    _company, client, actor = mine
    gone = _card(session, client, removed_at=datetime(2024, 1, 1, tzinfo=UTC))
    _refused_everywhere(session, actor, gone.id)


def test_saved_card_in_an_emailed_link_session(mine, make, session):
    _company, client, _actor = mine
    card = _card(session, client)
    invoice = make.invoice(client)
    link_actor = make.actor(make.contact(client), kind="link", link_to=invoice)
    with pytest.raises(NotFoundError):
        pm.owned_method(session, actor=link_actor, method_id=card.id)
    with pytest.raises(NotFoundError):
        co.method_ref_of(session, actor=link_actor, method_id=card.id)
    request = pre.PrepaymentRequest(50_00, "USD", "", False, "monthly", None)
    with pytest.raises(NotFoundError):  # pre-payments used to take it
        pre.start_prepayment(session, actor=link_actor, request=request, payment_method_id=card.id)


@pytest.mark.parametrize(
    "method_id",
    [True, -1, 0, 2**31, 10**30, "1", 1.0],
    ids=["bool", "negative", "zero", "huge", "huger", "string", "float"],
)
def test_ids_that_are_not_plain_positive_ints(mine, session, method_id):
    _company, client, actor = mine
    # Card 1 exists (the test's rows roll back, so the id is free): `True == 1` and "1" or 1.0
    # would find it if they slipped through as ints.
    _card(session, client, id=1)
    _refused_everywhere(session, actor, method_id)


def test_no_id_is_not_a_card(mine, session):
    _company, _client, actor = mine
    with pytest.raises(NotFoundError):
        pm.owned_method(session, actor=actor, method_id=None)
