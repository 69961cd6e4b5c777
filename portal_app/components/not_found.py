"""The one "not found" look of the portal: the 404 page for an unknown address and a detail
page's missing or foreign record (components/documents.py record_page) show the same panel,
with a way back."""

from __future__ import annotations

import reflex as rx


def _button_link(*children, href, element_id: str) -> rx.Component:
    # One element, one Tab stop: the link takes the button's look (a link wrapping a button
    # would be two, and axe names it a nested interactive control).
    # A plain router link (not rx.link, whose link colours would sit on the button's fill).
    from reflex_components_core.react_router.dom import ReactRouterLink

    return rx.button(
        ReactRouterLink.create(*children, to=href, id=element_id), as_child=True, size="3"
    )


def not_found_panel(
    title, message, *, back_label, back_href, element_id: str = "not-found"
) -> rx.Component:
    """An h1 `title`, `message` under it and one button-styled link back to `back_href`."""
    return rx.center(
        rx.vstack(
            rx.icon("file-question", size=48, color=rx.color("gray", 9), aria_hidden="true"),
            rx.heading(title, size="6", as_="h1", align="center"),
            rx.text(message, color_scheme="gray", align="center"),
            _button_link(
                rx.icon("arrow-left", size=16, aria_hidden="true"),
                back_label,
                href=back_href,
                element_id=f"{element_id}-back",
            ),
            align="center",
            spacing="3",
            max_width="32em",
        ),
        padding="3em 1em",
        width="100%",
        id=element_id,
    )
