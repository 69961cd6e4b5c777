"""The Stripe gateway's webhook secret: the built-in test secret only in development and test.

These build the gateway from settings without a network call; verify_event is pure HMAC work.
"""

from __future__ import annotations

import json
import time

import pytest

from portal_app.core.settings import Settings
from portal_app.gateways.base import GatewayError
from portal_app.gateways.factory import gateway_for
from portal_app.gateways.stripe_gateway import TEST_WEBHOOK_SECRET, StripeGateway
from tests.services.payments.test_webhooks import signature_for

OWN_SECRET = "whsec_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture(autouse=True)
def no_stripe_env(monkeypatch):
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)


def _payload() -> bytes:
    """A `payment_intent.succeeded` anyone could write."""
    event = {
        "id": "evt_forged_by_someone",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": {"id": "pi_forged", "object": "payment_intent", "status": "succeeded"}},
    }
    return json.dumps(event).encode()


def _settings(environment: str, webhook_secret: str | None = None) -> Settings:
    """Settings for `environment`. Production ones are built without their validation (which
    refuses a missing secret): the gateway must not rely on that check having run."""
    settings = Settings(PORTAL_ENV="test")
    return settings.model_copy(
        update={"environment": environment, "stripe_webhook_secret": webhook_secret}
    )


def test_without_a_secret_production_refuses_every_webhook():
    gateway = gateway_for(_settings("production"))
    payload = _payload()
    for secret in (TEST_WEBHOOK_SECRET, "", "whsec_demo_localstripe"):
        with pytest.raises(GatewayError) as excinfo:
            gateway.verify_event(payload=payload, signature=signature_for(payload, secret=secret))
        assert excinfo.value.code == "bad_signature"


def test_production_verifies_with_its_own_secret_only():
    gateway = gateway_for(_settings("production", OWN_SECRET))
    payload = _payload()
    event = gateway.verify_event(
        payload=payload, signature=signature_for(payload, secret=OWN_SECRET)
    )
    assert event.event_ref == "evt_forged_by_someone"
    with pytest.raises(GatewayError):
        gateway.verify_event(
            payload=payload, signature=signature_for(payload, secret=TEST_WEBHOOK_SECRET)
        )


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_test_fall_back_to_the_test_secret(environment):
    gateway = gateway_for(_settings(environment))
    payload = _payload()
    signature = signature_for(payload, secret=TEST_WEBHOOK_SECRET)
    assert gateway.verify_event(payload=payload, signature=signature).object_ref == "pi_forged"


@pytest.mark.parametrize("secret", ["", None])
def test_a_gateway_without_a_secret_accepts_nothing(secret):
    # An HMAC with an empty key is one anybody can compute.
    gateway = StripeGateway(
        secret_key="sk_test_portal",
        publishable_key="pk_test_portal",
        webhook_secret=secret,
        api_base="http://127.0.0.1:9",
        js_url="http://127.0.0.1:9/js.stripe.com/v3/",
    )
    payload = _payload()
    with pytest.raises(GatewayError):
        gateway.verify_event(payload=payload, signature=signature_for(payload, secret=""))
