"""The card of the emailed-link pages (state.emailed_link.EmailedLinkMixin)."""

from __future__ import annotations

import reflex as rx

from portal_app import routes


def link_card(state, noun: str) -> rx.Component:
    """While the link opens, a spinner; when it is refused, why and the way to sign in."""
    return rx.card(
        rx.cond(
            state.invalid,
            rx.vstack(
                rx.icon("link-2-off", size=32, aria_hidden="true"),
                rx.heading("This link is not valid", size="5", as_="h1"),
                rx.text(
                    "It may have expired or been replaced by a newer one. Sign in to see your "
                    f"{noun}s, or ask for a new link.",
                    color_scheme="gray",
                ),
                rx.link(rx.button("Sign in"), href=routes.CLIENT_LOGIN),
                spacing="3",
                align="center",
                role="alert",
            ),
            rx.hstack(rx.spinner(), rx.text(f"Opening your {noun}…"), role="status"),
        ),
        size="3",
    )
