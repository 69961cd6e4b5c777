"""Stripe webhooks against a real localstripe, with events signed here as Stripe signs them.

Each event carries a real object read back from localstripe after a real payment, refund or
card change. localstripe itself only emits some event types (and no `processing` state for
cards); where a test needs another state, it says so and changes that one field of the real
object. A `payment_intent.*` event's body is only a prompt (the handler reads the intent back
from the gateway), so where the gateway itself must report `processing`, the `stripe_reports`
proxy changes that field of localstripe's answer.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import httpx
import pytest
from sqlmodel import select

from portal_app.gateways.stripe_gateway import StripeGateway
from portal_app.models import (
    AuditEvent,
    Checkout,
    InvoiceLock,
    OutboxMessage,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    WebhookEvent,
)
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import payment_mail
from portal_app.services.payments import webhooks as wh
from tests.conftest import CARD_3DS, CARD_DECLINED_ON_CHARGE, CARD_OK, WEBHOOK_SECRET
from tests.helpers.ledger import (
    assert_client_ledger,
    assert_invoices_balance,
    assert_payment_consistent,
)

# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def payer(make):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    return company, client, make.actor(contact)


@pytest.fixture
def stripe_get(localstripe_url):
    """An object exactly as the Stripe API returns it (raw JSON from localstripe)."""

    def get(path: str) -> dict:
        response = httpx.get(
            f"{localstripe_url}/v1/{path}", headers={"Authorization": "Bearer sk_test_portal"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    return get


@pytest.fixture
def unreachable(localstripe_url):
    """The same gateway settings, but the gateway cannot be reached (a timeout, an outage)."""
    return StripeGateway(
        secret_key="sk_test_portal",
        publishable_key="pk_test_portal",
        webhook_secret=WEBHOOK_SECRET,
        api_base="http://127.0.0.1:9",
        js_url=f"{localstripe_url}/js.stripe.com/v3/",
    )


@pytest.fixture
def stripe_reports(localstripe_url):
    """Our gateway reading from localstripe through a proxy that can change fields of one
    PaymentIntent's answer: `stripe_reports.overrides[intent_ref] = {"status": "processing"}`.

    localstripe never holds a card payment in `processing` (Stripe does while the bank
    decides). Every other answer passes unchanged; the proxy serves reads (GET) only.
    """
    overrides: dict[str, dict] = {}

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            upstream = httpx.get(
                localstripe_url + self.path,
                headers={"Authorization": self.headers.get("Authorization", "")},
            )
            body = upstream.content
            ref = self.path.split("?")[0].removeprefix("/v1/payment_intents/")
            if upstream.status_code == 200 and ref in overrides:
                body = json.dumps({**upstream.json(), **overrides[ref]}).encode()
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, name="stripe-reports", daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(
            overrides=overrides,
            gateway=StripeGateway(
                secret_key="sk_test_portal",
                publishable_key="pk_test_portal",
                webhook_secret=WEBHOOK_SECRET,
                api_base=f"http://127.0.0.1:{server.server_port}",
                js_url=f"{localstripe_url}/js.stripe.com/v3/",
            ),
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def signature_for(payload: bytes, *, secret: str = WEBHOOK_SECRET, ts: int | None = None) -> str:
    """Stripe's scheme: t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<payload>")>."""
    ts = int(time.time()) if ts is None else ts
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def signed_event(event_type: str, obj: dict, *, event_id: str | None = None):
    """A Stripe event around `obj`: (event id, payload bytes, Stripe-Signature header)."""
    event_id = event_id or f"evt_{uuid.uuid4().hex[:24]}"
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2017-08-15",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }
    payload = json.dumps(event, sort_keys=True).encode()
    return event_id, payload, signature_for(payload)


def deliver(session, gateway, payload: bytes, signature: str) -> WebhookEvent:
    return wh.handle_stripe_webhook(session, gateway=gateway, payload=payload, signature=signature)


def _new_card(tx, actor, gateway, browser_card, number=CARD_OK, save=False):
    """Customer at the gateway, a card attached as Stripe.js would, optionally saved."""
    flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose="test")
    with tx() as session:
        customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    method_ref = browser_card(customer, number)
    if save:
        with tx() as session:
            flow.store_card(
                session, actor=actor, card=gateway.card_details(method_ref), gateway_name="stripe"
            )
    return method_ref


def _charge_then_close_browser(session, actor, gateway, method_ref, **request):
    """Start a checkout and charge it at the gateway; the page never records the answer."""
    started = co.start_checkout(session, actor=actor, request=co.CheckoutRequest(**request))
    claimed = co.claim_for_charge(
        session, actor=actor, checkout_id=started.checkout_id, method_ref=method_ref
    )
    customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    intent, _declined = co.charge(gateway=gateway, checkout=claimed, customer_ref=customer)
    return started, intent


def _pay_in_browser(tx, session, actor, gateway, method_ref, **request):
    started = co.start_checkout(session, actor=actor, request=co.CheckoutRequest(**request))
    outcome = flow.pay_with_card(
        tx, actor=actor, gateway=gateway, checkout_id=started.checkout_id, method_ref=method_ref
    )
    assert outcome.status == "succeeded"
    return started, session.get(Payment, outcome.payment_id)


def _payments(session, client_id):
    return session.exec(
        select(Payment).where(Payment.client_id == client_id).order_by(Payment.id)
    ).all()


def _events(session, event_ref):
    return session.exec(select(WebhookEvent).where(WebhookEvent.event_ref == event_ref)).all()


def _reload(session, obj):
    session.refresh(obj)
    return obj


# -- signatures ---------------------------------------------------------------------------------


def test_bad_signature_raises_and_changes_nothing(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[invoice.id]
    )
    obj = stripe_get(f"payment_intents/{intent.intent_ref}")
    event_id, payload, good = signed_event("payment_intent.succeeded", obj)
    tampered = payload.replace(b'"amount": 24000', b'"amount": 100')
    assert tampered != payload
    for body, header in (
        (payload, signature_for(payload, secret="whsec_someone_else")),
        (tampered, good),
        (payload, ""),
        (payload, "t=1,v1=deadbeef"),
        (payload, signature_for(payload, ts=int(time.time()) - 3600)),  # replayed long after
        (b"not json", signature_for(b"not json")),
    ):
        with pytest.raises(wh.WebhookSignatureError):
            deliver(session, gateway, body, header)
    assert _events(session, event_id) == []
    checkout = session.get(Checkout, started.checkout_id)
    assert checkout.status == "processing" and checkout.gateway_intent_id is None
    assert _payments(session, client.id) == []
    assert _reload(session, invoice).balance_minor == 240_00

    # The genuine delivery still works afterwards.
    row = deliver(session, gateway, payload, good)
    assert row.status == "processed"
    assert_invoices_balance(session, [invoice.id])


# -- payment_intent.succeeded -------------------------------------------------------------------


def _receipts(session, payment_id):
    return session.exec(
        select(OutboxMessage).where(
            OutboxMessage.kind == payment_mail.RECEIPT, OutboxMessage.entity_id == payment_id
        )
    ).all()


def test_payment_whose_browser_was_closed_still_lands(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    first = make.invoice(client)
    second = make.invoice(client, lines=[LineInput("Support", 1000, 60_00)])
    card = _new_card(tx, actor, gateway, browser_card)
    started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[first.id, second.id]
    )
    assert intent.succeeded
    checkout = session.get(Checkout, started.checkout_id)
    assert checkout.gateway_intent_id is None and _payments(session, client.id) == []

    _id, payload, sig = signed_event(
        "payment_intent.succeeded", stripe_get(f"payment_intents/{intent.intent_ref}")
    )
    row = deliver(session, gateway, payload, sig)

    assert row.status == "processed" and row.processed_at is not None
    assert json.loads(row.payload)["data"]["object"]["id"] == intent.intent_ref
    _reload(session, checkout)
    assert checkout.status == "succeeded" and checkout.gateway_intent_id == intent.intent_ref
    [payment] = _payments(session, client.id)
    assert payment.status == "completed" and payment.amount_minor == 300_00
    assert payment.gateway_reference == intent.intent_ref and checkout.payment_id == payment.id
    assert _reload(session, first).status == "paid" and _reload(session, second).status == "paid"
    locks = session.exec(select(InvoiceLock).where(InvoiceLock.checkout_id == checkout.id)).all()
    assert locks == []
    # The page comes back later with the same answer: still one payment.
    late = co.record_intent(
        session, checkout_id=checkout.id, intent=gateway.retrieve_payment(intent.intent_ref)
    )
    assert late.status == "succeeded" and late.payment_id == payment.id
    assert len(_payments(session, client.id)) == 1
    # The receipt went out once, from the webhook's settle (the page coming back adds none).
    assert len(_receipts(session, payment.id)) == 1
    assert_invoices_balance(session, [first.id, second.id])
    assert_payment_consistent(session, payment.id)


def test_same_event_delivered_five_times_makes_one_payment(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    _started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[invoice.id]
    )
    event_id, payload, sig = signed_event(
        "payment_intent.succeeded", stripe_get(f"payment_intents/{intent.intent_ref}")
    )
    rows = [deliver(session, gateway, payload, sig) for _ in range(5)]

    assert {row.id for row in rows} == {rows[0].id}
    assert len(_events(session, event_id)) == 1
    assert rows[-1].status == "processed"
    [payment] = _payments(session, client.id)
    completed = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "payment_completed", AuditEvent.entity_id == payment.id
        )
    ).all()
    assert len(completed) == 1
    assert len(_receipts(session, payment.id)) == 1
    assert _reload(session, invoice).balance_minor == 0
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


def test_failure_reported_after_success_does_not_undo_the_payment(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    started, payment = _pay_in_browser(tx, session, actor, gateway, card, invoice_ids=[invoice.id])
    succeeded = stripe_get(f"payment_intents/{payment.gateway_reference}")
    # What Stripe sends for an earlier failed attempt on the same PaymentIntent.
    failed = copy.deepcopy(succeeded)
    failed["status"] = "requires_payment_method"
    failed["last_payment_error"] = {"code": "card_declined", "message": "Your card was declined."}

    ok = deliver(session, gateway, *signed_event("payment_intent.succeeded", succeeded)[1:])
    late = deliver(session, gateway, *signed_event("payment_intent.payment_failed", failed)[1:])

    assert ok.status == "processed"
    assert late.status == "ignored" and "succeeded" in late.error
    assert [p.status for p in _payments(session, client.id)] == ["completed"]
    assert session.get(Checkout, started.checkout_id).status == "succeeded"
    assert _reload(session, invoice).status == "paid"
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


# -- payment_intent.payment_failed and processing -----------------------------------------------


def _declined_intent(tx, session, actor, gateway, browser_card, stripe_get, invoice):
    """A real declined charge (card 0341) on a checkout, read back from localstripe."""
    card = _new_card(tx, actor, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[invoice.id]
    )
    assert intent is None  # declined at confirm
    customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    [charge] = stripe_get(f"charges?customer={customer}")["data"]
    obj = stripe_get(f"payment_intents/{charge['payment_intent']}")
    assert obj["status"] == "requires_payment_method" and obj["last_payment_error"]
    return started, obj


def test_payment_failed_frees_the_invoice(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    started, obj = _declined_intent(tx, session, actor, gateway, browser_card, stripe_get, invoice)
    row = deliver(session, gateway, *signed_event("payment_intent.payment_failed", obj)[1:])

    assert row.status == "processed"
    checkout = session.get(Checkout, started.checkout_id)
    assert checkout.status == "failed" and "declined" in checkout.failure_message.lower()
    [failed] = _payments(session, client.id)
    assert failed.status == "failed" and failed.gateway_reference == obj["id"]
    assert _reload(session, invoice).balance_minor == 240_00
    # The invoice is free for another try.
    co.start_checkout(session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id]))
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, failed.id)


def test_processing_then_succeeded_completes_the_pending_payment(
    make, session, tx, payer, gateway, stripe_reports, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[invoice.id]
    )
    succeeded = stripe_get(f"payment_intents/{intent.intent_ref}")
    processing = copy.deepcopy(succeeded)
    processing["status"] = "processing"  # localstripe never reports this state for cards
    # While the bank decides, the gateway says `processing` too.
    stripe_reports.overrides[intent.intent_ref] = {"status": "processing"}
    bank_deciding = stripe_reports.gateway

    _pid, p_payload, p_sig = signed_event("payment_intent.processing", processing)
    first = deliver(session, bank_deciding, p_payload, p_sig)
    assert first.status == "processed"
    [pending] = _payments(session, client.id)
    assert pending.status == "pending" and pending.gateway_reference == intent.intent_ref
    assert pending.amount_minor == 240_00 and pending.applied_minor == 0
    assert pending.number.startswith("PAY-")
    assert _reload(session, invoice).balance_minor == 240_00  # nothing paid yet
    checkout = session.get(Checkout, started.checkout_id)
    assert checkout.status == "processing" and checkout.gateway_intent_id == intent.intent_ref
    # A second processing event (another id) adds nothing.
    again = signed_event("payment_intent.processing", processing)
    assert deliver(session, bank_deciding, *again[1:]).status == "processed"
    assert len(_payments(session, client.id)) == 1

    done = deliver(session, gateway, *signed_event("payment_intent.succeeded", succeeded)[1:])
    assert done.status == "processed"
    [payment] = _payments(session, client.id)
    assert payment.id == pending.id and payment.status == "completed"
    assert payment.applied_minor == 240_00 and _reload(session, invoice).status == "paid"
    # Processing reported late changes nothing.
    late = deliver(session, gateway, *signed_event("payment_intent.processing", processing)[1:])
    assert late.status == "ignored"
    assert [p.status for p in _payments(session, client.id)] == ["completed"]
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


def test_processing_then_failed_leaves_one_failed_payment(
    make, session, tx, payer, gateway, stripe_reports, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    started, failed = _declined_intent(
        tx, session, actor, gateway, browser_card, stripe_get, invoice
    )
    processing = copy.deepcopy(failed)
    processing["status"] = "processing"
    processing["last_payment_error"] = None
    # The gateway said `processing` when the first event was handled, declined afterwards.
    stripe_reports.overrides[failed["id"]] = {"status": "processing", "last_payment_error": None}

    deliver(
        session,
        stripe_reports.gateway,
        *signed_event("payment_intent.processing", processing)[1:],
    )
    assert [p.status for p in _payments(session, client.id)] == ["pending"]
    row = deliver(session, gateway, *signed_event("payment_intent.payment_failed", failed)[1:])

    assert row.status == "processed"
    [payment] = _payments(session, client.id)
    assert payment.status == "failed" and payment.gateway_reference == failed["id"]
    assert session.get(Checkout, started.checkout_id).status == "failed"
    assert _reload(session, invoice).balance_minor == 240_00
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


# -- the gateway's word, not the event's body ---------------------------------------------------


def _awaiting_3ds(tx, session, actor, gateway, browser_card, stripe_get, invoice):
    """A real charge with a 3-D Secure card, left waiting for the customer's bank."""
    card = _new_card(tx, actor, gateway, browser_card, CARD_3DS)
    started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[invoice.id]
    )
    assert intent.status == "requires_action"
    return started, stripe_get(f"payment_intents/{intent.intent_ref}")


def _never_charged(_tx, session, actor, _gateway, _browser_card, _stripe_get, invoice):
    """A checkout started in the portal that no intent at the gateway belongs to."""
    started = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    return started, None


def _forged_success(obj: dict | None, checkout_id: int, amount_minor: int) -> dict:
    """The `data.object` someone holding the webhook secret would send: this intent (or a
    made-up one) succeeded for the checkout's whole amount."""
    forged = copy.deepcopy(obj) or {
        "id": f"pi_{uuid.uuid4().hex[:24]}",
        "object": "payment_intent",
        "currency": "usd",
        "latest_charge": None,
    }
    forged.update(
        status="succeeded",
        amount=amount_minor,
        amount_received=amount_minor,
        last_payment_error=None,
        next_action=None,
        metadata={"checkout_id": str(checkout_id)},
    )
    return forged


@pytest.mark.parametrize(
    "at_the_gateway",
    [
        pytest.param(_never_charged, id="no such intent"),
        pytest.param(_declined_intent, id="declined"),
        pytest.param(_awaiting_3ds, id="awaiting 3-D Secure"),
    ],
)
def test_forged_succeeded_event_marks_nothing_paid(
    make, session, tx, payer, gateway, browser_card, stripe_get, at_the_gateway
):
    # The issue: a validly signed `payment_intent.succeeded` naming our checkout, for an intent
    # the gateway never charged. Settling from the event's body would mark the invoice paid.
    _company, client, actor = payer
    invoice = make.invoice(client)
    started, obj = at_the_gateway(tx, session, actor, gateway, browser_card, stripe_get, invoice)
    forged = _forged_success(obj, started.checkout_id, 240_00)

    row = deliver(session, gateway, *signed_event("payment_intent.succeeded", forged)[1:])

    assert row.status == "failed"
    assert "GatewayError" in row.error if obj is None else obj["status"] in row.error
    checkout = _reload(session, session.get(Checkout, started.checkout_id))
    assert checkout.status != "succeeded" and checkout.payment_id is None
    assert checkout.gateway_intent_id is None
    assert [p for p in _payments(session, client.id) if p.status == "completed"] == []
    _reload(session, invoice)
    assert invoice.status != "paid" and invoice.balance_minor == 240_00
    assert invoice.paid_to_date_minor == 0
    assert_invoices_balance(session, [invoice.id])


def test_succeeded_event_is_settled_from_the_gateway_not_its_body(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    charged = make.invoice(client)
    small = make.invoice(client, lines=[LineInput("Small", 1000, 1_00)])
    card = _new_card(tx, actor, gateway, browser_card)
    started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[charged.id]
    )
    waiting = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[small.id])
    )
    body = stripe_get(f"payment_intents/{intent.intent_ref}")
    # The body says 1.00 for the small checkout; the gateway took 240.00 for the first one.
    body["amount"] = 1_00
    body["metadata"]["checkout_id"] = str(waiting.checkout_id)

    row = deliver(session, gateway, *signed_event("payment_intent.succeeded", body)[1:])

    assert row.status == "processed"
    [payment] = _payments(session, client.id)
    assert payment.amount_minor == 240_00 and payment.gateway_reference == intent.intent_ref
    assert _reload(session, session.get(Checkout, started.checkout_id)).status == "succeeded"
    other = _reload(session, session.get(Checkout, waiting.checkout_id))
    assert other.status == "open" and other.gateway_intent_id is None
    assert _reload(session, charged).status == "paid"
    assert _reload(session, small).balance_minor == 1_00
    assert_invoices_balance(session, [charged.id, small.id])
    assert_payment_consistent(session, payment.id)


def test_gateway_unreachable_while_reading_back_leaves_the_event_failed(
    make, session, tx, payer, gateway, unreachable, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[invoice.id]
    )
    event_id, payload, sig = signed_event(
        "payment_intent.succeeded", stripe_get(f"payment_intents/{intent.intent_ref}")
    )

    row = deliver(session, unreachable, payload, sig)

    assert row.status == "failed" and "GatewayError" in row.error
    assert _payments(session, client.id) == []
    checkout = _reload(session, session.get(Checkout, started.checkout_id))
    assert checkout.status == "processing" and checkout.gateway_intent_id is None
    assert _reload(session, invoice).balance_minor == 240_00
    # Stripe delivers it again (the route answered 500): now it is settled.
    again = deliver(session, gateway, payload, sig)
    assert again.id == row.id and again.status == "processed" and again.error == ""
    [payment] = _payments(session, client.id)
    assert payment.status == "completed" and _reload(session, invoice).status == "paid"
    assert len(_events(session, event_id)) == 1
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


@pytest.mark.parametrize("kind", ["payment_intent.processing", "payment_intent.payment_failed"])
def test_earlier_news_of_a_payment_the_gateway_says_succeeded_settles_it(
    make, session, tx, payer, gateway, browser_card, stripe_get, kind
):
    # Stripe's `succeeded` event may be late or lost; the money taken is recorded anyway.
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[invoice.id]
    )
    body = stripe_get(f"payment_intents/{intent.intent_ref}")
    body["status"] = "processing" if kind.endswith("processing") else "requires_payment_method"

    row = deliver(session, gateway, *signed_event(kind, body)[1:])

    assert row.status == "processed"
    [payment] = _payments(session, client.id)
    assert payment.status == "completed" and payment.amount_minor == 240_00
    assert _reload(session, session.get(Checkout, started.checkout_id)).status == "succeeded"
    assert _reload(session, invoice).status == "paid"
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


def test_failure_event_for_a_payment_awaiting_3ds_changes_nothing(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    # Freeing the invoices while the customer can still complete 3-D Secure would let them pay
    # twice; the gateway says the payment has not failed.
    _company, client, actor = payer
    invoice = make.invoice(client)
    started, obj = _awaiting_3ds(tx, session, actor, gateway, browser_card, stripe_get, invoice)
    failed = dict(
        obj,
        status="requires_payment_method",
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
    )

    row = deliver(session, gateway, *signed_event("payment_intent.payment_failed", failed)[1:])

    assert row.status == "ignored" and "requires_action" in row.error
    checkout = _reload(session, session.get(Checkout, started.checkout_id))
    assert checkout.status == "processing" and checkout.failure_message in ("", None)
    assert _payments(session, client.id) == []
    locks = session.exec(select(InvoiceLock).where(InvoiceLock.checkout_id == checkout.id)).all()
    assert locks != []
    assert _reload(session, invoice).balance_minor == 240_00


def test_stale_processing_event_after_a_decline_records_nothing(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    started, failed = _declined_intent(
        tx, session, actor, gateway, browser_card, stripe_get, invoice
    )
    processing = dict(failed, status="processing", last_payment_error=None)

    row = deliver(session, gateway, *signed_event("payment_intent.processing", processing)[1:])

    assert row.status == "ignored" and "requires_payment_method" in row.error
    assert _payments(session, client.id) == []
    assert _reload(session, session.get(Checkout, started.checkout_id)).status == "processing"
    assert _reload(session, invoice).balance_minor == 240_00


# -- charge.refunded ----------------------------------------------------------------------------


def _refund_snapshots(gateway, stripe_get, intent_ref, amounts):
    """Refund `amounts` one after another; the charge as Stripe reports it after each."""
    charge_ref = stripe_get(f"payment_intents/{intent_ref}")["latest_charge"]["id"]
    snapshots = []
    for i, amount in enumerate(amounts):
        gateway.refund(
            intent_ref=intent_ref,
            amount_minor=amount,
            idempotency_key=f"test-refund-{intent_ref}-{i}",
        )
        snapshots.append(stripe_get(f"charges/{charge_ref}"))
    return snapshots


def test_refunds_in_order_then_replayed(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    _started, payment = _pay_in_browser(tx, session, actor, gateway, card, invoice_ids=[invoice.id])
    [partial] = _refund_snapshots(gateway, stripe_get, payment.gateway_reference, [40_00])
    first = signed_event("charge.refunded", partial)
    assert deliver(session, gateway, *first[1:]).status == "processed"
    _reload(session, payment)
    assert payment.status == "partly_refunded" and payment.refunded_minor == 40_00
    _reload(session, invoice)
    assert invoice.status == "partial" and invoice.balance_minor == 40_00
    assert_invoices_balance(session, [invoice.id])

    charge_ref = partial["id"]
    gateway.refund(
        intent_ref=payment.gateway_reference, amount_minor=200_00, idempotency_key="test-rest"
    )
    full = stripe_get(f"charges/{charge_ref}")
    assert full["amount_refunded"] == 240_00
    second = signed_event("charge.refunded", full)
    assert deliver(session, gateway, *second[1:]).status == "processed"
    for event in (first, second, first, second):
        deliver(session, gateway, *event[1:])
    _reload(session, payment)
    assert payment.status == "refunded" and payment.refunded_minor == 240_00
    _reload(session, invoice)
    assert invoice.status == "sent" and invoice.balance_minor == 240_00
    assert invoice.paid_to_date_minor == 0
    refunded = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "payment_refunded", AuditEvent.entity_id == payment.id
        )
    ).all()
    assert len(refunded) == 2
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


def test_a_refund_event_claiming_more_than_the_gateway_refunded_moves_only_what_it_did(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    _started, payment = _pay_in_browser(tx, session, actor, gateway, card, invoice_ids=[invoice.id])
    [charge] = _refund_snapshots(gateway, stripe_get, payment.gateway_reference, [20_00])
    doctored = dict(charge, amount_refunded=240_00, refunded=True)
    assert deliver(session, gateway, *signed_event("charge.refunded", doctored)[1:]).status == (
        "processed"
    )
    _reload(session, payment)
    assert payment.status == "partly_refunded" and payment.refunded_minor == 20_00
    assert _reload(session, invoice).balance_minor == 20_00
    assert_client_ledger(session, client, gateway)


def test_refunds_out_of_order(make, session, tx, payer, gateway, browser_card, stripe_get):
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    _started, payment = _pay_in_browser(tx, session, actor, gateway, card, invoice_ids=[invoice.id])
    older, newer = _refund_snapshots(gateway, stripe_get, payment.gateway_reference, [30_00, 50_00])

    assert deliver(session, gateway, *signed_event("charge.refunded", newer)[1:]).status == (
        "processed"
    )
    # The older report (30.00 refunded in all) arrives last and must not lower the total.
    assert deliver(session, gateway, *signed_event("charge.refunded", older)[1:]).status == (
        "processed"
    )
    _reload(session, payment)
    assert payment.status == "partly_refunded" and payment.refunded_minor == 80_00
    _reload(session, invoice)
    assert invoice.status == "partial" and invoice.balance_minor == 80_00
    [allocation] = session.exec(
        select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id)
    ).all()
    assert allocation.refunded_minor == 80_00
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


def test_refund_before_success_settles_then_refunds(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[invoice.id]
    )
    succeeded = stripe_get(f"payment_intents/{intent.intent_ref}")
    [refunded] = _refund_snapshots(gateway, stripe_get, intent.intent_ref, [100_00])

    row = deliver(session, gateway, *signed_event("charge.refunded", refunded)[1:])
    assert row.status == "processed"
    [payment] = _payments(session, client.id)
    assert payment.status == "partly_refunded" and payment.refunded_minor == 100_00
    assert session.get(Checkout, started.checkout_id).status == "succeeded"
    assert _reload(session, invoice).balance_minor == 100_00
    # Then the success arrives: already settled, nothing changes.
    late = deliver(session, gateway, *signed_event("payment_intent.succeeded", succeeded)[1:])
    assert late.status == "processed"
    [same] = _payments(session, client.id)
    assert same.id == payment.id and same.status == "partly_refunded"
    assert _reload(session, invoice).balance_minor == 100_00
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


def test_processing_error_is_stored_as_failed_and_retried(
    make, session, tx, payer, gateway, unreachable, browser_card, stripe_get
):
    _company, client, actor = payer
    invoice = make.invoice(client)
    card = _new_card(tx, actor, gateway, browser_card)
    started, intent = _charge_then_close_browser(
        session, actor, gateway, card, invoice_ids=[invoice.id]
    )
    [refunded] = _refund_snapshots(gateway, stripe_get, intent.intent_ref, [20_00])
    event_id, payload, sig = signed_event("charge.refunded", refunded)

    # The gateway cannot be reached while the event is handled.
    row = deliver(session, unreachable, payload, sig)
    assert row.status == "failed" and "GatewayError" in row.error
    assert _payments(session, client.id) == []
    checkout = session.get(Checkout, started.checkout_id)
    assert checkout.status == "processing" and checkout.gateway_intent_id is None
    assert _reload(session, invoice).balance_minor == 240_00

    # Stripe delivers it again once we answered 500: now it goes through.
    again = deliver(session, gateway, payload, sig)
    assert again.id == row.id and again.status == "processed" and again.error == ""
    [payment] = _payments(session, client.id)
    assert payment.refunded_minor == 20_00
    assert len(_events(session, event_id)) == 1
    assert_invoices_balance(session, [invoice.id])
    assert_payment_consistent(session, payment.id)


def test_mismatched_intent_fails_and_rolls_back_its_work(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    other = make.invoice(client, lines=[LineInput("Small", 1000, 1_00)])
    waiting = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[other.id])
    )
    # A real 240.00 payment at the gateway whose metadata names the 1.00 checkout.
    stripe = browser_card.client
    customer = stripe.v1.customers.create(params={"email": "mismatch@example.test"})
    created = stripe.v1.payment_intents.create(
        params={
            "amount": 240_00,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": browser_card(customer.id),
            "confirm": True,
            "metadata": {"checkout_id": str(waiting.checkout_id)},
        }
    )
    obj = stripe_get(f"payment_intents/{created.id}")

    row = deliver(session, gateway, *signed_event("payment_intent.succeeded", obj)[1:])

    assert row.status == "failed" and "different payment" in row.error
    checkout = session.get(Checkout, waiting.checkout_id)
    session.refresh(checkout)
    # The intent was bound to the checkout before settling failed; the savepoint undid that.
    assert checkout.gateway_intent_id is None and checkout.status == "open"
    assert _payments(session, client.id) == []
    assert _reload(session, other).balance_minor == 1_00
    assert_invoices_balance(session, [other.id])


# -- ignored events -----------------------------------------------------------------------------


def test_unknown_checkout_is_ignored(make, session, payer, gateway, browser_card, stripe_get):
    _company, client, _actor = payer
    stripe = browser_card.client
    customer = stripe.v1.customers.create(params={"email": "someone@example.test"})
    card = browser_card(customer.id)
    foreign = []
    for metadata in ({"checkout_id": "999999999"}, {}, {"checkout_id": "not-a-number"}):
        created = stripe.v1.payment_intents.create(
            params={
                "amount": 5_00,
                "currency": "usd",
                "customer": customer.id,
                "payment_method": card,
                "confirm": True,
                "metadata": metadata,
            }
        )
        foreign.append(stripe_get(f"payment_intents/{created.id}"))
    for obj in foreign:
        for kind in ("payment_intent.succeeded", "payment_intent.processing"):
            row = deliver(session, gateway, *signed_event(kind, obj)[1:])
            assert row.status == "ignored" and row.error == "no checkout of ours"
        failed = dict(obj, status="requires_payment_method")
        row = deliver(session, gateway, *signed_event("payment_intent.payment_failed", failed)[1:])
        assert row.status == "ignored"
        refs = session.exec(select(Payment).where(Payment.gateway_reference == obj["id"])).all()
        assert refs == []
    # Someone else's refund too.
    charge = stripe_get(f"charges/{foreign[0]['latest_charge']['id']}")
    row = deliver(session, gateway, *signed_event("charge.refunded", charge)[1:])
    assert row.status == "ignored"


def test_unhandled_event_type_is_stored_and_ignored(session, gateway, browser_card, stripe_get):
    customer = browser_card.client.v1.customers.create(params={"email": "x@example.test"})
    event_id, payload, sig = signed_event(
        "customer.created", stripe_get(f"customers/{customer.id}")
    )
    row = deliver(session, gateway, payload, sig)
    assert row.status == "ignored" and row.event_type == "customer.created"
    assert row.payload == payload.decode()
    assert len(_events(session, event_id)) == 1


# -- cards --------------------------------------------------------------------------------------


def test_setup_intent_succeeded_is_recorded_only(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose="test")
    customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    intent = browser_card.client.v1.setup_intents.create(
        params={"customer": customer, "payment_method_types": ["card"]}
    )
    card = browser_card(customer)
    browser_card.client.v1.setup_intents.confirm(intent.id, params={"payment_method": card})
    obj = stripe_get(f"setup_intents/{intent.id}")
    assert obj["status"] == "succeeded"

    row = deliver(session, gateway, *signed_event("setup_intent.succeeded", obj)[1:])

    assert row.status == "processed"
    saved = session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id)).all()
    assert saved == []  # the browser flow decides whether a card is kept


def test_detached_card_is_removed_and_another_becomes_default(
    make, session, tx, payer, gateway, browser_card, stripe_get
):
    _company, client, actor = payer
    first = _new_card(tx, actor, gateway, browser_card, save=True)
    second = _new_card(tx, actor, gateway, browser_card, save=True)
    unsaved = _new_card(tx, actor, gateway, browser_card)
    cards = {
        m.method_ref: m
        for m in session.exec(select(PaymentMethod).where(PaymentMethod.client_id == client.id))
    }
    assert cards[first].is_default and not cards[second].is_default

    gateway.detach_method(first)  # e.g. from the Stripe dashboard
    obj = stripe_get(f"payment_methods/{first}")
    assert obj["customer"] is None
    event_id, payload, sig = signed_event("payment_method.detached", obj)
    row = deliver(session, gateway, payload, sig)

    assert row.status == "processed"
    removed, promoted = _reload(session, cards[first]), _reload(session, cards[second])
    assert removed.removed_at is not None and not removed.is_default
    assert promoted.is_default and promoted.removed_at is None
    assert deliver(session, gateway, payload, sig).id == row.id  # replay
    assert _reload(session, cards[second]).is_default

    gateway.detach_method(unsaved)
    other = deliver(
        session,
        gateway,
        *signed_event("payment_method.detached", stripe_get(f"payment_methods/{unsaved}"))[1:],
    )
    assert other.status == "ignored"
    assert session.exec(
        select(PaymentMethod).where(
            PaymentMethod.client_id == client.id, PaymentMethod.removed_at.is_(None)
        )
    ).all() == [cards[second]]
