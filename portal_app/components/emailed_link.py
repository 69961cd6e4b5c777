"""The card of the emailed-link pages (state.emailed_link.EmailedLinkMixin)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import link_button
from portal_app.core import routes
from portal_app.state.signin_binding import COOKIES_NEEDED


def _invalid(noun: str) -> rx.Component:
    return rx.vstack(
        rx.icon("link-2-off", size=32, aria_hidden="true"),
        rx.heading("This link is not valid", size="5", as_="h1"),
        rx.text(
            "It may have expired or been replaced by a newer one. Sign in to see your "
            f"{noun}s, or ask for a new link.",
            color_scheme="gray",
        ),
        link_button("Sign in", href=routes.CLIENT_LOGIN),
        spacing="3",
        align="center",
        role="alert",
    )


def _other_account(state, noun: str) -> rx.Component:
    """Signed in here as another account: open the link only when asked to."""
    return rx.vstack(
        rx.icon("users", size=32, aria_hidden="true"),
        rx.heading(f"This {noun} belongs to another account", size="5", as_="h1"),
        rx.text(
            "You are signed in as ",
            rx.text.strong(state.other_account_name),
            f". Opening this {noun} signs you out of that account on this browser first.",
        ),
        rx.hstack(
            rx.button(
                f"Sign out and open the {noun}",
                on_click=state.switch_account,
                loading=state.switching,
                id="link-switch-account",
            ),
            link_button(
                "Stay signed in",
                href=routes.CLIENT_DASHBOARD,
                link_props={"id": "link-keep-session"},
                variant="soft",
            ),
            spacing="3",
            wrap="wrap",
            justify="center",
        ),
        rx.cond(
            state.cookies_needed,
            callout(COOKIES_NEEDED, icon="triangle-alert", color_scheme="red", role="alert"),
        ),
        spacing="3",
        align="center",
        id="link-other-account",
    )


def link_card(state, noun: str) -> rx.Component:
    """While the link opens, a spinner; when it is refused, why and the way to sign in; when
    this browser is signed in as another account, the question whether to switch."""
    return rx.card(
        rx.cond(
            state.invalid,
            _invalid(noun),
            rx.cond(
                state.other_account,
                _other_account(state, noun),
                rx.cond(
                    state.cookies_needed,
                    callout(
                        COOKIES_NEEDED, icon="triangle-alert", color_scheme="red", role="alert"
                    ),
                    rx.hstack(rx.spinner(), rx.text(f"Opening your {noun}…"), role="status"),
                ),
            ),
        ),
        size="3",
    )
