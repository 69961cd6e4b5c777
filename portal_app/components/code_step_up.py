"""The "Use a saved card" step of an e-mailed-link session (state/code_step_up.py): a button,
then "E-mail me a code", then the code field. The State passed in provides the mixin's vars
and events."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.state.translate import _


def code_step_up(state) -> rx.Component:
    """Shown to an e-mailed-link session only; never inside another form (it has its own)."""
    error = rx.cond(
        state.step_up_error != "",
        rx.text(
            state.step_up_error, color_scheme="red", size="2", role="alert", id="step-up-error"
        ),
    )
    ask = rx.vstack(
        rx.text(
            _(
                "Saved cards are not shown in a session opened from an e-mailed link. We can "
                "e-mail you a one-time code to show them."
            ),
            size="2",
        ),
        rx.button(
            _("E-mail me a code"),
            type="button",
            on_click=state.send_step_up_code,
            variant="soft",
            id="step-up-send",
        ),
        error,
        spacing="2",
        align="start",
        width="100%",
    )
    enter = rx.form(
        rx.vstack(
            callout(state.step_up_notice, icon="mail-check", role="status", width="100%"),
            rx.el.label(_("Code from the e-mail"), html_for="step_up_code"),
            rx.input(
                id="step_up_code",
                name="step_up_code",
                auto_complete="one-time-code",
                input_mode="numeric",
                max_length=12,
                aria_invalid=rx.cond(state.step_up_error != "", "true", "false"),
                aria_describedby="step-up-error",
            ),
            error,
            rx.hstack(
                rx.button(_("Show my saved cards"), type="submit", id="step-up-submit"),
                rx.button(
                    _("Send a new code"),
                    type="button",
                    variant="ghost",
                    on_click=state.send_step_up_code,
                ),
                spacing="3",
                align="center",
            ),
            spacing="2",
            align="start",
            width="100%",
        ),
        on_submit=state.submit_step_up_code,
        reset_on_submit=False,
        width="100%",
    )
    return rx.cond(
        state.is_link_session,
        rx.cond(
            state.step_up_open,
            rx.cond(state.step_up_sent, enter, ask),
            rx.button(
                _("Use a saved card"),
                type="button",
                on_click=state.open_step_up,
                variant="ghost",
                id="step-up-open",
            ),
        ),
    )
