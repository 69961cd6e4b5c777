"""Pick a saved card or type a new one (the Stripe card element), for the pages that charge a
card outside checkout (subscribing, pre-payments). The State passed in provides `cards`,
`card_choice`, `choose_card` and `card_error`; the card box is always in the page (only
hidden) so Stripe.js can mount into it when the page loads."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import badge, callout
from portal_app.components.card_element import card_box, mount_when_ready_script

NEW_CARD = "new"


def card_choice(state, heading: str = "Pay with", extra: rx.Component | None = None):
    """Radio list of the client's saved cards plus "A new card" with the card element."""
    return rx.vstack(
        rx.heading(heading, size="4", as_="h2"),
        rx.radio_group.root(
            rx.vstack(
                rx.foreach(
                    state.cards,
                    lambda card: rx.el.label(
                        rx.hstack(
                            rx.radio_group.item(value=card.id.to_string()),
                            rx.text(card.label),
                            rx.cond(card.is_default, badge("Default", variant="soft")),
                            align="center",
                            spacing="2",
                        )
                    ),
                ),
                rx.el.label(
                    rx.hstack(
                        rx.radio_group.item(value=NEW_CARD),
                        rx.text("A new card"),
                        align="center",
                        spacing="2",
                    )
                ),
                spacing="2",
            ),
            value=state.card_choice,
            on_change=state.choose_card,
            aria_label=heading,
        ),
        rx.box(
            card_box(),
            extra if extra is not None else rx.fragment(),
            width="100%",
            display=rx.cond(state.card_choice == NEW_CARD, "block", "none"),
        ),
        rx.cond(
            state.card_error != "",
            callout(
                state.card_error,
                icon="circle-alert",
                color_scheme="red",
                role="alert",
                width="100%",
            ),
        ),
        width="100%",
        spacing="3",
        align="start",
    )


def allowed_choice(value: object, cards) -> str:
    """The browser's choice when it is one of the offered cards, else a new card."""
    text = value if isinstance(value, str) else NEW_CARD
    return text if text in {NEW_CARD, *(str(card.id) for card in cards)} else NEW_CARD


def mount_when_ready(js_url: str, publishable_key: str) -> str:
    """`mount_script`, run once the card box is in the page.

    On these pages the box appears with the data the same event loads, so the call may arrive
    before React has rendered it: the browser waits for it (up to five seconds) instead of failing.
    """
    return mount_when_ready_script(js_url, publishable_key)
