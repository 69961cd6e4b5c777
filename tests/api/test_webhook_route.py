"""POST /api/webhooks/stripe with localstripe delivering to it for real.

Our Starlette `api` runs under uvicorn in a background thread on a free port, against its own
SQLite file; localstripe is told to post its signed events there.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest
import uvicorn
from sqlmodel import func, select

from portal_app.core import db as portal_db
from portal_app.core import routes
from portal_app.core.settings import get_settings
from portal_app.gateways import factory
from portal_app.models import Checkout, Invoice, Payment, WebhookEvent
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from tests.conftest import _free_port
from tests.helpers.ledger import assert_invoices_balance, assert_payment_consistent
from tests.services.payments.test_webhooks import signature_for


@pytest.fixture
def live_api(api_env, monkeypatch, localstripe_url) -> Iterator[SimpleNamespace]:
    """The API on a real port, configured for localstripe, registered as its webhook."""
    secret = f"whsec_route_{uuid.uuid4().hex}"
    monkeypatch.setenv("STRIPE_API_BASE", localstripe_url)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_portal_route")
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_test_portal_route")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", secret)
    get_settings.cache_clear()
    factory.get_gateway.cache_clear()
    from portal_app.api.routes import api

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="webhook-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    hook_url = f"{base}{routes.API_STRIPE_WEBHOOK}"
    hook = f"{localstripe_url}/_config/webhooks/portal-route-{uuid.uuid4().hex[:12]}"
    registered = httpx.post(hook, data={"url": hook_url, "secret": secret})
    assert registered.status_code == 200, registered.text
    try:
        yield SimpleNamespace(base=base, url=hook_url, secret=secret)
    finally:
        # localstripe cannot delete a webhook; narrow it to an event type that never happens,
        # so nothing is posted to this port once the server is gone.
        httpx.post(hook, json={"url": hook_url, "secret": secret, "events": ["portal.test.never"]})
        server.should_exit = True
        thread.join(timeout=15)
        factory.get_gateway.cache_clear()
        get_settings.cache_clear()


def _wait_for(check, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _succeeded_event(intent_ref: str) -> WebhookEvent | None:
    with portal_db.session_scope() as session:
        rows = session.exec(
            select(WebhookEvent).where(WebhookEvent.event_type == "payment_intent.succeeded")
        ).all()
        for row in rows:
            if json.loads(row.payload)["data"]["object"]["id"] == intent_ref and row.status in (
                "processed",
                "ignored",
                "failed",
            ):
                return row
    return None


def test_localstripe_delivers_and_payments_land(committed, live_api, browser_card):
    with committed() as (_session, make):
        company = make.company()
        client = make.client(company)
        actor = make.actor(make.contact(client))
        closed_invoice = make.invoice(client).id
        browser_invoice = make.invoice(client).id
    gateway = factory.get_gateway()
    tx = portal_db.session_scope
    flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose="route")
    with tx() as session:
        customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    card = browser_card(customer)

    # One checkout is charged and then the browser is closed: nothing records the answer.
    with tx() as session:
        closed = co.start_checkout(
            session, actor=actor, request=co.CheckoutRequest(invoice_ids=[closed_invoice])
        )
    with tx() as session:
        claimed = co.claim_for_charge(
            session, actor=actor, checkout_id=closed.checkout_id, method_ref=card
        )
        session.expunge(claimed)
    closed_intent, _ = co.charge(gateway=gateway, checkout=claimed, customer_ref=customer)
    assert closed_intent.succeeded
    # The other is paid through the whole browser flow; its webhook comes afterwards.
    with tx() as session:
        in_browser = co.start_checkout(
            session, actor=actor, request=co.CheckoutRequest(invoice_ids=[browser_invoice])
        )
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=in_browser.checkout_id, method_ref=card
    )
    assert outcome.status == "succeeded"
    with tx() as session:
        browser_ref = session.get(Payment, outcome.payment_id).gateway_reference
        assert session.get(Checkout, closed.checkout_id).status == "processing"

    landed = _wait_for(lambda: _succeeded_event(closed_intent.intent_ref), "the first webhook")
    replayed = _wait_for(lambda: _succeeded_event(browser_ref), "the second webhook")

    assert landed.status == "processed" and replayed.status == "processed"
    with tx() as session:
        checkout = session.get(Checkout, closed.checkout_id)
        assert checkout.status == "succeeded"
        assert checkout.gateway_intent_id == closed_intent.intent_ref
        payments = session.exec(select(Payment).where(Payment.client_id == client.id)).all()
        assert sorted(p.status for p in payments) == ["completed", "completed"]
        assert {p.gateway_reference for p in payments} == {closed_intent.intent_ref, browser_ref}
        for invoice_id in (closed_invoice, browser_invoice):
            assert session.get(Invoice, invoice_id).status == "paid"
        assert_invoices_balance(session, [closed_invoice, browser_invoice])
        for payment in payments:
            assert_payment_consistent(session, payment.id)
        # localstripe's other events (customer.created, ...) are stored too, as ignored.
        ignored = session.exec(
            select(WebhookEvent).where(WebhookEvent.event_type == "customer.created")
        ).all()
        assert ignored and all(row.status == "ignored" for row in ignored)


def _count_events() -> int:
    with portal_db.session_scope() as session:
        return session.exec(select(func.count()).select_from(WebhookEvent)).one()


def test_bad_signature_is_400_and_stores_nothing(live_api, localstripe_url, browser_card):
    customer = browser_card.client.v1.customers.create(params={"email": "r@example.test"})
    obj = httpx.get(
        f"{localstripe_url}/v1/customers/{customer.id}",
        headers={"Authorization": "Bearer sk_test_portal"},
    ).json()
    event = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": "customer.created",
        "created": int(time.time()),
        "data": {"object": obj},
    }
    payload = json.dumps(event).encode()
    # Let localstripe's own deliveries for this customer finish first.
    time.sleep(1.5)
    before = _count_events()

    for header in (
        signature_for(payload, secret="whsec_not_ours"),
        "t=1,v1=00",
        None,
    ):
        headers = {"Content-Type": "application/json"}
        if header is not None:
            headers["Stripe-Signature"] = header
        response = httpx.post(live_api.url, content=payload, headers=headers)
        assert response.status_code == 400
    assert _count_events() == before

    good = {"Stripe-Signature": signature_for(payload, secret=live_api.secret)}
    for _ in range(2):  # the second delivery is a replay
        response = httpx.post(live_api.url, content=payload, headers=good)
        assert response.status_code == 200 and response.json() == {"received": True}
    with portal_db.session_scope() as session:
        rows = session.exec(select(WebhookEvent).where(WebhookEvent.event_ref == event["id"])).all()
        assert [row.status for row in rows] == ["ignored"]


def test_processing_failure_is_500_and_kept_as_failed(
    committed, live_api, localstripe_url, browser_card
):
    with committed() as (session, make):
        client = make.client(make.company())
        actor = make.actor(make.contact(client))
        invoice = make.invoice(client)
        started = co.start_checkout(
            session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
        )
    stripe = browser_card.client
    customer = stripe.v1.customers.create(params={"email": "f@example.test"})
    # A real 5.00 payment that names our 240.00 checkout: settling it must be refused.
    created = stripe.v1.payment_intents.create(
        params={
            "amount": 5_00,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": browser_card(customer.id),
            "confirm": True,
            "metadata": {"checkout_id": str(started.checkout_id)},
        }
    )
    obj = httpx.get(
        f"{localstripe_url}/v1/payment_intents/{created.id}",
        headers={"Authorization": "Bearer sk_test_portal"},
    ).json()
    event_id = f"evt_{uuid.uuid4().hex[:24]}"
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()
    headers = {"Stripe-Signature": signature_for(payload, secret=live_api.secret)}

    response = httpx.post(live_api.url, content=payload, headers=headers)

    assert response.status_code == 500
    assert response.json() == {"received": True, "status": "failed"}
    with portal_db.session_scope() as session:
        [row] = session.exec(select(WebhookEvent).where(WebhookEvent.event_ref == event_id)).all()
        assert row.status == "failed" and "different payment" in row.error
        checkout = session.get(Checkout, started.checkout_id)
        assert checkout.status == "open" and checkout.gateway_intent_id is None
        assert session.exec(select(Payment).where(Payment.client_id == client.id)).all() == []
        assert session.get(Invoice, invoice.id).balance_minor == 240_00


def _use_stripe_api(monkeypatch, base: str) -> None:
    """Point the running API's gateway at `base` (built from the settings on its next use)."""
    monkeypatch.setenv("STRIPE_API_BASE", base)
    get_settings.cache_clear()
    factory.get_gateway.cache_clear()


def test_gateway_unreachable_while_reading_back_is_500_then_retried(
    committed, live_api, localstripe_url, browser_card, monkeypatch
):
    with committed() as (session, make):
        client = make.client(make.company())
        actor = make.actor(make.contact(client))
        invoice = make.invoice(client)
        started = co.start_checkout(
            session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
        )
        client_id, invoice_id = client.id, invoice.id
    # The gateway cannot be reached while the webhook reads the payment back.
    _use_stripe_api(monkeypatch, "http://127.0.0.1:9")
    stripe = browser_card.client
    customer = stripe.v1.customers.create(params={"email": "t@example.test"})
    created = stripe.v1.payment_intents.create(
        params={
            "amount": 240_00,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": browser_card(customer.id),
            "confirm": True,
            "metadata": {"checkout_id": str(started.checkout_id)},
        }
    )
    # localstripe delivers its `payment_intent.succeeded`: kept as failed, nothing settled.
    row = _wait_for(lambda: _succeeded_event(created.id), "localstripe's delivery")
    assert row.status == "failed" and "GatewayError" in row.error
    payload = row.payload.encode()

    def resend() -> httpx.Response:
        signature = signature_for(payload, secret=live_api.secret)
        return httpx.post(live_api.url, content=payload, headers={"Stripe-Signature": signature})

    response = resend()
    assert response.status_code == 500
    assert response.json() == {"received": True, "status": "failed"}
    with portal_db.session_scope() as session:
        assert session.get(Invoice, invoice_id).balance_minor == 240_00
        assert session.exec(select(Payment).where(Payment.client_id == client_id)).all() == []

    # Stripe retries once the gateway answers again.
    _use_stripe_api(monkeypatch, localstripe_url)
    response = resend()
    assert response.status_code == 200 and response.json() == {"received": True}
    with portal_db.session_scope() as session:
        [stored] = session.exec(
            select(WebhookEvent).where(WebhookEvent.event_ref == row.event_ref)
        ).all()
        assert stored.status == "processed"
        [payment] = session.exec(select(Payment).where(Payment.client_id == client_id)).all()
        assert payment.status == "completed" and payment.gateway_reference == created.id
        assert session.get(Invoice, invoice_id).status == "paid"
        assert_invoices_balance(session, [invoice_id])
        assert_payment_consistent(session, payment.id)
