"""The Stripe card element's browser calls and the saved-card choice rules, for State handlers.

The code that runs in the browser is assets/js/stripe_card.js; these functions build the
`rx.call_script` calls into it (see state/browser_js.py). Each call resolves to a small JSON
string for a State handler; card data never reaches our server. The card box itself is a
component (components/card_element.py) with the id CARD_BOX_ID.
"""

from __future__ import annotations

import json

from portal_app.state import browser_js

CARD_BOX_ID = "card-element"
# How long the browser waits for a card box that is not rendered yet (`mount_when_ready_script`).
BOX_WAIT_MS = 5000
# The value of the "pay with" choice that means a card typed now rather than a saved one.
NEW_CARD = "new"


def mount_script(js_url: str, publishable_key: str) -> str:
    """Load Stripe.js (on a page load's first call only) and mount a fresh card element;
    resolves to '{"ok": true}'."""
    return browser_js.call(browser_js.STRIPE_CARD, "mount", js_url, publishable_key, CARD_BOX_ID)


def mount_when_ready_script(js_url: str, publishable_key: str) -> str:
    """`mount_script` for a page whose card box appears with the data the same event loads:
    the browser waits for it (up to BOX_WAIT_MS) instead of failing."""
    return browser_js.call(
        browser_js.STRIPE_CARD, "mount", js_url, publishable_key, CARD_BOX_ID, BOX_WAIT_MS
    )


def confirm_setup_script(client_secret: str) -> str:
    """Confirm a SetupIntent with the mounted card; resolves to {"setup_intent", "error"}."""
    return browser_js.call(browser_js.STRIPE_CARD, "confirmSetup", client_secret)


def create_method_script() -> str:
    """Create a PaymentMethod from the mounted card (no confirmation: the payment confirms it);
    resolves to {"payment_method", "error"}."""
    return browser_js.call(browser_js.STRIPE_CARD, "createMethod")


def confirm_payment_script(js_url: str, publishable_key: str, client_secret: str) -> str:
    """Run 3-D Secure for a PaymentIntent; resolves to {"error"} (the server reads the result).
    A saved card's payment has no card element mounted: the browser loads Stripe.js then."""
    return browser_js.call(
        browser_js.STRIPE_CARD, "confirmPayment", js_url, publishable_key, client_secret
    )


def parse_result(raw: object) -> dict:
    """The JSON a script resolved to, as a dict of strings (anything else is an error)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return {str(k): v for k, v in data.items() if isinstance(v, str | bool)}


def allowed_choice(value: object, cards) -> str:
    """The browser's choice when it is one of the offered cards, else a new card."""
    text = value if isinstance(value, str) else NEW_CARD
    return text if text in {NEW_CARD, *(str(card.id) for card in cards)} else NEW_CARD
