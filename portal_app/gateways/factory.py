"""The one way the rest of the portal gets a payment gateway: the configured one, built from
settings. Only this package imports the Stripe gateway module (an import contract in
pyproject.toml holds it), so pages, states, jobs and routes never depend on the SDK's module.
"""

from __future__ import annotations

from functools import lru_cache

from portal_app.core.settings import RELAXED_ENVIRONMENTS, Settings, get_settings
from portal_app.gateways.stripe_gateway import (
    TEST_PUBLISHABLE_KEY,
    TEST_SECRET_KEY,
    TEST_WEBHOOK_SECRET,
    StripeGateway,
)


def is_test_mode() -> bool:
    """True when no real Stripe keys are configured (localstripe for demo and tests)."""
    key = get_settings().stripe_secret_key
    return not key or key.startswith("sk_test_")


@lru_cache(maxsize=1)
def get_gateway() -> StripeGateway:
    """The configured gateway; without keys it points at a local localstripe."""
    return gateway_for(get_settings())


def gateway_for(s: Settings) -> StripeGateway:
    """The gateway these settings describe (get_gateway's, uncached).

    The built-in TEST_WEBHOOK_SECRET stands in for an unset STRIPE_WEBHOOK_SECRET only in
    development and test; anywhere else an unset secret leaves the gateway without one, so every
    webhook is refused as badly signed (settings refuse to start that way too).
    """
    fallback = TEST_WEBHOOK_SECRET if s.environment in RELAXED_ENVIRONMENTS else None
    api_base, js_url = browser_urls(s)
    return StripeGateway(
        secret_key=s.stripe_secret_key or TEST_SECRET_KEY,
        publishable_key=s.stripe_publishable_key or TEST_PUBLISHABLE_KEY,
        webhook_secret=s.stripe_webhook_secret or fallback,
        api_base=api_base,
        js_url=js_url,
    )


def browser_urls(s: Settings) -> tuple[str | None, str]:
    """The API base (None: Stripe's own) and Stripe.js URL the gateway for `s` uses; without
    a secret key, the local localstripe. The security headers allow these in the browser."""
    if not s.stripe_secret_key:
        return (
            s.stripe_api_base or "http://localhost:8420",
            "http://localhost:8420/js.stripe.com/v3/",
        )
    return s.stripe_api_base, s.stripe_js_url
