"""Pieces shared by the list pages (invoices, payments, credits): badges and the pager."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import badge
from portal_app.services.invoices import PAGE_SIZES

PAYMENT_BADGE_COLORS = {
    "Completed": "green",
    "Pending": "amber",
    "Failed": "red",
    "Refunded": "gray",
    "Partly refunded": "blue",
}
CREDIT_BADGE_COLORS = {
    "Available": "green",
    "Partly used": "blue",
    "Used": "gray",
    "Cancelled": "gray",
}


def _badge(label, colors: dict[str, str]) -> rx.Component:
    return rx.match(
        label,
        *[
            (name, badge(name, color_scheme=color, variant="soft", radius="full"))
            for name, color in colors.items()
        ],
        badge(label, variant="soft", radius="full"),
    )


def payment_status_badge(label) -> rx.Component:
    return _badge(label, PAYMENT_BADGE_COLORS)


def credit_status_badge(label) -> rx.Component:
    return _badge(label, CREDIT_BADGE_COLORS)


def range_label(*, rows: int, page: int, page_size: int, total: int, capped: bool, more: bool):
    """'1–25 of 130' for a page of a server-paged list ('' when the page is empty)."""
    if not rows:
        return ""
    first = (page - 1) * page_size + 1
    last = first + rows - 1
    if page == 1 and not more:
        return f"{first}–{last} of {total}"
    known = max(total, last)
    return f"{first}–{last} of {known:,}{'+' if capped else ''}"


def pager(state, noun: str) -> rx.Component:
    """Range, page size and previous/next for a State with the paging vars and events."""
    return rx.flex(
        rx.text(state.range_label, color_scheme="gray", size="2", aria_live="polite"),
        rx.spacer(),
        rx.hstack(
            rx.text("Per page", size="2", color_scheme="gray"),
            rx.select.root(
                # The label must sit on the trigger: it is the element a screen reader reaches.
                rx.select.trigger(aria_label=f"{noun} per page"),
                rx.select.content(
                    *[rx.select.item(str(size), value=str(size)) for size in PAGE_SIZES]
                ),
                value=state.page_size.to_string(),
                on_change=state.set_page_size,
                size="2",
            ),
            rx.button(
                rx.icon("chevron-left", size=16, aria_hidden="true"),
                "Previous",
                on_click=state.previous_page,
                disabled=state.page <= 1,
                variant="soft",
                size="2",
            ),
            rx.text("Page ", state.page, size="2"),
            rx.button(
                "Next",
                rx.icon("chevron-right", size=16, aria_hidden="true"),
                on_click=state.next_page,
                disabled=~state.has_next,
                variant="soft",
                size="2",
            ),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        width="100%",
        align="center",
        gap="3",
        wrap="wrap",
    )


def paged_rows(state, table: rx.Component, noun: str, empty: rx.Component) -> rx.Component:
    """A spinner while `state` loads; then `table` with the pager, or `empty` without rows."""
    return rx.cond(
        state.loading,
        rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
        rx.cond(
            state.rows.length() > 0,
            rx.vstack(table, pager(state, noun), width="100%", spacing="3"),
            empty,
        ),
    )


def summary_row(label, value, strong: bool = False) -> rx.Component:
    """One label/amount line of a totals box."""
    return rx.hstack(
        rx.text(label, color_scheme=None if strong else "gray", weight="bold" if strong else None),
        rx.spacer(),
        rx.text(value, weight="bold" if strong else "regular"),
        width="100%",
    )
