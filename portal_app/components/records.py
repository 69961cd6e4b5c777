"""Pieces shared by the list pages (invoices, quotes, payments, credits, documents): the
pager, the filter/search/sort toolbar, row selection, and plain table cells for rows that
render often."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink
from reflex_components_radix.themes.components.checkbox import Checkbox

from portal_app.components.common import download_button, native_select, plain_text
from portal_app.services.billing.invoices import PAGE_SIZES
from portal_app.state.api_link import api_url
from portal_app.state.translate import _, fill

# Plain <td>s for a list's rows (`row_cell`): Radix Themes' table cells are components that
# sort their props on every render, and a style prop per cell is a style sheet rule worked
# out per cell and render. A plain cell with Radix's class names looks the same; what a style
# prop did (columns hidden on narrow screens, amounts at the end) the table's root says once
# for all its cells with these classes (ROW_CELL_STYLE, given to the table root).
ROW_CLASS = "rt-TableRow"
CELL_CLASS = "rt-TableCell"
ROW_HEADER_CLASS = "rt-TableCell rt-TableRowHeaderCell"
# Column visibility by width, Reflex's breakpoints (sm 30em, md 48em): the same as the
# responsive `display=["none", "table-cell"]` and `["none", "none", "table-cell"]`.
FROM_SM = "col-from-sm"
FROM_MD = "col-from-md"
AT_END = "col-end"
NO_WRAP = "col-nowrap"
# A row's link and status badge (`row_link`, `row_badge`): React Router's link and a <span>
# with the classes Radix Themes' Link and Badge put on theirs, and a native checkbox
# (`quick_select_cell`); a Radix Link, Badge or Checkbox is 3 to 12 components per row.
ROW_LINK_CLASS = "rt-Text rt-reset rt-Link rt-underline-auto"
ROW_BADGE_CLASS = "rt-reset rt-Badge rt-r-size-1 rt-variant-soft"
ROW_CHECK_CLASS = "row-check"
ROW_CELL_STYLE = {
    f"& .{FROM_SM}, & .{FROM_MD}": {"display": "none"},
    "@media screen and (min-width: 30em)": {f"& .{FROM_SM}": {"display": "table-cell"}},
    "@media screen and (min-width: 48em)": {f"& .{FROM_MD}": {"display": "table-cell"}},
    f"& .{AT_END}": {"text_align": "end"},
    f"& .{NO_WRAP}": {"white_space": "nowrap"},
    "& .phone-label": {"color": "var(--gray-11)"},
    # What Reflex's link adds to Radix's (a hover colour), once for the table.
    "& .rt-Link:hover": {"color": "var(--accent-8)"},
    # Radix's checkbox size 2 (16 px), in the theme's (the company's) accent colour.
    f"& .{ROW_CHECK_CLASS}": {
        "width": "var(--space-4)",
        "height": "var(--space-4)",
        "margin": "0",
        "vertical_align": "middle",
        "accent_color": "var(--accent-9)",
        "cursor": "pointer",
    },
}


def phone_label(text) -> rx.Component:
    """What a table cell holds, shown before its value only when the shell stacks the table
    into cards on a phone (layout/sidebar.main_area), where the column headings are hidden."""
    return rx.el.span(text, ": ", class_name="phone-label", style={"color": rx.color("gray", 11)})


def row_cell(*children, columns: str = "", phone: bool = False, **props) -> rx.Component:
    """A plain table cell for a list's row (see ROW_CELL_STYLE): `columns` its classes
    (FROM_SM, FROM_MD, AT_END), `phone` to keep it on a phone's stacked card
    (layout/sidebar.main_area) while its column is hidden."""
    if phone:
        props["data_phone"] = "show"
    return rx.el.td(*children, class_name=f"{CELL_CLASS} {columns}".strip(), **props)


def row_link(text, href, weight: str = "medium") -> rx.Component:
    """A link in a table's row, drawn as Radix's link of `weight` ("medium" in a list's rows,
    "regular" as `rx.link`; see ROW_LINK_CLASS): the router's link alone, navigating inside
    the app like `rx.link`."""
    return ReactRouterLink.create(
        text, to=href, class_name=f"{ROW_LINK_CLASS} rt-r-weight-{weight}"
    )


def row_badge(label, color, quiet: bool = False) -> rx.Component:
    """A status badge in a table's row, drawn as Radix's soft, round, high-contrast badge (see
    ROW_BADGE_CLASS) in `color` (a Radix colour name; "" for the theme's accent); `quiet` as
    `rx.badge`'s default instead (normal contrast, the theme's radius), for a note beside a
    value."""
    if quiet:
        return rx.el.span(label, class_name=ROW_BADGE_CLASS, data_accent_color=color)
    return rx.el.span(
        label,
        class_name=f"{ROW_BADGE_CLASS} rt-high-contrast",
        data_accent_color=color,
        data_radius="full",
    )


def row_status_badge(label, key, colors: dict[str, str]) -> rx.Component:
    """`row_badge` coloured by the status `key` through `colors` (as common.keyed_badge)."""
    return row_badge(label, rx.match(key, *colors.items(), ""))


def row_phone_label(text) -> rx.Component:
    """`phone_label` for a `row_cell`: its colour comes from ROW_CELL_STYLE, not a style of
    its own per row."""
    return rx.el.span(text, ": ", class_name="phone-label")


def plain_table(
    columns: list[tuple], body: rx.Component, variant: str = "surface", **props
) -> rx.Component:
    """A list's table as plain elements with Radix Themes' table and scroll-area classes (what
    `rx.table.root` renders, without its ScrollArea components, which measure and render
    again after mounting): `columns` are (heading, column classes, width or ""), `body` the
    rows (`row_cell`s), styled once by ROW_CELL_STYLE; `props` (an id) go on its root."""
    headings = [
        rx.el.th(
            heading,
            scope="col",
            class_name=f"rt-TableCell rt-TableColumnHeaderCell {classes}".strip(),
            **({"style": {"width": width}} if width else {}),
        )
        for heading, classes, width in columns
    ]
    table = rx.el.table(
        rx.el.thead(rx.el.tr(*headings, class_name=ROW_CLASS), class_name="rt-TableHeader"),
        rx.el.tbody(body, class_name="rt-TableBody"),
        class_name="rt-TableRootTable",
    )
    return rx.el.div(
        rx.el.div(
            rx.el.div(
                # Radix's viewport lays its one child out as a block at least as wide.
                rx.el.div(table, style={"min_width": "100%"}),
                class_name="rt-ScrollAreaViewport",
                style={"overflow_x": "auto", "overflow_y": "hidden"},
            ),
            class_name="rt-ScrollAreaRoot",
            style={"position": "relative"},
        ),
        class_name=f"rt-TableRoot rt-r-size-2 rt-variant-{variant}",
        style={"width": "100%", **ROW_CELL_STYLE},
        **props,
    )


def pager(state, noun: str) -> rx.Component:
    """Range, page size and previous/next for a State with the paging vars and events."""
    return rx.flex(
        rx.text(state.range_label, color_scheme="gray", size="2", aria_live="polite"),
        rx.spacer(),
        rx.hstack(
            rx.text(_("Per page"), size="2", color_scheme="gray"),
            # Native (common.native_select): no Radix Select in the list's first render.
            native_select(
                [(str(size), str(size)) for size in PAGE_SIZES],
                state.page_size.to_string(),
                state.set_page_size,
                aria_label=fill(_("%(items)s per page"), items=noun),
            ),
            spacing="2",
            align="center",
        ),
        # Previous, the page and Next stay on one line (a phone wraps the groups, not them).
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=16, aria_hidden="true"),
                _("Previous"),
                on_click=state.previous_page,
                disabled=state.page <= 1,
                variant="soft",
                size="2",
            ),
            rx.text(
                fill(_("Page %(page)s"), page=state.page.to_string()),
                size="2",
                white_space="nowrap",
            ),
            rx.button(
                _("Next"),
                rx.icon("chevron-right", size=16, aria_hidden="true"),
                on_click=state.next_page,
                disabled=~state.has_next,
                variant="soft",
                size="2",
            ),
            # A list whose service finds its last page (state.paged_list HAS_LAST_PAGE).
            *(
                [
                    rx.icon_button(
                        rx.icon("chevrons-right", size=16, aria_hidden="true"),
                        on_click=state.last_page,
                        disabled=~state.has_next,
                        variant="soft",
                        size="2",
                        aria_label=_("Last page"),
                        title=_("Last page"),
                    )
                ]
                if getattr(state, "HAS_LAST_PAGE", False)
                else []
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


# A totals line (`summary_row`) with the classes `rx.hstack(..., width="100%")` puts on its
# Radix Flex (row, items at the start, gap 3), the width by stretching in the column it sits
# in: a plain element, without a component and an emotion rule of its own per line.
SUMMARY_ROW_CLASS = (
    "rt-Flex rx-Stack rt-r-fd-row rt-r-ai-start rt-r-gap-3 rt-r-jc-space-between rt-r-as-stretch"
)


def summary_row(label, value, strong: bool = False) -> rx.Component:
    """One label/amount line of a totals box."""
    return rx.el.div(
        plain_text(label, color=None if strong else "gray", weight="bold" if strong else ""),
        plain_text(value, weight="bold" if strong else "regular"),
        class_name=SUMMARY_ROW_CLASS,
    )


# A segmented control (`radio_segments`) as Radix Themes' SegmentedControl draws it (size 2,
# surface), from plain elements: each segment a <label> holding a native radio.
SEGMENTS_STYLE = {
    # A phone gives the filter the whole line, never more.
    "width": "100%",
    "max_width": "100%",
    "@media screen and (min-width: 30em)": {"width": "auto"},
    "& .rt-SegmentedControlItem": {"position": "relative", "cursor": "pointer"},
    # The radio covers its segment, unseen, above the texts (the inactive one is positioned
    # too): it takes the clicks and the keyboard focus.
    "& .rt-SegmentedControlItem input": {
        "position": "absolute",
        "z_index": "1",
        "inset": "0",
        "width": "100%",
        "height": "100%",
        "margin": "0",
        "opacity": "0",
        "cursor": "pointer",
    },
    # Radix's focus ring, which it draws on the focused segment (here: its radio's label).
    "& .rt-SegmentedControlItem:has(input:focus-visible)": {
        "border_radius": "inherit",
        "outline": "2px solid var(--focus-8)",
        "outline_offset": "-1px",
    },
}


def radio_segments(options: dict, value, on_change, label, name: str) -> rx.Component:
    """A segmented control of `options` (key -> text) showing `value`, `on_change` given the
    chosen key; `label` names the group, `name` the radios (one per page).

    Radix's SegmentedControl is a toggle group (a dozen components, roving focus, an effect per
    segment) in every list's first render; this is a radio group of native radios inside
    labels with Radix's classes, so it looks the same and is one element per piece. Keyboard:
    Tab reaches the chosen segment, the arrow keys choose another (a native radio group);
    screen readers hear a labelled radio group, as before."""
    segments = [
        rx.el.label(
            rx.el.input(
                type="radio",
                name=name,
                value=key,
                checked=value == key,
                on_change=on_change,
            ),
            rx.el.span(class_name="rt-SegmentedControlItemSeparator"),
            rx.el.span(
                rx.el.span(text, class_name="rt-SegmentedControlItemLabelActive"),
                rx.el.span(
                    text, class_name="rt-SegmentedControlItemLabelInactive", aria_hidden="true"
                ),
                class_name="rt-SegmentedControlItemLabel",
            ),
            class_name="rt-reset rt-SegmentedControlItem",
            data_state=rx.cond(value == key, "on", "off"),
        )
        for key, text in options.items()
    ]
    return rx.el.div(
        *segments,
        rx.el.div(class_name="rt-SegmentedControlIndicator"),
        role="radiogroup",
        aria_label=label,
        class_name="rt-SegmentedControlRoot rt-r-size-2 rt-variant-surface",
        style=SEGMENTS_STYLE,
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
        radio_segments(filters, state.status, state.set_status, filter_label, "list-status"),
        rx.form(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16, aria_hidden="true")),
                    name="search",
                    placeholder=_("Search by number"),
                    default_value=state.search,
                    # A new search from the URL (back, a bookmark) mounts the field afresh:
                    # a default value alone is read once.
                    key=state.search,
                    aria_label=search_label,
                    max_length=max_search,
                    type="search",
                    flex="1",
                    min_width="0",
                ),
                rx.button(_("Search"), type="submit", variant="soft"),
                spacing="2",
                width="100%",
            ),
            on_submit=state.apply_search,
            reset_on_submit=False,
            width=["100%", "auto"],
        ),
        rx.hstack(
            native_select(list(sorts.items()), state.sort, state.set_sort, aria_label=_("Sort by")),
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
                    _("Sorted newest or largest first"),
                    _("Sorted oldest or smallest first"),
                ),
            ),
            spacing="2",
        ),
        gap="3",
        wrap="wrap",
        align="center",
        width="100%",
    )


def is_selected(state, row_id) -> rx.Var:
    """Whether `row_id` is among `state.selected_ids` (state.paged_list.RowSelectionMixin)."""
    return state.selected_ids.contains(row_id)


def select_cell(state, row_id, label, checked=None) -> rx.Component:
    """The table cell with the checkbox that selects a row (state.paged_list.RowSelectionMixin).

    `checked` defaults to the row's id being in `state.selected_ids`; a row component that
    must not depend on the whole selection (a memo) is given it as a prop. A plain cell and
    Radix's bare checkbox: a row renders no label or flex around it."""
    if checked is None:
        checked = is_selected(state, row_id)
    return rx.el.td(
        Checkbox.create(
            checked=checked,
            on_change=lambda _checked: state.toggle_selected(row_id),
            aria_label=label,
            size="2",
        ),
        class_name=CELL_CLASS,
    )


def quick_select_cell(state, row_id, label, checked, epoch) -> rx.Component:
    """`select_cell` for a memo row whose box ticks at once, before the server answers.

    A native checkbox (one element; Radix's is a dozen components per row, with effects that
    render each row again after it mounts) that keeps its own state (uncontrolled), starting
    from the server's `checked`, and tells the server. Its key names the row and `epoch` (the
    state's `selection_epoch`), so it starts again from the server's selection when that
    changed otherwise than by this box (Clear, a new visit, a tick refused past the ZIP
    limit), and is not mounted anew when the server confirms a tick (the keyboard focus
    stays on it). Both are props of the memo row, which reads no state of its own."""
    return rx.el.td(
        rx.el.input(
            type="checkbox",
            default_checked=checked,
            key=row_id.to_string() + "-" + epoch.to_string(),
            on_change=lambda _value: state.toggle_selected(row_id),
            aria_label=label,
            class_name=ROW_CHECK_CLASS,
        ),
        class_name=CELL_CLASS,
    )


def _selection_callout(state, action: rx.Component) -> rx.Component:
    # How many are ticked, a ZIP of their PDFs, the page's own action and Clear.
    return rx.callout.root(
        rx.flex(
            # A count without a plural noun: one sentence in every language.
            rx.text(fill(_("Selected: %(count)s"), count=state.selected_ids.length().to_string())),
            download_button(_("Download PDFs (ZIP)"), api_url(state.zip_path), "download-zip"),
            action,
            rx.button(_("Clear"), on_click=state.clear_selection, variant="ghost", size="2"),
            gap="3",
            align="center",
            wrap="wrap",
        ),
        width="100%",
    )


def selection_callout(state, action: rx.Component) -> rx.Component:
    """While rows are selected: how many, a ZIP of their PDFs (`state.zip_path` on the
    backend's address), the page's own `action` and Clear."""
    return rx.cond(state.selected_ids.length() > 0, _selection_callout(state, action))


# The selection bar (`selection_bar`) at the foot of a list, held at the window's bottom edge
# over the rows while the list is longer than the window, on the page's background.
SELECTION_BAR_STYLE = {
    "position": "sticky",
    "bottom": "0",
    "z_index": "1",
    "width": "100%",
    "padding_block": "var(--space-2)",
    "background_color": "var(--color-background)",
}


def selection_bar(state, action: rx.Component) -> rx.Component:
    """`selection_callout` for a list whose boxes tick at once (`quick_select_cell`): placed
    after the list and mounted with it, hidden while nothing is ticked.

    The first tick then mounts nothing (a Radix callout, its buttons and icons were rendered,
    styled and laid out in the frame of the click when the server's answer came before it)
    and moves nothing: a callout above the table pushed the rows down by its height, the box
    just ticked away from under the pointer, and the page was laid out and painted anew."""
    return rx.el.div(
        _selection_callout(state, action),
        hidden=state.selected_ids.length() == 0,
        id="selection-bar",
        style=SELECTION_BAR_STYLE,
    )
