"""Staff preview: starting one, and every money- or record-changing client service refusing it.

Each client handler that moves money or changes the client's records is called here with an
actor of kind "staff_preview"; each must raise ReadOnlyError before touching anything.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, AuthSession, Document, PaymentMethod
from portal_app.services.billing import invoices
from portal_app.services.documents import documents
from portal_app.services.identity import auth
from portal_app.services.identity import preview as preview_service
from portal_app.services.payments import checkout, checkout_flow, payment_methods
from tests.helpers.staff import add_staff, staff_actor


def _world(make):
    company = make.company(allow_client_uploads=True)
    client = make.client(company)
    contact = make.contact(client)
    user = add_staff(make.session, company, password_hash="x")
    return company, client, contact, staff_actor(user, ip="192.0.2.7")


def _tx(session):
    @contextmanager
    def scope():
        yield session

    return scope


def test_start_preview_opens_an_audited_preview_session(make, session):
    _, client, contact, actor = _world(make)
    opened = preview_service.start_preview(session, actor=actor, contact_id=str(contact.id))
    row = session.get(AuthSession, opened.session_id)
    assert row.kind == "staff_preview" and row.contact_id == contact.id
    assert row.staff_user_id == actor.staff_user_id
    resolved = auth.resolve_actor(session, token=opened.token)
    assert resolved.is_preview and not resolved.may_move_money
    assert resolved.client_id == client.id
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "preview_started", AuditEvent.client_id == client.id
        )
    ).one()
    assert event.actor_type == "staff" and event.actor_id == actor.staff_user_id
    assert event.entity_id == contact.id and event.ip == "192.0.2.7"
    # The contact's own last sign-in is untouched by a preview.
    assert contact.last_login_at is None


def test_preview_of_a_foreign_unknown_or_disabled_contact_is_refused(make, session):
    _, client, _, actor = _world(make)
    foreign = make.contact(make.client(make.company()))
    for bad in (foreign.id, 987654321, "x", None, -5):
        with pytest.raises(NotFoundError):
            preview_service.start_preview(session, actor=actor, contact_id=bad)
    disabled = make.contact(client, portal_enabled=False)
    with pytest.raises(ValidationError):
        preview_service.start_preview(session, actor=actor, contact_id=disabled.id)
    # A client contact cannot start a preview.
    with pytest.raises(ReadOnlyError):
        preview_service.start_preview(session, actor=make.actor(foreign), contact_id=foreign.id)


def test_ending_a_preview_revokes_only_preview_sessions(make, session):
    from datetime import timedelta

    _, client, contact, actor = _world(make)
    opened = preview_service.start_preview(session, actor=actor, contact_id=contact.id)
    own = auth.open_session(session, contact=contact, kind="password", lifetime=timedelta(hours=1))
    assert preview_service.end_preview(session, token=own.token) is None
    assert auth.resolve_actor(session, token=own.token) is not None
    assert preview_service.end_preview(session, token=opened.token) == client.id
    assert auth.resolve_actor(session, token=opened.token) is None
    assert preview_service.end_preview(session, token=opened.token) is None
    for junk in (None, "", "x", "a" * 500):
        assert preview_service.end_preview(session, token=junk) is None
    ended = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "preview_ended", AuditEvent.client_id == client.id
        )
    ).all()
    assert len(ended) == 1 and ended[0].actor_id == actor.staff_user_id


# -- every client handler that moves money or changes records refuses a preview --------------


def _preview_actor(make, contact):
    return make.actor(contact, kind="staff_preview")


def test_preview_cannot_start_a_checkout(make, session):
    _, client, contact, _ = _world(make)
    invoice = make.invoice(client)
    with pytest.raises(ReadOnlyError):
        checkout.start_checkout(
            session,
            actor=_preview_actor(make, contact),
            request=checkout.CheckoutRequest(invoice_ids=[invoice.id]),
        )


def test_preview_cannot_claim_a_charge_or_settle_with_credit(make, session):
    _, _, contact, _ = _world(make)
    actor = _preview_actor(make, contact)
    with pytest.raises(ReadOnlyError):
        checkout.claim_for_charge(session, actor=actor, checkout_id=1, method_ref="pm_x")
    with pytest.raises(ReadOnlyError):
        checkout.settle_with_credit_only(session, actor=actor, checkout_id=1)


def test_preview_cannot_pay_with_a_card_or_finish_3ds(make, session):
    _, _, contact, _ = _world(make)
    actor = _preview_actor(make, contact)
    tx = _tx(session)
    with pytest.raises(ReadOnlyError):
        checkout_flow.pay_with_card(tx, actor=actor, gateway=None, checkout_id=1, method_ref="pm")
    with pytest.raises(ReadOnlyError):
        checkout_flow.confirm_after_action(tx, actor=actor, gateway=None, checkout_id=1)


def test_preview_cannot_set_up_or_attach_a_card(make, session):
    _, _, contact, _ = _world(make)
    actor = _preview_actor(make, contact)
    tx = _tx(session)
    with pytest.raises(ReadOnlyError):
        checkout_flow.setup_new_card(tx, actor=actor, gateway=None, purpose="pay-1")
    for save in (False, True):
        with pytest.raises(ReadOnlyError):
            checkout_flow.card_from_setup(
                tx, actor=actor, gateway=None, setup_intent_ref="seti_123", save=save
            )


def test_preview_cannot_add_a_payment_method(make, session):
    _, _, contact, _ = _world(make)
    actor = _preview_actor(make, contact)
    tx = _tx(session)
    with pytest.raises(ReadOnlyError):
        payment_methods.start_adding(tx, actor=actor, gateway=None, attempt="attempt-0001")
    with pytest.raises(ReadOnlyError):
        payment_methods.add_from_setup_intent(
            tx, actor=actor, gateway=None, setup_intent_ref="seti_123"
        )


def _saved_card(session, client, contact, **kw) -> PaymentMethod:
    method = PaymentMethod(
        company_id=client.company_id,
        client_id=client.id,
        gateway="stripe",
        customer_ref="cus_preview",
        method_ref=kw.pop("method_ref", f"pm_preview_{uuid.uuid4().hex[:12]}"),
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2031,
        **kw,
    )
    session.add(method)
    session.flush()
    return method


def test_preview_cannot_change_the_default_card_or_remove_one(make, session):
    _, client, contact, _ = _world(make)
    first = _saved_card(session, client, contact, is_default=True)
    second = _saved_card(session, client, contact)
    actor = _preview_actor(make, contact)
    with pytest.raises(ReadOnlyError):
        payment_methods.set_default(session, actor=actor, method_id=second.id)
    with pytest.raises(ReadOnlyError):
        payment_methods.remove_method(_tx(session), actor=actor, gateway=None, method_id=first.id)
    session.refresh(first)
    session.refresh(second)
    assert first.is_default and not second.is_default and first.removed_at is None


def test_preview_cannot_upload_a_document(make, session, tmp_path):
    from portal_app.core.settings import get_settings

    _, client, contact, _ = _world(make)
    settings = get_settings().model_copy(update={"documents_root": tmp_path})
    with pytest.raises(ReadOnlyError):
        documents.upload_client_document(
            session,
            actor=_preview_actor(make, contact),
            data=b"%PDF-1.4 preview",
            name="a.pdf",
            settings=settings,
        )
    assert session.exec(select(Document).where(Document.client_id == client.id)).all() == []


def test_a_preview_view_is_not_recorded_as_the_clients(make, session):
    _, client, contact, _ = _world(make)
    invoice = make.invoice(client)
    invoices.record_view(session, actor=_preview_actor(make, contact), invoice=invoice)
    assert invoice.last_viewed_at is None
    viewed = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "invoice_viewed", AuditEvent.client_id == client.id
        )
    ).all()
    assert viewed == []


# -- the quote, recurring, pre-payment and subscription handlers refuse a preview too ---------


def test_preview_cannot_approve_or_decline_quotes(make, session):
    from portal_app.services.billing import quotes

    _, _, contact, _ = _world(make)
    actor = _preview_actor(make, contact)
    with pytest.raises(ReadOnlyError):
        quotes.approve_quotes(session, actor=actor, quote_ids=[1], terms_accepted=True)
    with pytest.raises(ReadOnlyError):
        quotes.decline_quote(session, actor=actor, quote_id=1, reason="no")


def test_preview_cannot_change_a_recurring_invoice(make, session):
    from portal_app.services.billing import recurring

    _, _, contact, _ = _world(make)
    actor = _preview_actor(make, contact)
    with pytest.raises(ReadOnlyError):
        recurring.set_auto_bill(session, actor=actor, recurring_id=1, enabled=True)
    with pytest.raises(ReadOnlyError):
        recurring.request_cancellation(session, actor=actor, recurring_id=1, reason="stop")


def test_preview_cannot_prepay_or_stop_a_repeated_prepayment(make, session):
    from portal_app.services.payments import prepayments

    _, _, contact, _ = _world(make)
    actor = _preview_actor(make, contact)
    request = prepayments.PrepaymentRequest(amount_minor=10_00, currency="USD", notes="")
    with pytest.raises(ReadOnlyError):
        prepayments.start_prepayment(session, actor=actor, request=request)
    with pytest.raises(ReadOnlyError):
        prepayments.cancel_schedule(session, actor=actor, schedule_id=1)


def test_preview_cannot_subscribe_change_plan_or_cancel(make, session):
    from datetime import date

    from portal_app.services.subscriptions import cancel as subscription_cancel
    from portal_app.services.subscriptions import changes as subscription_changes
    from portal_app.services.subscriptions import signup as subscription_signup

    _, _, contact, _ = _world(make)
    actor = _preview_actor(make, contact)
    tx = _tx(session)
    today = date.today()
    with pytest.raises(ReadOnlyError):
        subscription_signup.subscribe(session, actor=actor, key="k" * 20, today=today)
    with pytest.raises(ReadOnlyError):
        subscription_signup.pay_first_period(
            tx, actor=actor, gateway=None, subscription_id=1, method_ref="pm_x"
        )
    with pytest.raises(ReadOnlyError):
        subscription_changes.change_plan(
            tx,
            actor=actor,
            gateway=None,
            subscription_id=1,
            target_plan_id=2,
            expected_net_minor=0,
            today=today,
        )
    with pytest.raises(ReadOnlyError):
        subscription_cancel.cancel_subscription(
            tx, actor=actor, gateway=None, subscription_id=1, reason="", today=today
        )


def test_a_preview_view_of_a_quote_is_not_recorded_as_the_clients(make, session):
    from portal_app.services.billing import quotes
    from tests.helpers.quotes import add_quote

    _, client, contact, _ = _world(make)
    quote = add_quote(session, client, number=f"Q-PREVIEW-{client.id}")
    quotes.record_view(session, actor=_preview_actor(make, contact), quote=quote)
    assert quote.last_viewed_at is None
    viewed = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "quote_viewed", AuditEvent.client_id == client.id
        )
    ).all()
    assert viewed == []
