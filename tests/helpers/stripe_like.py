"""A gateway that behaves like real Stripe where localstripe falls short: paying and keeping a
new card in one confirmation.

localstripe refuses `setup_future_usage` on a PaymentIntent ("Unexpected setup_future_usage")
and its Stripe.js has no createPaymentMethod. `StripeLikeGateway` is our Stripe gateway on
localstripe that sends the charge without the parameter and, as Stripe does, attaches the card
to the customer once the payment succeeded (right away, or after 3-D Secure when it is read
back). Everything else is localstripe's real answer.
"""

from __future__ import annotations

from portal_app.gateways.base import PaymentIntentResult
from portal_app.gateways.stripe_gateway import StripeGateway


class StripeLikeGateway(StripeGateway):
    """StripeGateway on localstripe, with Stripe's setup_future_usage behaviour."""

    def __init__(self, localstripe_url: str):
        super().__init__(
            secret_key="sk_test_portal",
            publishable_key="pk_test_portal",
            webhook_secret="whsec_test_portal",
            api_base=localstripe_url,
            js_url=f"{localstripe_url}/js.stripe.com/v3/",
            pays_and_saves_in_one_step=True,
        )
        # PaymentIntent id -> the customer its card joins once it succeeds.
        self._keep_on_success: dict[str, str] = {}

    def create_payment(self, *, save_for_later: bool = False, **params) -> PaymentIntentResult:
        """localstripe's charge; a card to keep is remembered until the payment succeeds."""
        intent = super().create_payment(save_for_later=False, **params)
        if save_for_later:
            self._keep_on_success[intent.intent_ref] = params["customer_ref"]
        return self._attach_when_paid(intent)

    def retrieve_payment(self, intent_ref: str) -> PaymentIntentResult:
        """localstripe's answer, after attaching the card of a payment that succeeded."""
        return self._attach_when_paid(super().retrieve_payment(intent_ref))

    def _attach_when_paid(self, intent: PaymentIntentResult) -> PaymentIntentResult:
        customer_ref = self._keep_on_success.get(intent.intent_ref)
        if customer_ref and intent.succeeded and intent.method_ref:
            self.attach_method(method_ref=intent.method_ref, customer_ref=customer_ref)
            del self._keep_on_success[intent.intent_ref]
        return intent
