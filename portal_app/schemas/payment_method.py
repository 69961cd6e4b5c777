"""Saved-card views sent to the UI: display strings only, never gateway tokens."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.core.pickling import positional_pickle


@positional_pickle
@dataclass(frozen=True, slots=True)
class PaymentMethodView:
    """One saved card as the payment-methods page shows it."""

    id: int
    brand: str  # "Visa", "Mastercard", ... ("Card" when the gateway did not say)
    last4: str
    expiry: str  # "12/2031" ("" when unknown)
    is_default: bool
    is_expired: bool
