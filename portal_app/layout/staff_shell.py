"""The staff console shell (sidebar, header, sign-out), @staff_page and @staff_public_page."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from portal_app.layout.staff_nav import STAFF_NAV_ITEMS, StaffNavItem
from portal_app.state.staff import StaffState

SIDEBAR_WIDTH = "15em"


def _nav_link(item: StaffNavItem) -> rx.Component:
    is_current = rx.State.router.url.path.startswith(item.route)  # type: ignore[attr-defined]
    link = rx.link(
        rx.hstack(
            rx.icon(item.icon, size=18, aria_hidden="true"),
            rx.text(item.label, size="3", weight="medium"),
            spacing="3",
            align="center",
            padding_x="0.75em",
            padding_y="0.55em",
            border_radius="var(--radius-3)",
            width="100%",
            background=rx.cond(is_current, rx.color("accent", 4), "transparent"),
            color=rx.cond(is_current, rx.color("accent", 11), rx.color("gray", 12)),
            _hover={"background": rx.color("accent", 3)},
        ),
        href=item.route,
        underline="none",
        width="100%",
        aria_current=rx.cond(is_current, "page", "false"),
    )
    return rx.cond(StaffState.staff_nav_routes.contains(item.route), link)


def _nav_list() -> rx.Component:
    return rx.vstack(*[_nav_link(item) for item in STAFF_NAV_ITEMS], spacing="1", width="100%")


def _brand() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.image(
                src=rx.cond(
                    StaffState.staff_logo_url != "", StaffState.staff_logo_url, "/logo.png"
                ),
                alt="",
                width="32px",
                height="32px",
                border_radius="var(--radius-2)",
            ),
            rx.text(StaffState.staff_company_name, weight="bold", size="4", trim="both"),
            spacing="2",
            align="center",
        ),
        rx.text("Staff console", size="1", color_scheme="gray"),
        spacing="1",
    )


def _account_block() -> rx.Component:
    return rx.vstack(
        rx.separator(),
        rx.text(StaffState.staff_name, weight="medium", size="2"),
        rx.text(StaffState.staff_role, color_scheme="gray", size="2"),
        rx.hstack(
            rx.button(
                rx.icon("log-out", size=16, aria_hidden="true"),
                "Sign out",
                on_click=StaffState.staff_sign_out,
                variant="soft",
                size="2",
            ),
            rx.color_mode.button(size="2", variant="ghost", aria_label="Switch light or dark"),
            spacing="2",
            align="center",
        ),
        spacing="2",
        width="100%",
    )


def _sidebar() -> rx.Component:
    return rx.box(
        rx.vstack(
            _brand(),
            rx.el.nav(_nav_list(), aria_label="Staff console", style={"width": "100%"}),
            rx.spacer(),
            _account_block(),
            height="100%",
            spacing="5",
            padding="1.25em",
        ),
        width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
        display=["none", "none", "block"],
        flex_shrink="0",
    )


def _mobile_bar() -> rx.Component:
    return rx.hstack(
        _brand(),
        rx.spacer(),
        rx.drawer.root(
            rx.drawer.trigger(
                rx.icon_button(rx.icon("menu"), variant="ghost", size="3", aria_label="Open menu")
            ),
            rx.drawer.overlay(z_index="5"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        rx.el.nav(_nav_list(), aria_label="Staff console", style={"width": "100%"}),
                        _account_block(),
                        spacing="5",
                        padding="1.25em",
                        width="100%",
                    ),
                    top="auto",
                    right="auto",
                    height="100%",
                    width="18em",
                    background_color=rx.color("gray", 1),
                )
            ),
            direction="left",
        ),
        display=["flex", "flex", "none"],
        padding="0.75em 1em",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        width="100%",
        align="center",
    )


def staff_shell(content: rx.Component) -> rx.Component:
    """Wrap a page in the staff layout; a spinner shows until the staff session is checked."""
    return rx.flex(
        _sidebar(),
        rx.box(
            _mobile_bar(),
            rx.el.main(
                rx.cond(
                    StaffState.staff_signed_in,
                    rx.vstack(content, width="100%", spacing="4"),
                    rx.center(rx.spinner(size="3"), padding="4em", role="status"),
                ),
                style={"padding": "1.5em clamp(1em, 3vw, 2.5em)", "max_width": "80em"},
                id="main",
            ),
            flex="1",
            min_width="0",
        ),
        min_height="100vh",
        width="100%",
    )


def staff_page(
    route: str, title: str, on_load: Callable | list | None = None
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register a signed-in staff page: wraps it in the staff shell, runs `on_load` on entry.

    `on_load` must check the staff session itself (StaffState._begin) before loading data.
    """

    def decorator(page_fn: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def wrapped() -> rx.Component:
            return staff_shell(page_fn())

        wrapped.__name__ = page_fn.__name__
        wrapped.__module__ = page_fn.__module__
        rx.page(route=route, title=f"{title} · Staff console", on_load=on_load)(wrapped)
        return wrapped

    return decorator
