"""The card of the client and staff sign-out pages: asks, and signs out only from its button
(opening a sign-out URL changes nothing; see pages/client/logout.py, pages/staff/logout.py)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import link_button
from portal_app.state.translate import _


def sign_out_card(
    *,
    heading,
    question,
    checked,
    signed_in,
    on_sign_out,
    back_label,
    back_href: str,
    not_signed_in,
    login_href: str,
) -> rx.Component:
    """A spinner until the session check ran; then the question with "Sign out" and a way
    back, or "not signed in" with a link to the sign-in page (texts given translated; its own
    buttons in the page's language, state/translate.py)."""
    return rx.card(
        rx.vstack(
            rx.heading(heading, size="6", as_="h1"),
            rx.cond(
                checked,
                rx.cond(
                    signed_in,
                    rx.vstack(
                        rx.text(question),
                        rx.hstack(
                            rx.button(
                                rx.icon("log-out", size=16, aria_hidden="true"),
                                _("Sign out"),
                                on_click=on_sign_out,
                                id="confirm-sign-out",
                            ),
                            link_button(back_label, href=back_href, variant="soft"),
                            spacing="3",
                        ),
                        spacing="3",
                    ),
                    rx.vstack(
                        rx.text(not_signed_in),
                        link_button(_("Sign in"), href=login_href),
                        spacing="3",
                    ),
                ),
                rx.center(rx.spinner(), role="status"),
            ),
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
    )
