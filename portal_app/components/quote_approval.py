"""The quote approve dialog: terms → signature → PO number and confirm; and the decline dialog.

The signature pad is a <canvas> that follows pointer events (mouse, pen, touch); its code is
assets/js/signature_pad.js, installed once per page through event delegation so it works
whenever the dialog mounts the canvas. `signature_script` hands the drawing back as a PNG data
URL; a person who cannot draw types their name instead and the script writes it onto the
canvas (so the server always gets, and checks, one PNG).

The dialog functions take the page's State class: it must have the QuoteApprovalMixin vars
and these handlers of its own: set_approve_open, set_terms_accepted, terms_continue,
sign_continue, clear_signature, set_typed_name, set_po_number, confirm_approve.
"""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import field_error
from portal_app.state.signature_pad import PAD_HEIGHT, PAD_ID, PAD_WIDTH
from portal_app.state.translate import _, fill


def _cancel_or(action: rx.Component) -> rx.Component:
    """The foot of a dialog step: Cancel (closes the dialog) and the step's own button."""
    return rx.hstack(
        rx.dialog.close(rx.button(_("Cancel"), variant="soft", color_scheme="gray")),
        action,
        justify="end",
        width="100%",
        spacing="2",
    )


def _step_terms(state) -> rx.Component:
    return rx.vstack(
        rx.heading(_("Terms"), size="3", as_="h3"),
        rx.scroll_area(
            rx.text(state.terms_text, size="2", white_space="pre-wrap"),
            type="auto",
            scrollbars="vertical",
            max_height="14em",
            id="quote-terms",
            tab_index=0,
            aria_label=_("Terms"),
        ),
        rx.checkbox(
            _("I have read and accept these terms"),
            checked=state.terms_accepted,
            on_change=state.set_terms_accepted,
            id="accept-terms",
        ),
        field_error(state.terms_error),
        _cancel_or(rx.button(_("Continue"), on_click=state.terms_continue, id="terms-continue")),
        spacing="3",
        width="100%",
        align="start",
    )


def _step_sign(state) -> rx.Component:
    return rx.vstack(
        rx.heading(_("Signature"), size="3", as_="h3"),
        rx.text(
            _("Sign in the box with your mouse, finger or pen, or type your name below."),
            size="2",
            id="signature-help",
        ),
        rx.el.canvas(
            id=PAD_ID,
            width=str(PAD_WIDTH),
            height=str(PAD_HEIGHT),
            role="img",
            aria_label=_("Signature drawing area"),
            aria_describedby="signature-help",
            style={
                "width": "100%",
                "max_width": f"{PAD_WIDTH}px",
                "aspect_ratio": f"{PAD_WIDTH} / {PAD_HEIGHT}",
                "border": "1px dashed var(--gray-8)",
                "border_radius": "var(--radius-3)",
                "background": "white",
                "touch_action": "none",
                "cursor": "crosshair",
            },
        ),
        rx.button(
            _("Clear signature"),
            on_click=state.clear_signature,
            variant="ghost",
            size="1",
            type="button",
        ),
        rx.vstack(
            rx.el.label(
                _("Or type your full name"), html_for="typed-name", font_size="var(--font-size-2)"
            ),
            rx.input(
                id="typed-name",
                value=state.typed_name,
                on_change=state.set_typed_name,
                max_length=80,
                auto_complete="name",
                width="100%",
            ),
            spacing="1",
            width="100%",
        ),
        field_error(state.signature_error),
        _cancel_or(rx.button(_("Continue"), on_click=state.sign_continue, id="sign-continue")),
        spacing="3",
        width="100%",
        align="start",
    )


def _step_confirm(state) -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.el.label(
                _("PO number (optional)"), html_for="po-number", font_size="var(--font-size-2)"
            ),
            rx.input(
                id="po-number",
                value=state.po_number,
                on_change=state.set_po_number,
                max_length=100,
                width="100%",
            ),
            field_error(state.po_error),
            spacing="1",
            width="100%",
        ),
        rx.text(state.approve_sentence, size="2", id="approve-sentence"),
        rx.cond(
            state.approve_total != "",
            rx.text(fill(_("Quote total: %(amount)s"), amount=state.approve_total), size="2"),
        ),
        _cancel_or(
            rx.button(
                rx.icon("check", size=16, aria_hidden="true"),
                _("Approve"),
                on_click=state.confirm_approve,
                loading=state.approving,
                id="confirm-approve",
            )
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def approval_dialog(state) -> rx.Component:
    """The approve dialog for the quotes the page chose (state: see module docstring)."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(state.approve_count > 1, _("Approve quotes"), _("Approve quote")),
            ),
            rx.dialog.description(
                rx.match(
                    state.approve_step,
                    ("terms", _("Step 1: read and accept the terms.")),
                    ("sign", _("Sign to approve.")),
                    _("Add a PO number if you use one, then approve."),
                ),
                size="2",
                color_scheme="gray",
            ),
            rx.cond(
                state.approve_error != "",
                callout(
                    state.approve_error,
                    icon="triangle-alert",
                    color_scheme="red",
                    role="alert",
                    margin_y="0.75em",
                ),
            ),
            rx.box(
                rx.match(
                    state.approve_step,
                    ("terms", _step_terms(state)),
                    ("sign", _step_sign(state)),
                    _step_confirm(state),
                ),
                margin_top="1em",
            ),
            max_width="34em",
            id="approve-dialog",
        ),
        open=state.approve_open,
        on_open_change=state.set_approve_open,
    )


def decline_dialog(state) -> rx.Component:
    """Decline one quote with an optional reason (state: decline_open, decline_reason,
    decline_error and handlers set_decline_open, set_decline_reason, confirm_decline)."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Decline quote")),
            rx.dialog.description(
                _("Tell us why, if you like. We will see your answer."),
                size="2",
                color_scheme="gray",
            ),
            rx.vstack(
                rx.el.label(
                    _("Reason (optional)"),
                    html_for="decline-reason",
                    font_size="var(--font-size-2)",
                ),
                rx.text_area(
                    id="decline-reason",
                    value=state.decline_reason,
                    on_change=state.set_decline_reason,
                    max_length=1000,
                    rows="4",
                    width="100%",
                ),
                field_error(state.decline_error),
                _cancel_or(
                    rx.button(
                        _("Decline quote"),
                        on_click=state.confirm_decline,
                        color_scheme="red",
                        id="confirm-decline",
                    )
                ),
                spacing="2",
                width="100%",
                margin_top="1em",
            ),
            max_width="30em",
        ),
        open=state.decline_open,
        on_open_change=state.set_decline_open,
    )
