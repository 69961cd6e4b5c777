"""The quote approve dialog: terms → signature → PO number and confirm; and the decline dialog.

The signature pad is the portal's one small piece of drawing JavaScript: a <canvas> that
follows pointer events (mouse, pen, touch), installed once per page through event delegation
so it works whenever the dialog mounts the canvas. `signature_script` hands the drawing back
as a PNG data URL; a person who cannot draw types their name instead and the script writes it
onto the canvas (so the server always gets, and checks, one PNG).

The dialog functions take the page's State class: it must have the QuoteApprovalMixin vars
and these handlers of its own: set_approve_open, set_terms_accepted, terms_continue,
sign_continue, clear_signature, set_typed_name, set_po_number, confirm_approve.
"""

from __future__ import annotations

import json

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import colored_badge, field_error

PAD_ID = "signature-pad"
PAD_WIDTH = 480
PAD_HEIGHT = 160

# Installed once per page: draws on the canvas with id PAD_ID, whenever it is mounted.
INSTALL_PAD_SCRIPT = f"""(() => {{
  if (window.__portalSignaturePad) return 'ok';
  window.__portalSignaturePad = true;
  const id = {json.dumps(PAD_ID)};
  let drawing = false;
  const point = (c, e) => {{
    const r = c.getBoundingClientRect();
    return [(e.clientX - r.left) * c.width / r.width, (e.clientY - r.top) * c.height / r.height];
  }};
  document.addEventListener('pointerdown', (e) => {{
    const c = e.target;
    if (!c || c.id !== id) return;
    e.preventDefault();
    drawing = true;
    try {{ c.setPointerCapture(e.pointerId); }} catch (err) {{}}
    const g = c.getContext('2d');
    g.lineWidth = 2.5; g.lineCap = 'round'; g.lineJoin = 'round'; g.strokeStyle = '#111827';
    const [x, y] = point(c, e);
    g.beginPath(); g.moveTo(x, y); g.lineTo(x + 0.1, y + 0.1); g.stroke();
    c.dataset.inked = '1';
  }});
  document.addEventListener('pointermove', (e) => {{
    const c = e.target;
    if (!drawing || !c || c.id !== id) return;
    const g = c.getContext('2d');
    const [x, y] = point(c, e);
    g.lineTo(x, y); g.stroke();
  }});
  const stop = () => {{ drawing = false; }};
  document.addEventListener('pointerup', stop);
  document.addEventListener('pointercancel', stop);
  return 'ok';
}})()"""

CLEAR_PAD_SCRIPT = f"""(() => {{
  const c = document.getElementById({json.dumps(PAD_ID)});
  if (!c) return '';
  c.getContext('2d').clearRect(0, 0, c.width, c.height);
  delete c.dataset.inked;
  return '';
}})()"""


def signature_script(typed_name: str) -> str:
    """JS resolving to the canvas as a PNG data URL; a typed name is written on an empty pad."""
    return f"""(() => {{
  const c = document.getElementById({json.dumps(PAD_ID)});
  if (!c) return '';
  const typed = {json.dumps(typed_name.strip())};
  if (!c.dataset.inked && typed) {{
    const g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    g.fillStyle = '#111827';
    g.font = 'italic 40px Georgia, serif';
    g.textBaseline = 'middle';
    g.fillText(typed, 16, c.height / 2, c.width - 32);
    c.dataset.inked = '1';
  }}
  if (!c.dataset.inked) return '';
  return c.toDataURL('image/png');
}})()"""


def _cancel_or(action: rx.Component) -> rx.Component:
    """The foot of a dialog step: Cancel (closes the dialog) and the step's own button."""
    return rx.hstack(
        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
        action,
        justify="end",
        width="100%",
        spacing="2",
    )


def _step_terms(state) -> rx.Component:
    return rx.vstack(
        rx.heading("Terms", size="3", as_="h3"),
        rx.scroll_area(
            rx.text(state.terms_text, size="2", white_space="pre-wrap"),
            type="auto",
            scrollbars="vertical",
            max_height="14em",
            id="quote-terms",
            tab_index=0,
            aria_label="Terms",
        ),
        rx.checkbox(
            "I have read and accept these terms",
            checked=state.terms_accepted,
            on_change=state.set_terms_accepted,
            id="accept-terms",
        ),
        field_error(state.terms_error),
        _cancel_or(rx.button("Continue", on_click=state.terms_continue, id="terms-continue")),
        spacing="3",
        width="100%",
        align="start",
    )


def _step_sign(state) -> rx.Component:
    return rx.vstack(
        rx.heading("Signature", size="3", as_="h3"),
        rx.text(
            "Sign in the box with your mouse, finger or pen, or type your name below.",
            size="2",
            id="signature-help",
        ),
        rx.el.canvas(
            id=PAD_ID,
            width=str(PAD_WIDTH),
            height=str(PAD_HEIGHT),
            role="img",
            aria_label="Signature drawing area",
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
            "Clear signature",
            on_click=state.clear_signature,
            variant="ghost",
            size="1",
            type="button",
        ),
        rx.vstack(
            rx.el.label(
                "Or type your full name", html_for="typed-name", font_size="var(--font-size-2)"
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
        _cancel_or(rx.button("Continue", on_click=state.sign_continue, id="sign-continue")),
        spacing="3",
        width="100%",
        align="start",
    )


def _step_confirm(state) -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.el.label(
                "PO number (optional)", html_for="po-number", font_size="var(--font-size-2)"
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
        rx.text(
            rx.cond(
                state.approve_count == 1,
                "You are approving this quote",
                "You are approving " + state.approve_count.to_string() + " quotes",
            ),
            rx.cond(state.approve_total != "", " (" + state.approve_total + ")", ""),
            rx.cond(
                state.converts,
                ". An invoice is created from it for payment.",
                ".",
            ),
            size="2",
        ),
        _cancel_or(
            rx.button(
                rx.icon("check", size=16, aria_hidden="true"),
                "Approve",
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
                rx.cond(state.approve_count > 1, "Approve quotes", "Approve quote"),
            ),
            rx.dialog.description(
                rx.match(
                    state.approve_step,
                    ("terms", "Step 1: read and accept the terms."),
                    ("sign", "Sign to approve."),
                    "Add a PO number if you use one, then approve.",
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
            rx.dialog.title("Decline quote"),
            rx.dialog.description(
                "Tell us why, if you like. We will see your answer.", size="2", color_scheme="gray"
            ),
            rx.vstack(
                rx.el.label(
                    "Reason (optional)", html_for="decline-reason", font_size="var(--font-size-2)"
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
                        "Decline quote",
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


QUOTE_BADGE_COLORS = {
    "Pending": "amber",
    "Approved": "green",
    "Converted": "green",
    "Expired": "gray",
    "Declined": "red",
}


def quote_status_badge(label) -> rx.Component:
    """A coloured badge for a quote status label (a Var)."""
    return colored_badge(label, QUOTE_BADGE_COLORS)
