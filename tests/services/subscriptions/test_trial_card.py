"""A trial asks for the card at sign-up unless the plan says "no card for the trial"; the
renewal job charges it when the trial ends, or ends the trial with an e-mail (in the contact's
language) when there is none (issue 18 item 7). Against localstripe and the SMTP test server."""

import uuid
from datetime import date

import httpx
import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import Invoice, OutboxMessage, Payment, PaymentMethod, Subscription
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.subscriptions import signup
from portal_app.services.subscriptions.renewals import run_renewals
from portal_app.services.subscriptions.trial_end import TRIAL_ENDED_NO_CARD
from tests.conftest import CARD_DECLINED_ON_ATTACH, CARD_OK
from tests.helpers.ledger import assert_ledger_holds
from tests.helpers.mailbox import deliver
from tests.helpers.subscriptions import link, plan, saved_card, tx_for

JAN1 = date(2026, 1, 1)
TRIAL_END = date(2026, 1, 15)


def _kinds(session, company_id):
    rows = session.exec(
        select(OutboxMessage.kind).where(OutboxMessage.company_id == company_id)
    ).all()
    return list(rows)


def test_a_trial_needs_a_card_on_file_unless_the_plan_says_not(make, session):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    with_card = plan(session, company, name="Pro", trial_days=14)
    with pytest.raises(ValidationError) as refused:
        signup.subscribe(session, actor=actor, key=link(session, with_card), today=JAN1)
    assert refused.value.field == "card" and "card" in refused.value.message
    assert (
        session.exec(select(Subscription).where(Subscription.client_id == actor.client_id)).all()
        == []
    )
    free = plan(session, company, name="Free", trial_days=14, trial_without_card=True)
    start = signup.subscribe(session, actor=actor, key=link(session, free), today=JAN1)
    assert start.trialing and start.invoice_id is None


def test_the_card_given_at_sign_up_is_charged_when_the_trial_ends(
    make, session, gateway, browser_card
):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    pro = plan(session, company, name="Pro", trial_days=14, price_minor=25_00)
    saved_card(session, actor, gateway, browser_card, CARD_OK)
    start = signup.subscribe(session, actor=actor, key=link(session, pro), today=JAN1)
    assert start.trialing
    assert run_renewals(tx_for(session), gateway, TRIAL_END) == {"issued": 1, "paid": 1}
    assert run_renewals(tx_for(session), gateway, TRIAL_END) == {}
    sub = session.get(Subscription, start.subscription_id)
    assert sub.status == "active"
    (invoice,) = session.exec(select(Invoice).where(Invoice.subscription_id == sub.id)).all()
    assert invoice.status == "paid" and invoice.amount_minor == 25_00
    assert TRIAL_ENDED_NO_CARD not in _kinds(session, company.id)
    assert_ledger_holds(session, company_id=company.id, client_id=client.id, gateway=gateway)


def test_a_trial_without_a_card_ends_with_one_email_in_the_contacts_language(
    make, session, gateway, browser_card, mailbox
):
    company = make.company(name="Northwind Studio")
    client = make.client(company)
    contact = make.contact(client, is_primary=True, language="fr")
    actor = make.actor(contact)
    free = plan(session, company, name="Pro", trial_days=14, trial_without_card=True)
    start = signup.subscribe(session, actor=actor, key=link(session, free), today=JAN1)
    # Another client's card is not this client's.
    other = make.client(company)
    saved_card(session, make.actor(make.contact(other)), gateway, browser_card, CARD_OK)
    assert run_renewals(tx_for(session), gateway, date(2026, 1, 14)) == {}
    assert run_renewals(tx_for(session), gateway, TRIAL_END) == {"trial_ended_no_card": 1}
    assert run_renewals(tx_for(session), gateway, TRIAL_END) == {}
    sub = session.get(Subscription, start.subscription_id)
    assert sub.status == "cancelled"
    assert session.exec(select(Invoice).where(Invoice.subscription_id == sub.id)).all() == []
    assert session.exec(select(Payment).where(Payment.client_id == client.id)).all() == []
    kinds = _kinds(session, company.id)
    assert kinds.count(TRIAL_ENDED_NO_CARD) == 1
    assert "subscription_cancelled" not in kinds  # one e-mail for one event
    deliver(session)
    (message,) = mailbox.to(contact.email)
    assert message["Subject"] == "Votre essai de Pro est terminé"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "15" in text and "/client/login?next=%2Fclient%2Fsubscriptions%2F" in text
    assert_ledger_holds(session, company_id=company.id, client_id=client.id)


def test_a_card_added_during_a_cardless_trial_is_charged(make, session, gateway, browser_card):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    free = plan(session, company, name="Pro", trial_days=14, trial_without_card=True)
    start = signup.subscribe(session, actor=actor, key=link(session, free), today=JAN1)
    saved_card(session, actor, gateway, browser_card, CARD_OK)
    assert run_renewals(tx_for(session), gateway, TRIAL_END) == {"issued": 1, "paid": 1}
    assert session.get(Subscription, start.subscription_id).status == "active"
    assert TRIAL_ENDED_NO_CARD not in _kinds(session, company.id)
    assert_ledger_holds(session, company_id=company.id, client_id=client.id, gateway=gateway)


def _confirmed_setup(tx, actor, gateway, localstripe_url, number=CARD_OK) -> str:
    """A SetupIntent confirmed with a card, as localstripe's Stripe.js does in the browser."""
    secret = flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose=uuid.uuid4().hex)
    intent_ref = secret.split("_secret_")[0]
    httpx.post(
        f"{localstripe_url}/v1/setup_intents/{intent_ref}/confirm",
        json={
            "key": "pk_test_portal",
            "client_secret": secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
            },
        },
    )
    return intent_ref


def test_the_trial_card_is_kept_as_the_default_and_only_the_clients_own(
    make, session, gateway, browser_card, localstripe_url
):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    tx = tx_for(session)
    older = saved_card(session, actor, gateway, browser_card, CARD_OK)
    intent_ref = _confirmed_setup(tx, actor, gateway, localstripe_url, "5555555555554444")
    method_id = signup.keep_card_for_trial(
        tx, actor=actor, gateway=gateway, setup_intent_ref=intent_ref
    )
    # A second call (double click) keeps the same card.
    assert (
        signup.keep_card_for_trial(tx, actor=actor, gateway=gateway, setup_intent_ref=intent_ref)
        == method_id
    )
    cards = session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)).all()
    assert sorted((c.method_ref == older, c.is_default) for c in cards) == [
        (False, True),
        (True, False),
    ]
    # Another client's SetupIntent is not found; a link session and a preview may not keep one.
    stranger = make.actor(make.contact(make.client(company)))
    with pytest.raises(NotFoundError):
        signup.keep_card_for_trial(tx, actor=stranger, gateway=gateway, setup_intent_ref=intent_ref)
    invoice = make.invoice(client)
    for kind, link_to in (("link", invoice), ("staff_preview", None)):
        other = make.actor(make.contact(client), kind=kind, link_to=link_to)
        with pytest.raises(ReadOnlyError):
            signup.keep_card_for_trial(
                tx, actor=other, gateway=gateway, setup_intent_ref=intent_ref
            )
    # A SetupIntent the bank refused keeps nothing.
    refused = _confirmed_setup(tx, actor, gateway, localstripe_url, CARD_DECLINED_ON_ATTACH)
    with pytest.raises(ValidationError):
        signup.keep_card_for_trial(tx, actor=actor, gateway=gateway, setup_intent_ref=refused)
    assert (
        len(session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)).all())
        == 2
    )
