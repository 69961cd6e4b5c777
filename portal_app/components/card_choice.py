"""Pick a saved card or type a new one (the Stripe card element), for the pages that charge a
card outside checkout (subscribing, pre-payments). The State passed in provides `cards`,
`card_choice`, `choose_card` and `card_error`; the card box is always in the page (only
hidden), and Stripe.js is loaded and mounted into it the first time it shows (a new card
chosen: at the page's load, or when the client picks it over a saved card)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import badge, callout
from portal_app.components.card_element import card_box
from portal_app.state.stripe_card import NEW_CARD
from portal_app.state.translate import _, pgettext


def card_choice(state, heading: str | rx.Var | None = None, extra: rx.Component | None = None):
    """Radio list of the client's saved cards plus "A new card" with the card element;
    `heading` defaults to "Pay with" in the contact's language."""
    if heading is None:
        heading = _("Pay with")
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
                            rx.cond(
                                card.is_default,
                                badge(pgettext("saved card", "Default"), variant="soft"),
                            ),
                            align="center",
                            spacing="2",
                        )
                    ),
                ),
                rx.el.label(
                    rx.hstack(
                        rx.radio_group.item(value=NEW_CARD),
                        rx.text(_("A new card")),
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
