"""The card of the emailed-link pages (state.emailed_link.EmailedLinkMixin)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import link_button
from portal_app.core import routes
from portal_app.state.signin_binding import COOKIES_NEEDED
from portal_app.state.translate import _, fill


def _texts(noun: str) -> dict[str, rx.Var]:
    """The card's sentences for an e-mailed link to an invoice or a quote, each translated
    whole (a noun dropped into an English sentence cannot be translated)."""
    if noun == "quote":
        return {
            "expired": _(
                "It may have expired or been replaced by a newer one. Sign in to see your "
                "quotes, or ask for a new link."
            ),
            "other": _("This quote belongs to another account"),
            "signed_in_as": _(
                "You are signed in as %(name)s. Opening this quote signs you out of that "
                "account on this browser first."
            ),
            "switch": _("Sign out and open the quote"),
            "opening": _("Opening your quote…"),
        }
    return {
        "expired": _(
            "It may have expired or been replaced by a newer one. Sign in to see your "
            "invoices, or ask for a new link."
        ),
        "other": _("This invoice belongs to another account"),
        "signed_in_as": _(
            "You are signed in as %(name)s. Opening this invoice signs you out of that "
            "account on this browser first."
        ),
        "switch": _("Sign out and open the invoice"),
        "opening": _("Opening your invoice…"),
    }


def _invalid(texts: dict[str, rx.Var]) -> rx.Component:
    return rx.vstack(
        rx.icon("link-2-off", size=32, aria_hidden="true"),
        rx.heading(_("This link is not valid"), size="5", as_="h1"),
        rx.text(texts["expired"], color_scheme="gray"),
        link_button(_("Sign in"), href=routes.CLIENT_LOGIN),
        spacing="3",
        align="center",
        role="alert",
    )


def _other_account(state, texts: dict[str, rx.Var]) -> rx.Component:
    """Signed in here as another account: open the link only when asked to."""
    return rx.vstack(
        rx.icon("users", size=32, aria_hidden="true"),
        rx.heading(texts["other"], size="5", as_="h1"),
        rx.text(fill(texts["signed_in_as"], name=state.other_account_name)),
        rx.hstack(
            rx.button(
                texts["switch"],
                on_click=state.switch_account,
                loading=state.switching,
                id="link-switch-account",
            ),
            link_button(
                _("Stay signed in"),
                href=routes.CLIENT_DASHBOARD,
                link_props={"id": "link-keep-session"},
                variant="soft",
            ),
            spacing="3",
            wrap="wrap",
            justify="center",
        ),
        rx.cond(
            state.cookies_needed,
            callout(_(COOKIES_NEEDED), icon="triangle-alert", color_scheme="red", role="alert"),
        ),
        spacing="3",
        align="center",
        id="link-other-account",
    )


def link_card(state, noun: str) -> rx.Component:
    """While the link opens, a spinner; when it is refused, why and the way to sign in; when
    this browser is signed in as another account, the question whether to switch."""
    texts = _texts(noun)
    return rx.card(
        rx.cond(
            state.invalid,
            _invalid(texts),
            rx.cond(
                state.other_account,
                _other_account(state, texts),
                rx.cond(
                    state.cookies_needed,
                    callout(
                        _(COOKIES_NEEDED), icon="triangle-alert", color_scheme="red", role="alert"
                    ),
                    rx.hstack(rx.spinner(), rx.text(texts["opening"]), role="status"),
                ),
            ),
        ),
        size="3",
    )
