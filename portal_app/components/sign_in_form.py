"""The sign-in card shared by /client/login and /staff/login."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import logo_image
from portal_app.core.routes import DEFAULT_LOGO
from portal_app.state.sign_in_form import MAX_EMAIL, MAX_PASSWORD


def _as_is(text: str) -> Any:
    return text


def _field(label, name: str, kind: str, error, autocomplete: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"font_weight": "500"}),
        rx.input(
            id=name,
            name=name,
            type=kind,
            auto_complete=autocomplete,
            size="3",
            width="100%",
            aria_invalid=rx.cond(error != "", "true", "false"),
            aria_describedby=f"{name}-error",
            max_length=MAX_PASSWORD if kind == "password" else MAX_EMAIL,
        ),
        rx.cond(
            error != "",
            rx.text(error, id=f"{name}-error", color_scheme="red", size="2", role="alert"),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


def sign_in_card(
    state,
    heading,
    *links: rx.Component,
    other_form: rx.Component | None = None,
    show=None,
    translate: Callable[[str], Any] = _as_is,
) -> rx.Component:
    """Heading, notice, form error, e-mail and password fields, and `links` under the form.

    `state` is a State class mixing in SignInFormMixin; the fields appear once its
    `binding_ready` is true. `other_form` (the client's e-mailed code) takes the password
    form's place while the var `show` is "other". `translate` is the page's `_()` for the
    card's own texts (the client side's state/translate.py; staff sign-in is English).
    """
    return rx.card(
        rx.vstack(
            rx.hstack(
                logo_image(DEFAULT_LOGO, "40px"),
                rx.heading(heading, size="6", as_="h1"),
                align="center",
                spacing="3",
            ),
            rx.cond(
                state.notice != "",
                callout(state.notice, icon="info", color_scheme="green", width="100%"),
            ),
            rx.cond(
                state.form_error != "",
                callout(
                    state.form_error,
                    icon="triangle-alert",
                    color_scheme="red",
                    role="alert",
                    width="100%",
                    id="login-error",
                ),
            ),
            _until_ready(
                state,
                _password_form(state, translate)
                if other_form is None
                else rx.cond(show == "other", other_form, _password_form(state, translate)),
            ),
            *links,
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
    )


def _until_ready(state, form: rx.Component) -> rx.Component:
    """`form`, usable once the page holds its sign-in binding (a reload may come first, so
    nothing typed is lost to it). Until then it keeps its place in the layout, hidden (not
    focusable, not read out), with a spinner over it: what is under the card does not move
    when it shows (Lighthouse counted that shift on the sign-in pages)."""
    return rx.box(
        rx.box(
            form,
            # Hidden, not removed; with a sign-in error and no binding (cookies refused) the
            # error says what to do, and an empty form-sized gap would say nothing.
            visibility=rx.cond(state.binding_ready, "visible", "hidden"),
            display=rx.cond(state.binding_ready | (state.form_error == ""), "block", "none"),
        ),
        rx.cond(
            ~state.binding_ready & (state.form_error == ""),
            rx.center(rx.spinner(size="3"), role="status", position="absolute", inset="0"),
        ),
        position="relative",
        width="100%",
    )


def _password_form(state, translate: Callable[[str], Any]) -> rx.Component:
    _ = translate
    return rx.form(
        rx.vstack(
            _field(_("E-mail"), "email", "email", state.email_error, "username"),
            _field(
                _("Password"),
                "password",
                "password",
                state.password_error,
                "current-password",
            ),
            rx.button(
                rx.cond(state.submitting, rx.spinner(size="2"), rx.fragment()),
                _("Sign in"),
                type="submit",
                size="3",
                width="100%",
                disabled=state.submitting,
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=state.submit,
        reset_on_submit=False,
        width="100%",
    )
