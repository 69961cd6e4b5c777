"""Stripe behind the PaymentGateway interface. The only module that imports stripe.

The API base and Stripe.js URL come from settings, so tests and the demo talk to localstripe.
Every call that creates something carries an idempotency key derived from our own ids.
"""

from __future__ import annotations

import logging

import stripe

from portal_app.core.money import currency_exponent
from portal_app.gateways.base import (
    CardDeclinedError,
    CardDetails,
    GatewayError,
    GatewayEvent,
    PaymentIntentResult,
    SetupIntentResult,
)
from portal_app.gateways.messages import plain_card_message

log = logging.getLogger(__name__)
UNREACHABLE = "The card processor could not be reached. Nothing was charged; please try again."
TEST_SECRET_KEY = "sk_test_portal_localstripe"
TEST_PUBLISHABLE_KEY = "pk_test_portal_localstripe"
# Published (settings.KNOWN_WEBHOOK_SECRETS): used only in development and test, when unset.
TEST_WEBHOOK_SECRET = "whsec_portal_localstripe"


class StripeGateway:
    """Stripe (or localstripe) through the official SDK."""

    name = "stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        publishable_key: str,
        webhook_secret: str | None,
        api_base: str | None,
        js_url: str,
        pays_and_saves_in_one_step: bool | None = None,
    ):
        # Real Stripe (its own API base) attaches a card paid with setup_future_usage to the
        # customer. localstripe (a custom API base in tests and the demo) refuses that
        # parameter ("Unexpected setup_future_usage") and its Stripe.js has no
        # createPaymentMethod, so there a new card to keep takes the two steps.
        self.pays_and_saves_in_one_step = (
            api_base is None if pays_and_saves_in_one_step is None else pays_and_saves_in_one_step
        )
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=1,
        )
        self._publishable_key = publishable_key
        self._webhook_secret = webhook_secret
        self._js_url = js_url

    # -- helpers -----------------------------------------------------------------------------

    def _call(self, fn, *args, **kwargs):
        """Run one SDK call and translate its errors into ours."""
        try:
            return fn(*args, **kwargs)
        except stripe.CardError as exc:
            raise CardDeclinedError(
                plain_card_message(exc.user_message or "The card was declined.", exc.code or ""),
                code=exc.code or "",
            ) from exc
        except stripe.APIConnectionError as exc:
            log.warning("stripe unreachable: %s", exc.__class__.__name__)
            raise GatewayError(UNREACHABLE, code="unreachable") from exc
        except stripe.StripeError as exc:
            log.warning("stripe error %s: %s", exc.__class__.__name__, exc.user_message)
            raise GatewayError(
                exc.user_message or "The card processor refused the request.",
                code=getattr(exc, "code", "") or "",
            ) from exc

    @staticmethod
    def _intent_result(intent) -> PaymentIntentResult:
        return _intent_from_dict(intent.to_dict())

    # -- customers and cards -----------------------------------------------------------------

    def ensure_customer(self, *, client_id: int, email: str, name: str) -> str:
        """Create the Stripe customer for one of our clients; returns its id."""
        customer = self._call(
            self._client.v1.customers.create,
            params={"email": email, "name": name, "metadata": {"client_id": str(client_id)}},
            options={"idempotency_key": f"customer-{client_id}"},
        )
        return customer.id

    def create_setup_intent(self, *, customer_ref: str, idempotency_key: str) -> SetupIntentResult:
        """A SetupIntent the browser confirms with the card element to save a card."""
        intent = self._call(
            self._client.v1.setup_intents.create,
            params={
                "customer": customer_ref,
                "payment_method_types": ["card"],
                "usage": "off_session",
            },
            options={"idempotency_key": idempotency_key},
        )
        return SetupIntentResult(
            intent_ref=intent.id, client_secret=intent.client_secret, status=intent.status
        )

    def retrieve_setup_intent(self, intent_ref: str) -> SetupIntentResult:
        """Read a SetupIntent back (its status and the card it saved)."""
        intent = self._call(self._client.v1.setup_intents.retrieve, intent_ref)
        data = intent.to_dict()
        method = data.get("payment_method") or ""
        if isinstance(method, dict):
            method = method.get("id", "")
        customer = data.get("customer") or ""
        if isinstance(customer, dict):
            customer = customer.get("id", "")
        return SetupIntentResult(
            intent_ref=data["id"],
            client_secret="",
            status=data.get("status", ""),
            method_ref=method,
            customer_ref=customer,
        )

    def card_details(self, method_ref: str) -> CardDetails:
        """Brand, last four digits and expiry of a saved card."""
        method = self._call(self._client.v1.payment_methods.retrieve, method_ref).to_dict()
        card = method.get("card") or {}
        return CardDetails(
            method_ref=method["id"],
            brand=str(card.get("brand", "")),
            last4=str(card.get("last4", "")),
            exp_month=int(card.get("exp_month") or 0),
            exp_year=int(card.get("exp_year") or 0),
            customer_ref=method.get("customer") or "",
        )

    def detach_method(self, method_ref: str) -> None:
        """Detach a card from its customer at Stripe."""
        self._call(self._client.v1.payment_methods.detach, method_ref)

    def attach_method(self, *, method_ref: str, customer_ref: str) -> None:
        """Attach a card to a customer (Stripe does this itself when a SetupIntent succeeds)."""
        self._call(
            self._client.v1.payment_methods.attach, method_ref, params={"customer": customer_ref}
        )

    # -- payments ----------------------------------------------------------------------------

    def create_payment(
        self,
        *,
        amount_minor: int,
        currency: str,
        customer_ref: str,
        method_ref: str,
        idempotency_key: str,
        metadata: dict[str, str],
        off_session: bool = False,
        save_for_later: bool = False,
    ) -> PaymentIntentResult:
        """Create and confirm a PaymentIntent with a saved or just-set-up card.

        `save_for_later`: the card (one the browser just created) is attached to the customer
        for later off-session charges once the payment succeeds (3-D Secure covers both).
        """
        currency_exponent(currency)  # refuses unknown currencies before any call
        params = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "customer": customer_ref,
            "payment_method": method_ref,
            "confirm": True,
            "metadata": metadata,
            "payment_method_types": ["card"],
        }
        if off_session:
            params["off_session"] = True
        if save_for_later:
            params["setup_future_usage"] = "off_session"
        intent = self._call(
            self._client.v1.payment_intents.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
        return self._intent_result(intent)

    def cancel_payment(self, *, intent_ref: str, idempotency_key: str) -> PaymentIntentResult:
        """Cancel a PaymentIntent that will not be finished (e.g. abandoned 3-D Secure), so it
        can never take money later; GatewayError when it already succeeded or is processing."""
        intent = self._call(
            self._client.v1.payment_intents.cancel,
            intent_ref,
            options={"idempotency_key": idempotency_key},
        )
        return self._intent_result(intent)

    def retrieve_payment(self, intent_ref: str) -> PaymentIntentResult:
        """Read a PaymentIntent back from Stripe: the only word on its outcome we trust."""
        return self._intent_result(self._call(self._client.v1.payment_intents.retrieve, intent_ref))

    def refund(self, *, intent_ref: str, amount_minor: int, idempotency_key: str) -> str:
        """Refund part or all of a payment; returns the refund id."""
        refund = self._call(
            self._client.v1.refunds.create,
            params={"payment_intent": intent_ref, "amount": amount_minor},
            options={"idempotency_key": idempotency_key},
        )
        return refund.id

    # -- webhooks and the browser ------------------------------------------------------------

    def verify_event(self, *, payload: bytes, signature: str) -> GatewayEvent:
        """Check the Stripe-Signature header and parse the event; GatewayError when invalid.

        Without a webhook secret every event is refused: an HMAC with an empty key is one
        anybody can compute.
        """
        if not (self._webhook_secret or "").strip():
            log.warning("webhook refused: no STRIPE_WEBHOOK_SECRET is configured")
            raise GatewayError("no webhook secret configured", code="bad_signature")
        try:
            event = stripe.Webhook.construct_event(payload, signature, self._webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise GatewayError("invalid webhook signature", code="bad_signature") from exc
        data = event.to_dict()
        obj = (data.get("data") or {}).get("object") or {}
        return GatewayEvent(
            event_ref=data["id"],
            event_type=data.get("type", ""),
            object_ref=str(obj.get("id", "")),
            data=obj,
        )

    def publishable_key(self) -> str:
        return self._publishable_key

    def js_url(self) -> str:
        return self._js_url


def _intent_from_dict(data: dict) -> PaymentIntentResult:
    """Our PaymentIntentResult from a PaymentIntent as a plain dict (an API answer; webhooks
    read the intent back rather than trust an event's copy)."""
    last_error = data.get("last_payment_error") or {}
    charges = (data.get("charges") or {}).get("data", []) or []
    if not charges and isinstance(data.get("latest_charge"), dict):
        # Newer API versions drop `charges`; an expanded latest_charge carries the refunds.
        charges = [data["latest_charge"]]
    refunded = sum(int(charge.get("amount_refunded") or 0) for charge in charges)
    method = data.get("payment_method") or ""
    if isinstance(method, dict):
        method = method.get("id", "")
    return PaymentIntentResult(
        intent_ref=data["id"],
        status=data.get("status", ""),
        amount_minor=int(data.get("amount") or 0),
        currency=str(data.get("currency", "")).upper(),
        client_secret=data.get("client_secret") or "",
        method_ref=method,
        failure_message=_plain_failure(last_error),
        refunded_minor=refunded,
        metadata={k: str(v) for k, v in (data.get("metadata") or {}).items()},
    )


def _plain_failure(last_error: object) -> str:
    """A PaymentIntent's last error as the client reads it (empty when there is none)."""
    if not isinstance(last_error, dict) or not last_error.get("message"):
        return ""
    return plain_card_message(str(last_error["message"]), str(last_error.get("code") or ""))
