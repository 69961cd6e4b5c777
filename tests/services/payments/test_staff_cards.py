"""Staff add a card for a client (issue 19 item 3), against a real localstripe: the company's
policy, the client's agreement in the audit log, ownership checks, and the card's use by the
auto-bill job."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, PaymentMethod
from portal_app.services.company.audit_log import AuditFilters, list_events
from portal_app.services.payments import autobill, staff_cards
from portal_app.services.payments import checkout as co
from portal_app.services.payments import payment_methods as pm
from tests.helpers.staff_docs import staff_actor


@pytest.fixture
def setup(session, make):
    company = make.company(staff_may_add_cards=True)
    client = make.client(company)
    contact = make.contact(client)
    return company, client, contact, staff_actor(session, company)


def _confirmed(tx, staff, gateway, browser_card, client) -> str:
    """What the staff user's browser does: confirm the SetupIntent with a card."""
    secret = staff_cards.start_card(
        tx,
        actor=staff,
        gateway=gateway,
        client_id=client.id,
        attempt=uuid.uuid4().hex,
        client_agreed=True,
    )
    intent_ref = secret.split("_secret_")[0]
    intent = gateway.retrieve_setup_intent(intent_ref)
    method_ref = browser_card(intent.customer_ref)
    browser_card.client.v1.setup_intents.confirm(intent_ref, params={"payment_method": method_ref})
    return intent_ref


def test_staff_add_a_card_the_client_sees_and_the_job_charges(
    session, tx, make, setup, gateway, browser_card
):
    company, client, contact, staff = setup
    intent_ref = _confirmed(tx, staff, gateway, browser_card, client)
    label = staff_cards.add_card(
        tx,
        actor=staff,
        gateway=gateway,
        client_id=client.id,
        setup_intent_ref=intent_ref,
        client_agreed=True,
        note="  On the phone with   the owner ",
    )
    assert label == "Visa ending in 4242"
    # The client sees it among its cards, as the default (its first card).
    cards = pm.list_methods(session, actor=make.actor(contact))
    assert [(c.brand, c.last4, c.is_default) for c in cards] == [("Visa", "4242", True)]
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.client_id == client.id,
            AuditEvent.action == "payment_method_added_by_staff",
        )
    ).one()
    assert (event.actor_type, event.actor_id) == ("staff", staff.staff_user_id)
    details = json.loads(event.details)
    assert details["client_agreed"] is True and details["how"] == "On the phone with the owner"
    owner = staff_actor(session, company, role="owner")
    rows = list_events(session, actor=owner, filters=AuditFilters(client_id=client.id)).rows
    assert any(
        row.sentence.endswith("added, with the client's agreement, Card Visa 4242.") for row in rows
    ), [row.sentence for row in rows]
    # The auto-bill job charges it off-session.
    invoice = make.invoice(client)
    result = autobill.autobill_invoice(tx, invoice_id=invoice.id, gateway=gateway)
    assert result.status == "paid", result
    session.refresh(invoice)
    assert invoice.status == "paid" and invoice.balance_minor == 0


def test_no_agreement_no_card(session, tx, setup, gateway, browser_card):
    _, client, _, staff = setup
    with pytest.raises(ValidationError, match="client agreed"):
        staff_cards.start_card(
            tx,
            actor=staff,
            gateway=gateway,
            client_id=client.id,
            attempt=uuid.uuid4().hex,
            client_agreed=False,
        )
    intent_ref = _confirmed(tx, staff, gateway, browser_card, client)
    for agreed in (False, "true", 1):
        with pytest.raises(ValidationError, match="client agreed"):
            staff_cards.add_card(
                tx,
                actor=staff,
                gateway=gateway,
                client_id=client.id,
                setup_intent_ref=intent_ref,
                client_agreed=agreed,
            )
    with pytest.raises(ValidationError, match="at most"):
        staff_cards.add_card(
            tx,
            actor=staff,
            gateway=gateway,
            client_id=client.id,
            setup_intent_ref=intent_ref,
            client_agreed=True,
            note="x" * 201,
        )
    assert (
        session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)).all() == []
    )


def test_the_policy_is_off_unless_the_company_turns_it_on(session, tx, make, gateway):
    company = make.company()
    client = make.client(company)
    staff = staff_actor(session, company, role="owner")
    assert not staff_cards.staff_may_add_cards(session, actor=staff)
    with pytest.raises(ReadOnlyError, match="does not let staff"):
        staff_cards.start_card(
            tx,
            actor=staff,
            gateway=gateway,
            client_id=client.id,
            attempt=uuid.uuid4().hex,
            client_agreed=True,
        )


def test_another_companys_client_and_setup_intent_are_not_found(
    session, tx, make, setup, gateway, browser_card
):
    company, client, _, staff = setup
    other = make.company(staff_may_add_cards=True)
    stranger = staff_actor(session, other, role="owner")
    with pytest.raises(NotFoundError):
        staff_cards.start_card(
            tx,
            actor=stranger,
            gateway=gateway,
            client_id=client.id,
            attempt=uuid.uuid4().hex,
            client_agreed=True,
        )
    # A SetupIntent made for one client cannot be kept for another client of the company.
    intent_ref = _confirmed(tx, staff, gateway, browser_card, client)
    second = make.client(company)
    make.contact(second)
    with pytest.raises(NotFoundError):
        staff_cards.add_card(
            tx,
            actor=staff,
            gateway=gateway,
            client_id=second.id,
            setup_intent_ref=intent_ref,
            client_agreed=True,
        )
    for bad in ("", "pm_123", 42):
        with pytest.raises(ValidationError):
            staff_cards.add_card(
                tx,
                actor=staff,
                gateway=gateway,
                client_id=client.id,
                setup_intent_ref=bad,
                client_agreed=True,
            )


def test_the_setup_intent_is_for_the_clients_own_customer(
    session, tx, make, setup, gateway, browser_card
):
    _, client, contact, staff = setup
    intent_ref = _confirmed(tx, staff, gateway, browser_card, client)
    # The client's own card form uses the same gateway customer.
    with tx() as s:
        customer = co.customer_ref_for(s, actor=make.actor(contact), gateway=gateway)
    assert gateway.retrieve_setup_intent(intent_ref).customer_ref == customer
    assert _cards(session, client) == []


def _cards(session, client) -> list[PaymentMethod]:
    return list(session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)))
