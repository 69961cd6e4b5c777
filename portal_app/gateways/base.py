"""The payment gateway interface: plain dataclasses in and out, no gateway SDK types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class GatewayError(Exception):
    """The gateway could not be reached or answered with an error; safe message for the user."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


class CardDeclinedError(GatewayError):
    """The card was refused (declined, expired, failed authentication)."""


@dataclass(frozen=True, slots=True)
class CardDetails:
    method_ref: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    customer_ref: str = ""


@dataclass(frozen=True, slots=True)
class SetupIntentResult:
    intent_ref: str
    client_secret: str
    status: str
    method_ref: str = ""
    customer_ref: str = ""


@dataclass(frozen=True, slots=True)
class PaymentIntentResult:
    """What the gateway says about a payment: the only source of truth for success."""

    intent_ref: str
    status: str  # succeeded | processing | requires_action | requires_payment_method | canceled
    amount_minor: int
    currency: str
    client_secret: str = ""
    method_ref: str = ""
    failure_message: str = ""
    refunded_minor: int = 0
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """A verified webhook event."""

    event_ref: str
    event_type: str
    object_ref: str
    data: dict[str, Any]


class PaymentGateway(Protocol):
    """What the portal needs from a card gateway."""

    name: str
    # True when a new card can pay and be kept in one confirmation (a PaymentIntent with
    # setup_future_usage that attaches the card to the customer once it succeeds); False
    # keeps the two steps (a SetupIntent to keep the card, then the payment).
    pays_and_saves_in_one_step: bool

    def ensure_customer(self, *, client_id: int, email: str, name: str) -> str: ...

    def create_setup_intent(
        self, *, customer_ref: str, idempotency_key: str
    ) -> SetupIntentResult: ...

    def retrieve_setup_intent(self, intent_ref: str) -> SetupIntentResult: ...

    def card_details(self, method_ref: str) -> CardDetails: ...

    def detach_method(self, method_ref: str) -> None: ...

    def attach_method(self, *, method_ref: str, customer_ref: str) -> None: ...

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
    ) -> PaymentIntentResult: ...

    def retrieve_payment(self, intent_ref: str) -> PaymentIntentResult: ...

    def cancel_payment(self, *, intent_ref: str, idempotency_key: str) -> PaymentIntentResult: ...

    def refund(self, *, intent_ref: str, amount_minor: int, idempotency_key: str) -> str: ...

    def verify_event(self, *, payload: bytes, signature: str) -> GatewayEvent: ...

    def publishable_key(self) -> str: ...

    def js_url(self) -> str: ...
