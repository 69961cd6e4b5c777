"""The staff console shell (sidebar, header, sign-out, language) and the layout staff pages are
wrapped in; its texts are in the staff user's language (StaffState chooses it)."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from portal_app.components.common import logo_image
from portal_app.core import routes
from portal_app.layout import sidebar
from portal_app.reflex_ext.document_language import document_language
from portal_app.state.staff import StaffState
from portal_app.state.staff_nav import STAFF_NAV_ITEMS
from portal_app.state.translate import _


def _brand() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            logo_image(
                rx.cond(
                    StaffState.staff_logo_url != "",
                    StaffState.staff_logo_url,
                    routes.DEFAULT_LOGO,
                ),
                "32px",
            ),
            rx.text(StaffState.staff_company_name, weight="bold", size="4", trim="both"),
            spacing="2",
            align="center",
        ),
        rx.text(_("Staff console"), size="1", color_scheme="gray"),
        spacing="1",
    )


def _nav() -> rx.Component:
    return sidebar.nav(
        STAFF_NAV_ITEMS,
        StaffState.staff_nav_routes,
        label=_("Staff console"),
        translate=_,
        counts=StaffState.staff_nav_counts,
    )


def _account(switcher_id: str = "staff-language") -> rx.Component:
    return sidebar.account_block(
        StaffState.staff_name,
        StaffState.staff_role_label,
        on_sign_out=StaffState.staff_sign_out,
        sign_out_label=_("Sign out"),
        theme_label=_("Switch light or dark"),
        extra=sidebar.language_switcher(
            switcher_id,
            label=_("Language"),
            value=StaffState.lang,
            on_change=StaffState.choose_language,
        ),
    )


def staff_shell(content: rx.Component) -> rx.Component:
    """Wrap a page in the staff layout; a spinner shows until the staff session is checked."""
    return rx.flex(
        document_language(StaffState.html_lang, StaffState.text_dir),
        sidebar.skip_link(_("Skip to main content")),
        sidebar.sidebar(_brand(), _nav(), _account()),
        rx.box(
            sidebar.mobile_bar(
                _brand,
                _nav(),
                _account("staff-language-menu"),
                open_label=_("Open menu"),
                close_label=_("Close menu"),
            ),
            sidebar.main_area(
                rx.cond(
                    StaffState.staff_signed_in,
                    rx.vstack(content, width="100%", spacing="4"),
                    rx.center(
                        rx.spinner(size="3"), padding="4em", role="status", aria_label=_("Loading")
                    ),
                ),
                max_width="80em",
            ),
            flex="1",
            min_width="0",
        ),
        min_height="100vh",
        width="100%",
    )


def staff_layout(page_fn: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """A signed-in staff page inside the staff shell.

    The page's on_load (its route-table entry) must check the staff session itself
    (StaffState._begin) before loading data.
    """

    def wrapped() -> rx.Component:
        return staff_shell(page_fn())

    wrapped.__name__ = page_fn.__name__
    wrapped.__module__ = page_fn.__module__
    return wrapped
