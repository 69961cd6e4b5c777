"""The Stripe card element, wrapped for Reflex pages.

Stripe.js is loaded from the configured URL (real Stripe, or localstripe for tests and the demo),
the card element is mounted into a box, and the two browser steps Stripe requires (confirming a
SetupIntent with the card, and 3-D Secure) run there: the code is assets/js/stripe_card.js, and
the functions here build the `rx.call_script` calls into it (see state/browser_js.py). Each call
resolves to a small JSON string for a State handler; card data never reaches our server.
"""

from __future__ import annotations

import json

import reflex as rx

from portal_app.state import browser_js

CARD_BOX_ID = "card-element"
# How long the browser waits for a card box that is not rendered yet (`mount_when_ready_script`).
BOX_WAIT_MS = 5000


def card_box() -> rx.Component:
    """Where the card element is mounted (call `mount_script` after the page loads)."""
    return rx.box(
        id=CARD_BOX_ID,
        padding="0.75em",
        border=f"1px solid {rx.color('gray', 7)}",
        border_radius="var(--radius-3)",
        background=rx.color("gray", 1),
        min_height="2.75em",
        width="100%",
        aria_label="Card details",
        role="group",
    )


def mount_script(js_url: str, publishable_key: str) -> str:
    """Load Stripe.js once and mount a fresh card element; resolves to '{"ok": true}'."""
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


def confirm_payment_script(client_secret: str) -> str:
    """Run 3-D Secure for a PaymentIntent; resolves to {"error"} (the server reads the result)."""
    return browser_js.call(browser_js.STRIPE_CARD, "confirmPayment", client_secret)


def parse_result(raw: object) -> dict:
    """The JSON a script resolved to, as a dict of strings (anything else is an error)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return {str(k): v for k, v in data.items() if isinstance(v, str | bool)}
