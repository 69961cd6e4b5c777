"""Saved cards against a real localstripe: add via SetupIntent, default, remove, ownership."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import stripe
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.gateways.base import GatewayError
from portal_app.gateways.stripe_gateway import StripeGateway
from portal_app.models import AuditEvent, PaymentMethod
from portal_app.services.payments import checkout as co
from portal_app.services.payments import payment_methods as pm
from tests.conftest import CARD_DECLINED_ON_ATTACH, CARD_OK, _free_port


@pytest.fixture
def owner(make):
    company = make.company()
    client = make.client(company)
    return company, client, make.actor(make.contact(client))


def _customer(tx, actor, gateway) -> str:
    with tx() as s:
        return co.customer_ref_for(s, actor=actor, gateway=gateway)


def _confirmed_setup_intent(tx, actor, gateway, browser_card, number=CARD_OK) -> str:
    """What the browser does: confirm our SetupIntent with a card (Stripe.js stand-in)."""
    secret = pm.start_adding(tx, actor=actor, gateway=gateway, attempt=uuid.uuid4().hex)
    intent_ref = secret.split("_secret_")[0]
    assert intent_ref.startswith("seti_")
    method_ref = browser_card(_customer(tx, actor, gateway), number)
    browser_card.client.v1.setup_intents.confirm(intent_ref, params={"payment_method": method_ref})
    return intent_ref


def _add(tx, actor, gateway, browser_card, number=CARD_OK):
    intent_ref = _confirmed_setup_intent(tx, actor, gateway, browser_card, number)
    return pm.add_from_setup_intent(tx, actor=actor, gateway=gateway, setup_intent_ref=intent_ref)


def _row(session, method_id) -> PaymentMethod:
    row = session.get(PaymentMethod, method_id)
    session.refresh(row)
    return row


def _snapshot(session, client_id):
    rows = session.exec(
        select(PaymentMethod).where(PaymentMethod.client_id == client_id).order_by(PaymentMethod.id)  # type: ignore[arg-type]
    ).all()
    for row in rows:
        session.refresh(row)
    return [(r.id, r.method_ref, r.is_default, r.removed_at) for r in rows]


def _attached_to(browser_card, method_ref: str) -> str | None:
    return browser_card.client.v1.payment_methods.retrieve(method_ref).customer


# -- add -------------------------------------------------------------------------------------


def test_add_from_setup_intent_saves_card_and_first_is_default(
    session, tx, owner, gateway, browser_card
):
    _company, client, actor = owner
    view = _add(tx, actor, gateway, browser_card)
    assert view.brand == "Visa" and view.last4 == "4242" and view.expiry == "12/2031"
    assert view.is_default is True and view.is_expired is False
    row = _row(session, view.id)
    assert row.client_id == client.id and row.method_ref.startswith("pm_")
    assert _attached_to(browser_card, row.method_ref) == row.customer_ref
    second = _add(tx, actor, gateway, browser_card)
    assert second.is_default is False
    listed = pm.list_methods(session, actor=actor)
    assert [m.id for m in listed] == [view.id, second.id]
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.client_id == client.id)).all()
    assert actions.count("payment_method_added") == 2


def test_each_attempt_gets_its_own_setup_intent(tx, owner, gateway):
    _company, _client, actor = owner
    first = pm.start_adding(tx, actor=actor, gateway=gateway, attempt=uuid.uuid4().hex)
    second = pm.start_adding(tx, actor=actor, gateway=gateway, attempt=uuid.uuid4().hex)
    assert first.split("_secret_")[0] != second.split("_secret_")[0]
    with pytest.raises(ValidationError):
        pm.start_adding(tx, actor=actor, gateway=gateway, attempt="bad attempt!")


def test_declined_on_attach_card_is_not_saved(session, tx, owner, gateway, browser_card):
    _company, client, actor = owner
    secret = pm.start_adding(tx, actor=actor, gateway=gateway, attempt=uuid.uuid4().hex)
    intent_ref = secret.split("_secret_")[0]
    declined = browser_card.client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {
                "number": CARD_DECLINED_ON_ATTACH,
                "exp_month": 12,
                "exp_year": 2031,
                "cvc": "123",
            },
        }
    )
    # The browser is told "Your card was declined." and the SetupIntent does not succeed.
    with pytest.raises(stripe.CardError, match="declined"):
        browser_card.client.v1.setup_intents.confirm(
            intent_ref, params={"payment_method": declined.id}
        )
    with pytest.raises(ValidationError, match="not confirmed"):
        pm.add_from_setup_intent(tx, actor=actor, gateway=gateway, setup_intent_ref=intent_ref)
    assert _snapshot(session, client.id) == []
    with pytest.raises(stripe.CardError):
        browser_card(_customer(tx, actor, gateway), CARD_DECLINED_ON_ATTACH)


def test_setup_intent_of_another_client_is_not_found(
    make, session, tx, owner, gateway, browser_card
):
    company, client, actor = owner
    stranger = make.actor(make.contact(make.client(company)))
    intent_ref = _confirmed_setup_intent(tx, stranger, gateway, browser_card)
    with pytest.raises(NotFoundError):
        pm.add_from_setup_intent(tx, actor=actor, gateway=gateway, setup_intent_ref=intent_ref)
    assert _snapshot(session, client.id) == []


@pytest.mark.parametrize("ref", ["", "pm_123", "seti_" + "x" * 300, 42])
def test_bad_setup_intent_ref_is_refused(session, tx, owner, gateway, ref):
    _company, client, actor = owner
    with pytest.raises(ValidationError):
        pm.add_from_setup_intent(tx, actor=actor, gateway=gateway, setup_intent_ref=ref)
    assert _snapshot(session, client.id) == []


def test_card_confirmed_like_stripe_js_is_saved(session, tx, owner, gateway, browser_card):
    """The browser path: confirm with payment_method_data, as localstripe's Stripe.js does.

    localstripe then leaves the card unattached (real Stripe attaches it); it is saved anyway,
    attached to this client's customer.
    """
    _company, _client, actor = owner
    secret = pm.start_adding(tx, actor=actor, gateway=gateway, attempt=uuid.uuid4().hex)
    intent_ref = secret.split("_secret_")[0]
    browser_card.client.v1.setup_intents.confirm(
        intent_ref,
        params={
            "payment_method_data": {
                "type": "card",
                "card": {"number": CARD_OK, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
            }
        },
    )
    view = pm.add_from_setup_intent(tx, actor=actor, gateway=gateway, setup_intent_ref=intent_ref)
    assert view.last4 == "4242" and view.is_default
    ref = _row(session, view.id).method_ref
    assert _attached_to(browser_card, ref) == _customer(tx, actor, gateway)


# -- list ------------------------------------------------------------------------------------


def test_list_shows_only_own_active_cards_with_labels(make, session, owner):
    company, client, actor = owner

    def card(target, **kw):
        row = PaymentMethod(
            company_id=target.company_id,
            client_id=target.id,
            customer_ref=f"cus_{uuid.uuid4().hex[:12]}",
            method_ref=f"pm_{uuid.uuid4().hex[:16]}",
            **kw,
        )
        session.add(row)
        session.flush()
        return row

    current = card(client, brand="mastercard", last4="4444", exp_month=3, exp_year=2030)
    expired = card(client, brand="amex", last4="0005", exp_month=1, exp_year=2020)
    default = card(client, brand="visa", last4="4242", exp_month=12, exp_year=2031, is_default=True)
    gone = datetime(2024, 1, 1, tzinfo=UTC)
    card(client, brand="visa", last4="1111", exp_month=1, exp_year=2031, removed_at=gone)
    card(make.client(company), brand="visa", last4="9999", exp_month=1, exp_year=2031)
    card(make.client(make.company()), brand="visa", last4="8888", exp_month=1, exp_year=2031)

    listed = pm.list_methods(session, actor=actor, today=date(2030, 3, 31))
    assert [m.id for m in listed] == [default.id, expired.id, current.id]
    by_id = {m.id: m for m in listed}
    assert by_id[default.id].is_default and by_id[default.id].brand == "Visa"
    assert by_id[current.id].brand == "Mastercard" and by_id[current.id].expiry == "03/2030"
    assert by_id[current.id].is_expired is False  # valid through its whole month
    assert by_id[expired.id].brand == "American Express" and by_id[expired.id].is_expired
    assert pm.list_methods(session, actor=actor, today=date(2030, 4, 1))[2].is_expired


def test_brand_labels():
    assert pm.brand_label("visa") == "Visa"
    assert pm.brand_label("amex") == "American Express"
    assert pm.brand_label("") == "Card" and pm.brand_label("unknown") == "Card"
    assert pm.brand_label("newbrand") == "Newbrand"


# -- default ---------------------------------------------------------------------------------


def test_set_default(session, tx, owner, gateway, browser_card):
    _company, client, actor = owner
    first = _add(tx, actor, gateway, browser_card)
    second = _add(tx, actor, gateway, browser_card)
    view = pm.set_default(session, actor=actor, method_id=second.id)
    assert view.is_default
    assert _row(session, second.id).is_default and not _row(session, first.id).is_default
    listed = pm.list_methods(session, actor=actor)
    assert [m.id for m in listed if m.is_default] == [second.id]
    assert listed[0].id == second.id


def test_set_default_of_another_clients_card_is_not_found(
    make, session, tx, owner, gateway, browser_card
):
    company, client, actor = owner
    mine = _add(tx, actor, gateway, browser_card)
    other_client = make.client(company)
    other = make.actor(make.contact(other_client))
    theirs = _add(tx, other, gateway, browser_card)
    _add(tx, other, gateway, browser_card)
    before_mine, before_theirs = _snapshot(session, client.id), _snapshot(session, other_client.id)
    for bad_id in (theirs.id, 10**9, "1", None, True):
        with pytest.raises(NotFoundError):
            pm.set_default(session, actor=actor, method_id=bad_id)
    assert _snapshot(session, client.id) == before_mine
    assert _snapshot(session, other_client.id) == before_theirs
    assert mine.is_default


# -- remove ----------------------------------------------------------------------------------


def test_remove_detaches_and_promotes_newest_remaining(session, tx, owner, gateway, browser_card):
    _company, client, actor = owner
    oldest = _add(tx, actor, gateway, browser_card)
    middle = _add(tx, actor, gateway, browser_card)
    newest = _add(tx, actor, gateway, browser_card)
    removed_ref = _row(session, oldest.id).method_ref
    assert _attached_to(browser_card, removed_ref)

    pm.remove_method(tx, actor=actor, gateway=gateway, method_id=oldest.id)

    assert _attached_to(browser_card, removed_ref) is None
    row = _row(session, oldest.id)
    assert row.removed_at is not None and row.is_default is False
    assert _row(session, newest.id).is_default and not _row(session, middle.id).is_default
    assert [m.id for m in pm.list_methods(session, actor=actor)] == [newest.id, middle.id]
    assert (
        "payment_method_removed"
        in session.exec(select(AuditEvent.action).where(AuditEvent.client_id == client.id)).all()
    )
    # Removing a card that is not the default leaves the default alone.
    pm.remove_method(tx, actor=actor, gateway=gateway, method_id=middle.id)
    assert [(m.id, m.is_default) for m in pm.list_methods(session, actor=actor)] == [
        (newest.id, True)
    ]
    # A second click on an already removed card is "not found".
    with pytest.raises(NotFoundError):
        pm.remove_method(tx, actor=actor, gateway=gateway, method_id=middle.id)


def test_remove_promotes_an_unexpired_card_over_a_newer_expired_one(
    session, tx, owner, gateway, browser_card
):
    _company, _client, actor = owner
    default = _add(tx, actor, gateway, browser_card)
    valid = _add(tx, actor, gateway, browser_card)
    newer_expired = _add(tx, actor, gateway, browser_card)
    expired_row = _row(session, newer_expired.id)
    expired_row.exp_year = 2020
    session.add(expired_row)
    session.flush()
    pm.remove_method(tx, actor=actor, gateway=gateway, method_id=default.id)
    assert _row(session, valid.id).is_default and not _row(session, newer_expired.id).is_default


def test_removing_the_last_card_today_leaves_no_default(session, tx, owner, gateway, browser_card):
    _company, client, actor = owner
    only = _add(tx, actor, gateway, browser_card)
    # Nothing auto-bills yet (see _blocking_dependents), so the last card may go.
    assert pm._blocking_dependents(session, actor) == []
    pm.remove_method(tx, actor=actor, gateway=gateway, method_id=only.id)
    assert pm.list_methods(session, actor=actor) == []


def test_last_card_with_auto_billing_dependents_cannot_be_removed(
    monkeypatch, session, tx, owner, gateway, browser_card
):
    """Documents the rule the recurring-invoice/subscription work plugs into."""
    _company, client, actor = owner
    only = _add(tx, actor, gateway, browser_card)
    ref = _row(session, only.id).method_ref
    monkeypatch.setattr(pm, "_blocking_dependents", lambda s, a: ["Recurring invoice R-0001"])
    before = _snapshot(session, client.id)
    with pytest.raises(ValidationError, match="Recurring invoice R-0001"):
        pm.remove_method(tx, actor=actor, gateway=gateway, method_id=only.id)
    assert _snapshot(session, client.id) == before
    assert _attached_to(browser_card, ref)
    # With another card to fall back on, the same card may go.
    spare = _add(tx, actor, gateway, browser_card)
    pm.remove_method(tx, actor=actor, gateway=gateway, method_id=only.id)
    assert [(m.id, m.is_default) for m in pm.list_methods(session, actor=actor)] == [
        (spare.id, True)
    ]


def test_remove_of_another_clients_card_is_not_found_and_changes_nothing(
    make, session, tx, owner, gateway, browser_card
):
    company, client, actor = owner
    _add(tx, actor, gateway, browser_card)
    for other_client in (make.client(company), make.client(make.company())):
        other = make.actor(make.contact(other_client))
        theirs = _add(tx, other, gateway, browser_card)
        ref = _row(session, theirs.id).method_ref
        before = _snapshot(session, other_client.id)
        with pytest.raises(NotFoundError):
            pm.remove_method(tx, actor=actor, gateway=gateway, method_id=theirs.id)
        assert _snapshot(session, other_client.id) == before
        assert _attached_to(browser_card, ref)
    for bad_id in (10**9, 0, -1, "1", None):
        with pytest.raises(NotFoundError):
            pm.remove_method(tx, actor=actor, gateway=gateway, method_id=bad_id)
    assert len(pm.list_methods(session, actor=actor)) == 1


def test_card_already_detached_at_the_gateway_is_still_removed(
    session, tx, owner, gateway, browser_card
):
    _company, _client, actor = owner
    card = _add(tx, actor, gateway, browser_card)
    ref = _row(session, card.id).method_ref
    browser_card.client.v1.payment_methods.detach(ref)
    pm.remove_method(tx, actor=actor, gateway=gateway, method_id=card.id)
    assert pm.list_methods(session, actor=actor) == []


# -- who may change cards --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "message"),
    [("link", "Sign in with your password"), ("staff_preview", "Staff preview")],
)
def test_link_session_and_preview_may_not_change_cards(
    make, session, tx, owner, gateway, browser_card, kind, message
):
    _company, client, actor = owner
    first = _add(tx, actor, gateway, browser_card)
    second = _add(tx, actor, gateway, browser_card)
    intent_ref = _confirmed_setup_intent(tx, actor, gateway, browser_card)
    limited = replace(actor, kind=kind)
    before = _snapshot(session, client.id)
    with pytest.raises(ReadOnlyError, match=message):
        pm.start_adding(tx, actor=limited, gateway=gateway, attempt=uuid.uuid4().hex)
    with pytest.raises(ReadOnlyError, match=message):
        pm.add_from_setup_intent(tx, actor=limited, gateway=gateway, setup_intent_ref=intent_ref)
    with pytest.raises(ReadOnlyError, match=message):
        pm.remove_method(tx, actor=limited, gateway=gateway, method_id=first.id)
    with pytest.raises(ReadOnlyError, match=message):
        pm.set_default(session, actor=limited, method_id=second.id)
    assert _snapshot(session, client.id) == before
    assert _attached_to(browser_card, _row(session, first.id).method_ref)
    # A preview still sees the cards; an e-mailed link (a forwardable credential) does not.
    seen = [m.id for m in pm.list_methods(session, actor=limited)]
    assert seen == ([] if kind == "link" else [first.id, second.id])
    assert pm.LINK_SESSION_MESSAGE == "Sign in with your password to add or remove cards."


# -- gateway down ----------------------------------------------------------------------------


@pytest.fixture
def dead_gateway():
    """A gateway pointed at a port nobody listens on."""
    return StripeGateway(
        secret_key="sk_test_portal",
        publishable_key="pk_test_portal",
        webhook_secret="whsec_x",
        api_base=f"http://127.0.0.1:{_free_port()}",
        js_url="http://127.0.0.1:1/js",
    )


def test_gateway_unreachable_on_remove_changes_nothing(
    session, tx, owner, gateway, dead_gateway, browser_card
):
    _company, client, actor = owner
    first = _add(tx, actor, gateway, browser_card)
    _add(tx, actor, gateway, browser_card)
    before = _snapshot(session, client.id)
    with pytest.raises(GatewayError) as caught:
        pm.remove_method(tx, actor=actor, gateway=dead_gateway, method_id=first.id)
    assert caught.value.message == pm.UNREACHABLE_MESSAGE
    assert "could not be reached" in caught.value.message and "not removed" in caught.value.message
    assert _snapshot(session, client.id) == before
    assert _attached_to(browser_card, _row(session, first.id).method_ref)


def test_gateway_unreachable_on_add_changes_nothing(
    session, tx, owner, gateway, dead_gateway, browser_card
):
    _company, client, actor = owner
    intent_ref = _confirmed_setup_intent(tx, actor, gateway, browser_card)
    with pytest.raises(GatewayError, match="could not be reached"):
        pm.add_from_setup_intent(tx, actor=actor, gateway=dead_gateway, setup_intent_ref=intent_ref)
    with pytest.raises(GatewayError, match="could not be reached"):
        pm.start_adding(tx, actor=actor, gateway=dead_gateway, attempt=uuid.uuid4().hex)
    assert _snapshot(session, client.id) == []
