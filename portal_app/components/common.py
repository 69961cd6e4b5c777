"""Small shared pieces: status badges, empty states, notices, loading."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import badge
from portal_app.state.translate import _

_BADGE_COLORS = {
    "Paid": "green",
    "Overdue": "red",
    "Unpaid": "amber",
    "Partly paid": "blue",
    "Cancelled": "gray",
    "Reversed": "gray",
}


def colored_badge(label, colors: dict[str, str]) -> rx.Component:
    """A badge for a status label (a Var or a str), coloured by `colors` (label → colour);
    a label not listed gets the plain badge."""
    return rx.match(
        label,
        *[
            (name, badge(name, color_scheme=color, variant="soft", radius="full"))
            for name, color in colors.items()
        ],
        badge(label, variant="soft", radius="full"),
    )


# The same colours by status key (the invoice's status, or "overdue"): a translated label
# no longer matches the English names above.
_KEY_COLORS = {
    "paid": "green",
    "overdue": "red",
    "sent": "amber",
    "partial": "blue",
    "cancelled": "gray",
    "reversed": "gray",
}


# A payment's colours by its status key.
PAYMENT_KEY_COLORS = {
    "completed": "green",
    "pending": "amber",
    "failed": "red",
    "refunded": "gray",
    "partly_refunded": "blue",
}
# A quote's colours by its status key (the effective one: a lapsed quote is "expired").
QUOTE_KEY_COLORS = {
    "sent": "amber",
    "approved": "green",
    "converted": "green",
    "expired": "gray",
    "declined": "red",
}
# A credit note's colours by its status key.
CREDIT_KEY_COLORS = {
    "sent": "green",
    "partial": "blue",
    "applied": "gray",
    "cancelled": "gray",
}


def keyed_badge(label, key, colors: dict[str, str]) -> rx.Component:
    """A badge showing `label` (in any language), coloured by the status `key` through
    `colors` (key → colour); a key not listed gets the plain badge."""
    return rx.match(
        key,
        *[
            (name, badge(label, color_scheme=color, variant="soft", radius="full"))
            for name, color in colors.items()
        ],
        badge(label, variant="soft", radius="full"),
    )


def status_badge(label, key=None) -> rx.Component:
    """A coloured badge for an invoice status label (a Var or a str), coloured by its English
    label, or by `key` (the status, or "overdue") when given: a label in any language."""
    if key is None:
        return colored_badge(label, _BADGE_COLORS)
    return keyed_badge(label, key, _KEY_COLORS)


def plain_text(
    *children, size: str = "", weight: str = "", color=None, as_: str = "p", **props
) -> rx.Component:
    """Text drawn as Radix Themes' Text (`rx.text`) without its component: the element with
    Radix's class names (`size` 1-9, `weight`, `color` a Radix colour name or a Var of one),
    for text a page shows many times (a component and its props' work per piece of text,
    in every page's first render, for the same look)."""
    classes = ["rt-Text"]
    if size:
        classes.append(f"rt-r-size-{size}")
    if weight:
        classes.append(f"rt-r-weight-{weight}")
    if color is not None:
        props["data_accent_color"] = color
    return getattr(rx.el, as_)(*children, class_name=" ".join(classes), **props)


# A native <select> (`native_select`), styled once by the shell's <main> (layout/sidebar.py
# main_area) as Radix's size 2 select trigger.
SELECT_CLASS = "portal-select"


def native_select(options, value, on_change, **props) -> rx.Component:
    """A native <select> of `options` ((value, text) pairs) showing `value`, `on_change` given
    the chosen value; label it with `aria_label` or a <label> for its `id`. Instead of
    Radix's Select in a page's first render: that one renders its items into a hidden
    fragment and renders again from its layout effects after mounting (3 more commits of the
    page); a native one is one element, as usable by keyboard and screen reader."""
    return rx.el.select(
        *[rx.el.option(text, value=key) for key, text in options],
        value=value,
        on_change=on_change,
        class_name=SELECT_CLASS,
        **props,
    )


def empty_state(title: str, message: str, icon: str = "inbox") -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=36, color=rx.color("gray", 9), aria_hidden="true"),
            rx.heading(title, size="4"),
            rx.text(message, color_scheme="gray", align="center"),
            align="center",
            spacing="2",
        ),
        padding="3em 1em",
        width="100%",
        role="status",
    )


def page_heading(title, subtitle=None) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="7", as_="h1"),
        rx.cond(subtitle, rx.text(subtitle, color_scheme="gray"))
        if subtitle is not None
        else rx.fragment(),
        spacing="1",
        margin_bottom="1.25em",
        align="start",
    )


def loading_block() -> rx.Component:
    return rx.center(
        rx.hstack(rx.spinner(size="3"), rx.text(_("Loading…"), color_scheme="gray")),
        padding="3em",
        width="100%",
        role="status",
        aria_live="polite",
    )


def field_error(message) -> rx.Component:
    """An error message shown under a form field (announced to screen readers)."""
    return rx.cond(
        message != "",
        rx.text(message, color_scheme="red", size="2", role="alert"),
    )


def link_button(*children, href, link_props: dict | None = None, **button_props) -> rx.Component:
    """A link drawn as a button: one element and one Tab stop, whose accessible name is the
    text it shows (a button inside a link is two stops and two names). `link_props` go on the
    link (id, title...), `button_props` on the button's look (variant, size...)."""
    from reflex_components_core.react_router.dom import ReactRouterLink

    return rx.button(
        ReactRouterLink.create(*children, to=href, **(link_props or {})),
        as_child=True,
        **button_props,
    )


def download_button(label: str, href, element_id: str, size: str = "2") -> rx.Component:
    """A button-styled link that downloads from one of our HTTP routes (a real page request)."""
    from reflex_components_core.react_router.dom import ReactRouterLink

    return rx.button(
        ReactRouterLink.create(
            rx.icon("download", size=16, aria_hidden="true"),
            label,
            to=href,
            id=element_id,
            reload_document=True,
            download=True,
        ),
        as_child=True,
        size=size,
    )


_VISUALLY_HIDDEN = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "padding": "0",
    "margin": "-1px",
    "overflow": "hidden",
    "clip": "rect(0, 0, 0, 0)",
    "white_space": "nowrap",
    "border": "0",
}


def logo_image(src, size: str) -> rx.Component:
    """A decorative logo `size` wide and high (the company name is next to it).

    Low fetch priority: React otherwise adds a high-priority `<link rel=preload>` for every
    image in the server-rendered HTML, which put the logo ahead of the page's scripts.
    """
    return rx.image(
        src=src,
        alt="",
        width=size,
        height=size,
        border_radius="var(--radius-2)",
        custom_attrs={"fetchPriority": "low"},
    )


def visually_hidden(text) -> rx.Component:
    """Text for screen readers only."""
    return rx.el.span(text, style=_VISUALLY_HIDDEN)
