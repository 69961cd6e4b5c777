"""The "test mode" banner shown while payments go to a fake Stripe."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.state.translate import _


def test_mode_banner(show) -> rx.Component:
    """A visible notice that no real money moves (localstripe / sk_test_ keys)."""
    return rx.cond(
        show,
        callout(
            _(
                "Test mode: payments go to a test card processor and no real money moves. "
                "Use card 4242 4242 4242 4242 with any future expiry."
            ),
            icon="flask-conical",
            color_scheme="amber",
            role="status",
            width="100%",
        ),
    )
