"""The sidebar, phone menu and account block shared by the client portal and the staff console.

Each shell passes what differs (its nav items and which are visible, its brand, who is signed
in and how to sign out); the layout, current-page marking and drawer live here once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink

from portal_app.core.i18n import language_choices
from portal_app.state.ui_language import UiLanguageState

SIDEBAR_WIDTH = "15em"


class SidebarItem(Protocol):
    route: str
    label: str
    icon: str


def _as_is(text: str) -> Any:
    return text


# A navigation entry is the router's link alone, styled once for the whole <nav> by
# NAV_STYLE: a Radix link around a stack and a text was ~8 components and an emotion rule per
# entry, and the portal's 13 entries were a large part of every page's first render. It looks
# as before: Radix's text size 3, medium weight, the current page on an accent tint with a bar
# at its inline start (data-current, which the browser tests read).
NAV_LINK_CLASS = "portal-nav-link"
NAV_STYLE = {
    "width": "100%",
    "display": "flex",
    "flex_direction": "column",
    "gap": "var(--space-1)",
    f"& .{NAV_LINK_CLASS}": {
        "display": "flex",
        "align_items": "center",
        "gap": "var(--space-3)",
        "width": "100%",
        "box_sizing": "border-box",
        "padding": "0.55em 0.75em",
        "border_radius": "var(--radius-3)",
        "border_inline_start": "3px solid transparent",
        "background": "transparent",
        "color": "var(--gray-12)",
        "text_decoration": "none",
        "font_family": "var(--default-font-family)",
        "font_size": "var(--font-size-3)",
        "line_height": "var(--line-height-3)",
        "letter_spacing": "var(--letter-spacing-3)",
        "font_weight": "var(--font-weight-medium)",
    },
    f"& .{NAV_LINK_CLASS}:hover": {"background": "var(--accent-3)"},
    f"& .{NAV_LINK_CLASS}:focus-visible": {
        "outline": "2px solid var(--focus-8)",
        "outline_offset": "2px",
    },
    # The current page's bar: the company colour in the portal (--portal-mark, set by its
    # shell with enough contrast), the theme's accent elsewhere.
    f"& .{NAV_LINK_CLASS}[data-current='true']": {
        "background": "var(--accent-4)",
        "color": "var(--accent-11)",
        "border_inline_start_color": "var(--portal-mark, var(--accent-11))",
    },
    f"& .{NAV_LINK_CLASS} > svg": {"flex_shrink": "0"},
    f"& .{NAV_LINK_CLASS} > .nav-count": {"margin_inline_start": "auto"},
}


def nav(
    items: Sequence[SidebarItem],
    visible_routes: rx.Var,
    *,
    label: Any,
    translate: Callable[[str], Any] = _as_is,
    counts: rx.Var | None = None,
) -> rx.Component:
    """A labelled <nav> of the items whose route is in `visible_routes`, the current one marked;
    `translate` turns an item's label (an English msgid) into what is shown; `counts` (route ->
    number) adds a badge to the entries it names."""
    return rx.el.nav(
        *[_nav_link(item, visible_routes, translate, counts) for item in items],
        aria_label=label,
        style=NAV_STYLE,
    )


def _badge(item: SidebarItem, counts: rx.Var | None) -> list[rx.Component]:
    if counts is None or not getattr(item, "queue", ()):
        return []
    number = counts[item.route].to(int)  # type: ignore[index]
    return [
        rx.cond(
            counts.contains(item.route),  # type: ignore[attr-defined]
            rx.badge(
                number,
                variant="solid",
                radius="full",
                data_testid="nav-count",
                class_name="nav-count",
            ),
        ),
    ]


def _nav_link(
    item: SidebarItem,
    visible_routes: rx.Var,
    translate: Callable[[str], Any],
    counts: rx.Var | None = None,
) -> rx.Component:
    path = rx.State.router.url.path  # type: ignore[attr-defined]
    is_current = (
        (path == item.route) if getattr(item, "exact", False) else path.startswith(item.route)
    )
    link = ReactRouterLink.create(
        rx.icon(item.icon, size=18, aria_hidden="true"),
        rx.el.span(translate(item.label)),
        *_badge(item, counts),
        to=item.route,
        class_name=NAV_LINK_CLASS,
        data_current=rx.cond(is_current, "true", "false"),
        aria_current=rx.cond(is_current, "page", "false"),
    )
    return rx.cond(visible_routes.contains(item.route), link)


def skip_link(label: Any = "Skip to main content") -> rx.Component:
    """The page's first Tab stop: hidden until focused, it jumps past the navigation to the
    shell's <main id="main"> (WCAG 2.4.1)."""
    return rx.el.a(
        label,
        href="#main",
        # The router would take "#main" for a navigation (and reload the page's data) and
        # leave the focus where it was: focus <main> instead, so the next Tab is inside it.
        on_click=[rx.prevent_default, rx.set_focus("main")],
        id="skip-link",
        style={
            "position": "absolute",
            "inset_inline_start": "-10000px",
            "top": "0.5em",
            "z_index": "100",
            "padding": "0.6em 1em",
            "border_radius": "var(--radius-3)",
            "background": rx.color("gray", 1),
            "color": rx.color("gray", 12),
            "font_weight": "600",
            "box_shadow": "var(--shadow-4)",
            "&:focus": {"inset_inline_start": "0.5em"},
        },
    )


# Below Radix's first breakpoint (xs, 520px): a phone held upright.
PHONE = "@media (max-width: 519.98px)"
_CELLS = "& .rt-TableRoot tbody tr > :is(td, th)"
# On a phone every table's row is a small card: its cells flow side by side and wrap onto
# more lines instead of pushing the last columns (amounts, Apply, Refund) off the screen. The
# header row stays in the page for screen readers, out of sight; a cell with
# data-phone="show" is shown there even when its column is hidden on narrow screens, a
# components.records.phone_label inside it says what it is.
_STACKED_TABLES = {
    "& .phone-label": {"display": "none"},
    PHONE: {
        # Radix gives the <table> no height of its own (a table grows to its rows, a block
        # does not): as a block it takes its rows' height.
        "& .rt-TableRoot :is(table, tbody)": {
            "display": "block",
            "width": "100%",
            "height": "auto",
            "overflow": "visible",
        },
        "& .rt-TableRoot thead": {
            # A block, so that the clipping applies (a table row group ignores overflow).
            "display": "block",
            "position": "absolute",
            "width": "1px",
            "height": "1px",
            "overflow": "hidden",
            "clip": "rect(0, 0, 0, 0)",
            "white_space": "nowrap",
        },
        "& .rt-TableRoot tbody tr": {
            "display": "flex",
            "flex_wrap": "wrap",
            "align_items": "center",
            "gap": "0.3em 0.9em",
            "padding": "0.65em 0.8em",
        },
        "& .rt-TableRoot tbody tr + tr": {"border_top": "1px solid var(--gray-a5)"},
        _CELLS: {
            "flex": "0 0 auto",
            "max_width": "100%",
            "padding": "0",
            "box_shadow": "none",
            "text_align": "start",
            "overflow_wrap": "break-word",
        },
        f"{_CELLS}[data-phone='show']": {"display": "block !important"},
        "& .phone-label": {"display": "inline"},
    },
}


# The page's native form controls (components/common.native_select, the statement's
# checkboxes), styled once here for every page: Radix's size 2 select trigger and checkbox.
_NATIVE_CONTROLS = {
    "& .portal-select": {
        "height": "var(--space-6)",
        "max_width": "100%",
        "padding": "0 var(--space-2)",
        "border_radius": "var(--radius-2)",
        "border": "none",
        "box_shadow": "inset 0 0 0 1px var(--gray-a7)",
        "background": "var(--color-surface)",
        "color": "var(--gray-12)",
        "font_family": "var(--default-font-family)",
        "font_size": "var(--font-size-2)",
        "cursor": "pointer",
    },
    "& .portal-select:focus-visible": {
        "outline": "2px solid var(--focus-8)",
        "outline_offset": "-1px",
    },
    "& .portal-check": {
        "display": "flex",
        "align_items": "center",
        "gap": "var(--space-2)",
        "cursor": "pointer",
    },
    "& .portal-check input": {
        "width": "var(--space-4)",
        "height": "var(--space-4)",
        "margin": "0",
        "accent_color": "var(--accent-9)",
        "cursor": "pointer",
    },
}


def main_area(content: rx.Component, *, max_width: str) -> rx.Component:
    """The shell's <main id="main">, the skip link's target (focusable by script only, so the
    next Tab continues inside the page's content); its tables stack into cards on a phone."""
    return rx.el.main(
        content,
        style={
            "padding": "1.5em clamp(1em, 3vw, 2.5em)",
            "max_width": max_width,
            "&:focus": {"outline": "none"},
            **_STACKED_TABLES,
            **_NATIVE_CONTROLS,
        },
        id="main",
        tab_index=-1,
    )


def account_block(
    name: rx.Var,
    detail: rx.Var,
    *,
    on_sign_out,
    sign_out_label: Any = "Sign out",
    theme_label: Any = "Switch light or dark",
    extra: rx.Component | None = None,
) -> rx.Component:
    """Who is signed in, a sign-out button and the light/dark switch (labels given by the
    shell, already translated), and `extra` below them (the portal's language switcher)."""
    return rx.vstack(
        rx.separator(),
        rx.text(name, weight="medium", size="2"),
        rx.text(detail, color_scheme="gray", size="2"),
        rx.hstack(
            rx.button(
                rx.icon("log-out", size=16, aria_hidden="true"),
                sign_out_label,
                on_click=on_sign_out,
                variant="soft",
                size="2",
            ),
            rx.color_mode.button(size="2", variant="ghost", aria_label=theme_label),
            spacing="2",
            align="center",
        ),
        *([extra] if extra is not None else []),
        spacing="2",
        width="100%",
    )


def language_switcher(id_: str, *, label: Any, value: rx.Var, on_change) -> rx.Component:
    """The shell's language select (`value` the shell's language var, `on_change` its event).

    Each language is named in itself, so a person who landed in the wrong one finds theirs;
    a shell places it twice (sidebar and phone drawer), hence the id per place."""
    return rx.el.label(
        rx.text(label, size="1", color_scheme="gray"),
        rx.el.select(
            *[
                rx.el.option(name, value=code, lang=code.replace("_", "-"))
                for code, name in language_choices()
            ],
            value=value,
            on_change=on_change,
            id=id_,
            class_name="portal-language",
            style={
                "width": "100%",
                "padding": "0.3em 0.4em",
                "border_radius": "var(--radius-2)",
                "border": f"1px solid {rx.color('gray', 7)}",
                "background": rx.color("gray", 1),
                "color": rx.color("gray", 12),
            },
        ),
        style={"display": "flex", "flex_direction": "column", "gap": "0.25em", "width": "100%"},
    )


def sidebar(brand: rx.Component, nav_block: rx.Component, account: rx.Component) -> rx.Component:
    """The wide-screen sidebar: brand, navigation, and the account block at the bottom."""
    return rx.box(
        rx.vstack(
            brand,
            nav_block,
            rx.spacer(),
            account,
            # At least the window's height (the account block at the bottom); taller on a
            # short window, where the sidebar scrolls inside its own background.
            min_height="100%",
            spacing="5",
            padding="1.25em",
        ),
        width=SIDEBAR_WIDTH,
        height="100vh",
        overflow_y="auto",
        position="sticky",
        top="0",
        # The inline end: the right edge, the left one when the page is right to left.
        border_inline_end=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
        display=["none", "none", "block"],
        flex_shrink="0",
        id="sidebar",
    )


def mobile_bar(
    brand: Callable[[], rx.Component],
    nav_block: rx.Component,
    account: rx.Component,
    *,
    drawer_style: dict | None = None,
    open_label: Any = "Open menu",
    close_label: Any = "Close menu",
) -> rx.Component:
    """The phone header: brand and a menu button opening a drawer with the navigation.

    `brand` is called twice (header and drawer): a component can be placed only once. The
    menu buttons' names come from the shell, already translated. The drawer slides in from the
    inline-start side: the right on a right-to-left page.
    """
    rtl = UiLanguageState.text_dir == "rtl"
    return rx.hstack(
        brand(),
        rx.spacer(),
        rx.drawer.root(
            rx.drawer.trigger(
                rx.icon_button(rx.icon("menu"), variant="ghost", size="3", aria_label=open_label)
            ),
            rx.drawer.overlay(z_index="5"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        rx.hstack(
                            brand(),
                            rx.spacer(),
                            rx.drawer.close(
                                rx.icon_button(
                                    rx.icon("x"), variant="ghost", aria_label=close_label
                                )
                            ),
                            width="100%",
                        ),
                        nav_block,
                        account,
                        spacing="5",
                        padding="1.25em",
                        width="100%",
                    ),
                    top="auto",
                    # Anchored at the inline start: the left, or the right in Arabic.
                    left=rx.cond(rtl, "auto", "0"),
                    right=rx.cond(rtl, "0", "auto"),
                    height="100%",
                    width="18em",
                    background_color=rx.color("gray", 1),
                    style=drawer_style or {},
                )
            ),
            direction=rx.cond(rtl, "right", "left"),
        ),
        display=["flex", "flex", "none"],
        padding="0.75em 1em",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        width="100%",
        align="center",
    )
