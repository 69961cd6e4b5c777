"""The portal shell (sidebar of enabled modules, header, sign-out) and the page layouts the
route table (pages/route_table.py) wraps pages in."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import logo_image
from portal_app.core import routes
from portal_app.layout import sidebar
from portal_app.reflex_ext.deferred import shown_after_load
from portal_app.reflex_ext.document_language import document_language
from portal_app.state.nav import NAV_ITEMS
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill


def _accent_vars() -> dict:
    """The company colour as CSS variables (values are validated #rrggbb, see branding.py).

    Radix's solid buttons paint with --accent-9/--accent-10 and write --accent-contrast on
    top, so overriding those three under the shell brands the primary buttons too; buttons
    given their own color_scheme keep it.
    """
    return {
        "--portal-accent": PortalState.accent_color,
        "--portal-accent-contrast": PortalState.accent_foreground,
        "--portal-accent-hover": PortalState.accent_hover,
        # The brand colour marks the current page where it stands out enough from the
        # sidebar (3:1), else a shade of it that does (branding.mark_on).
        "--portal-mark": rx.color_mode_cond(
            light=PortalState.accent_mark_light, dark=PortalState.accent_mark_dark
        ),
        "--accent-9": "var(--portal-accent)",
        "--accent-10": "var(--portal-accent-hover)",
        "--accent-contrast": "var(--portal-accent-contrast)",
    }


def _brand() -> rx.Component:
    # The header bar: the company's name in its colour, with a foreground readable on it.
    return rx.hstack(
        logo_image(
            rx.cond(
                PortalState.company_logo_url != "",
                PortalState.company_logo_url,
                routes.DEFAULT_LOGO,
            ),
            "32px",
        ),
        rx.text(PortalState.company_name, weight="bold", size="4", trim="both"),
        spacing="2",
        align="center",
        padding="0.5em 0.75em",
        border_radius="var(--radius-3)",
        background="var(--portal-accent)",
        color="var(--portal-accent-contrast)",
        class_name="portal-brand",
    )


def _signed_in() -> rx.Var[bool]:
    # The page's content and the navigation mount in a transition once the session check
    # signed the shell in and the page's load is over (reflex_ext/deferred.py): the answer
    # to a page's load brings its data too, and mounting it all at once was one long task.
    return shown_after_load(PortalState.signed_in)


def _nav() -> rx.Component:
    return rx.cond(
        _signed_in(),
        sidebar.nav(NAV_ITEMS, PortalState.nav_routes, label=_("Portal"), translate=_),
    )


def _language_switcher(id_: str) -> rx.Component:
    return sidebar.language_switcher(
        id_, label=_("Language"), value=PortalState.lang, on_change=PortalState.choose_language
    )


def _account(id_: str = "language-switcher") -> rx.Component:
    return sidebar.account_block(
        PortalState.contact_name,
        PortalState.client_name,
        on_sign_out=PortalState.sign_out,
        sign_out_label=_("Sign out"),
        theme_label=_("Switch light or dark"),
        extra=_language_switcher(id_),
    )


def _banners() -> rx.Component:
    return rx.fragment(
        rx.cond(
            PortalState.is_preview,
            rx.callout.root(
                rx.callout.icon(rx.icon("eye", aria_hidden="true")),
                rx.callout.text(
                    # Staff-facing, but in the previewed contact's language: the shell's
                    # catalog is theirs, as is everything else the staff member sees here.
                    fill(
                        _(
                            "Staff preview of %(client)s (%(contact)s): you see the portal as "
                            "this client sees it; nothing here moves money or changes their "
                            "records."
                        ),
                        client=PortalState.client_name,
                        contact=PortalState.contact_name,
                    ),
                    " ",
                    rx.button(
                        _("Back to staff console"),
                        on_click=PortalState.leave_preview,
                        variant="outline",
                        color_scheme="orange",
                        high_contrast=True,
                        size="1",
                        id="preview-back",
                    ),
                ),
                color_scheme="orange",
                high_contrast=True,
                role="status",
                id="preview-banner",
            ),
        ),
        rx.cond(
            PortalState.is_link_session,
            callout(
                rx.el.span(
                    _("You opened this from an e-mailed link, so you see this document only."),
                    " ",
                    rx.link(
                        _("Sign in with your password to see your whole account."),
                        href=routes.CLIENT_LOGIN,
                        # The callout's own text colour: the link colour on its tint is too
                        # faint (WCAG 1.4.3); the underline marks it as a link.
                        high_contrast=True,
                        underline="always",
                    ),
                ),
                icon="link",
                color_scheme="blue",
                size="1",
                role="status",
            ),
        ),
    )


def portal_shell(content: rx.Component) -> rx.Component:
    """Wrap a page in the signed-in layout; a spinner shows until the session is checked."""
    return rx.flex(
        document_language(PortalState.html_lang, PortalState.text_dir),
        sidebar.skip_link(_("Skip to main content")),
        sidebar.sidebar(_brand(), _nav(), _account()),
        rx.box(
            # The drawer renders outside the shell, so it needs the colours itself.
            sidebar.mobile_bar(
                _brand, _nav(), _account("language-switcher-menu"), drawer_style=_accent_vars()
            ),
            sidebar.main_area(
                rx.cond(
                    _signed_in(),
                    rx.vstack(_banners(), content, width="100%", spacing="4"),
                    rx.center(
                        rx.spinner(size="3"), padding="4em", role="status", aria_label=_("Loading")
                    ),
                ),
                max_width="72em",
            ),
            flex="1",
            min_width="0",
        ),
        min_height="100vh",
        width="100%",
        id="portal-shell",
        style=_accent_vars(),
    )


def portal_layout(page_fn: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """A signed-in portal page inside the shell (sidebar of enabled modules, header, banners).

    The page's on_load (its route-table entry) must check the session itself
    (PortalState._begin) before loading any data.
    """

    def wrapped() -> rx.Component:
        return portal_shell(page_fn())

    wrapped.__name__ = page_fn.__name__
    wrapped.__module__ = page_fn.__module__
    return wrapped


def public_layout(page_fn: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """A page for signed-out visitors (sign-in, password reset, emailed links), centred
    across, near the top: a card that grows (the form once the page is ready, a notice, an
    error, "Create an account") grows downwards and moves nothing above it, where a card
    centred up and down moved as a whole (a layout shift Lighthouse counts)."""

    def wrapped() -> rx.Component:
        return rx.flex(
            rx.box(
                page_fn(),
                width="100%",
                max_width="26em",
            ),
            rx.box(
                rx.color_mode.button(size="2", variant="ghost", aria_label="Switch light or dark"),
                position="fixed",
                top="1em",
                right="1em",
            ),
            justify="center",
            align="start",
            min_height="100vh",
            padding="1em",
            padding_top="max(1em, 12vh)",
            background=rx.color("gray", 2),
        )

    wrapped.__name__ = page_fn.__name__
    wrapped.__module__ = page_fn.__module__
    return wrapped


def shell_or_public_layout(page_fn: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """A page for anyone (the 404 page): inside the portal shell once the page's load found a
    signed-in contact (PortalState._begin), else in the sign-in frame of `public_layout`."""
    public = public_layout(page_fn)

    def wrapped() -> rx.Component:
        return rx.cond(PortalState.signed_in, portal_shell(page_fn()), public())

    wrapped.__name__ = page_fn.__name__
    wrapped.__module__ = page_fn.__module__
    return wrapped
