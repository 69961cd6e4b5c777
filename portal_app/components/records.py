"""Pieces shared by the list pages (invoices, quotes, payments, credits, documents): badges,
the pager, the filter/search/sort toolbar and row selection."""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import colored_badge, download_button
from portal_app.services.billing.invoices import PAGE_SIZES

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


def payment_status_badge(label) -> rx.Component:
    return colored_badge(label, PAYMENT_BADGE_COLORS)


def credit_status_badge(label) -> rx.Component:
    return colored_badge(label, CREDIT_BADGE_COLORS)


def phone_label(text) -> rx.Component:
    """What a table cell holds, shown before its value only when the shell stacks the table
    into cards on a phone (layout/sidebar.main_area), where the column headings are hidden."""
    return rx.el.span(text, ": ", class_name="phone-label", style={"color": rx.color("gray", 11)})


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
            spacing="2",
            align="center",
        ),
        # Previous, the page and Next stay on one line (a phone wraps the groups, not them).
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=16, aria_hidden="true"),
                "Previous",
                on_click=state.previous_page,
                disabled=state.page <= 1,
                variant="soft",
                size="2",
            ),
            rx.text("Page ", state.page, size="2", white_space="nowrap"),
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


def list_toolbar(
    state,
    *,
    filters: dict[str, str],
    filter_label: str,
    sorts: dict[str, str],
    search_label: str,
    max_search: int,
) -> rx.Component:
    """Status filter, number search and sort with its direction, for a State with the vars and
    handlers of state.paged_list.SortedSearchMixin (and its own `set_status`)."""
    return rx.flex(
        rx.segmented_control.root(
            *[rx.segmented_control.item(label, value=key) for key, label in filters.items()],
            value=state.status,
            on_change=state.set_status,
            aria_label=filter_label,
            # A phone gives the filter the whole line, never more.
            width=["100%", "auto"],
            max_width="100%",
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16, aria_hidden="true")),
                    name="search",
                    placeholder="Search by number",
                    default_value=state.search,
                    aria_label=search_label,
                    max_length=max_search,
                    type="search",
                    flex="1",
                    min_width="0",
                ),
                rx.button("Search", type="submit", variant="soft"),
                spacing="2",
                width="100%",
            ),
            on_submit=state.apply_search,
            reset_on_submit=False,
            width=["100%", "auto"],
        ),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label="Sort by"),
                rx.select.content(
                    *[rx.select.item(label, value=key) for key, label in sorts.items()]
                ),
                value=state.sort,
                on_change=state.set_sort,
            ),
            rx.icon_button(
                rx.cond(
                    state.descending,
                    rx.icon("arrow-down-wide-narrow", size=18),
                    rx.icon("arrow-up-narrow-wide", size=18),
                ),
                on_click=state.toggle_direction,
                variant="soft",
                aria_label=rx.cond(
                    state.descending,
                    "Sorted newest or largest first",
                    "Sorted oldest or smallest first",
                ),
            ),
            spacing="2",
        ),
        gap="3",
        wrap="wrap",
        align="center",
        width="100%",
    )


def select_cell(state, row_id, label) -> rx.Component:
    """The table cell with the checkbox that selects a row (state.paged_list.RowSelectionMixin)."""
    return rx.table.cell(
        rx.checkbox(
            checked=state.selected_ids.contains(row_id),
            on_change=lambda _checked: state.toggle_selected(row_id),
            aria_label=label,
        )
    )


def selection_callout(state, action: rx.Component) -> rx.Component:
    """While rows are selected: how many, a ZIP of their PDFs (`state.zip_href`), the page's
    own `action` and Clear."""
    return rx.cond(
        state.selected_ids.length() > 0,
        rx.callout.root(
            rx.flex(
                rx.text(state.selected_ids.length(), " selected"),
                download_button("Download PDFs (ZIP)", state.zip_href, "download-zip"),
                action,
                rx.button("Clear", on_click=state.clear_selection, variant="ghost", size="2"),
                gap="3",
                align="center",
                wrap="wrap",
            ),
            width="100%",
        ),
    )
