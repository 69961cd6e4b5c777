"""The Stripe card element, wrapped for Reflex pages.

Stripe.js is loaded from the configured URL (real Stripe, or localstripe for tests and the demo),
the card element is mounted into the box this module draws, and the two browser steps Stripe
requires (confirming a SetupIntent with the card, and 3-D Secure) run there. The calls that do
it are built by state/stripe_card.py (the code is assets/js/stripe_card.js).
"""

from __future__ import annotations

import reflex as rx

from portal_app.state.stripe_card import CARD_BOX_ID
from portal_app.state.translate import _


def card_box() -> rx.Component:
    """Where the card element is mounted (a State calls `stripe_card.mount_script` once shown)."""
    return rx.box(
        id=CARD_BOX_ID,
        padding="0.75em",
        border=f"1px solid {rx.color('gray', 7)}",
        border_radius="var(--radius-3)",
        background=rx.color("gray", 1),
        min_height="2.75em",
        width="100%",
        aria_label=_("Card details"),
        role="group",
    )
