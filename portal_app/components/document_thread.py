"""The "Questions about this invoice/quote" section of a client detail page: the conversation
with the company's staff and the form to write (and dispute an invoice). Mounts
DocumentThreadState (state/document_thread.py) for the page's document.

`document_thread("invoice", invoice_id_var, on_download)`: `on_download(id)` is the page's
event that downloads one of the client's documents through a fresh signed URL (the Documents
tab's), so the attached files download like any other.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from portal_app.components.accessible import badge, callout
from portal_app.components.common import field_error
from portal_app.reflex_ext.file_field import file_field
from portal_app.schemas.document_thread import ThreadView
from portal_app.state.document_thread import (
    BODY_ID,
    MAX_BODY_CHARS,
    UPLOAD_ID,
    DocumentThreadState,
)
from portal_app.state.portal import PortalState
from portal_app.state.translate import _

State = DocumentThreadState


def _message(message, on_download: Callable) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(message.author, weight="bold", size="2"),
            rx.text(message.when, size="1", color_scheme="gray"),
            spacing="2",
            align="baseline",
            wrap="wrap",
        ),
        rx.text(message.body, size="2", white_space="pre-wrap", overflow_wrap="anywhere"),
        rx.cond(
            message.attachment_id != 0,
            rx.button(
                rx.icon("paperclip", size=14, aria_hidden="true"),
                message.attachment_name,
                on_click=on_download(message.attachment_id),
                variant="soft",
                size="1",
                margin_top="0.5em",
                max_width="100%",
                overflow="hidden",
                text_overflow="ellipsis",
            ),
        ),
        padding="0.75em",
        border_radius="var(--radius-3)",
        background=rx.cond(message.from_staff, "var(--accent-3)", "var(--gray-3)"),
        margin_inline_start=rx.cond(message.from_staff, "0", "1.5em"),
        margin_inline_end=rx.cond(message.from_staff, "1.5em", "0"),
        width="calc(100% - 1.5em)",
        role="listitem",
        data_testid="thread-message",
    )


def _form(document_type: str) -> rx.Component:
    has_file = rx.selected_files(UPLOAD_ID).length() > 0
    send_label = _("Send message")
    return rx.vstack(
        rx.el.label(_("Your message"), html_for=BODY_ID, style={"font_weight": "500"}),
        rx.text_area(
            id=BODY_ID,
            default_value=State.body,
            on_blur=State.set_body,
            rows="4",
            max_length=MAX_BODY_CHARS,
            width="100%",
            aria_invalid=rx.cond(State.body_error != "", "true", "false"),
            aria_describedby=f"{BODY_ID}-error",
        ),
        rx.el.div(field_error(State.body_error), id=f"{BODY_ID}-error"),
        rx.cond(
            State.thread.to(ThreadView).may_dispute,
            rx.vstack(
                rx.checkbox(
                    _("I dispute this invoice"),
                    checked=State.dispute,
                    on_change=State.set_dispute,
                    id="thread-dispute",
                    aria_describedby="thread-dispute-help",
                ),
                rx.text(
                    _(
                        "While a dispute is open we send no payment reminders and make no "
                        "automatic charge for this invoice."
                    ),
                    size="1",
                    color_scheme="gray",
                    id="thread-dispute-help",
                ),
                spacing="1",
                align="start",
            ),
        ),
        # A native file input over the whole box (transparent: the box is what shows), so a
        # click or a drop anywhere on it chooses the file, without react-dropzone on every
        # visit (reflex_ext/file_field.py; issue 23).
        rx.el.div(
            file_field(
                UPLOAD_ID,
                label=_("Attach a file"),
                style={
                    "position": "absolute",
                    "inset": "0",
                    "width": "100%",
                    "height": "100%",
                    "opacity": "0",
                    "cursor": "pointer",
                },
            ),
            rx.hstack(
                rx.icon("paperclip", size=16, aria_hidden="true"),
                rx.text(_("Attach a file (optional): PDF, image, sheet or text."), size="2"),
                align="center",
                spacing="2",
            ),
            id=UPLOAD_ID,
            style={
                "position": "relative",
                "border": "1px dashed var(--gray-8)",
                "border_radius": "var(--radius-3)",
                "padding": "0.75em",
                "width": "100%",
                "&:focus-within": {
                    "outline": "2px solid var(--focus-8)",
                    "outline_offset": "2px",
                },
            },
        ),
        rx.hstack(
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: badge(name, variant="outline")),
            wrap="wrap",
        ),
        rx.el.div(field_error(State.file_error), id="thread-file-error"),
        rx.cond(
            has_file,
            rx.button(
                rx.icon("send", size=16, aria_hidden="true"),
                send_label,
                on_click=State.send_with_file(rx.upload_files(upload_id=UPLOAD_ID)),
                id="thread-send",
            ),
            rx.button(
                rx.icon("send", size=16, aria_hidden="true"),
                send_label,
                on_click=State.send,
                id="thread-send",
            ),
        ),
        spacing="2",
        width="100%",
        align="start",
        id=f"{document_type}-thread-form",
    )


def document_thread(
    document_type: str, document_id, on_download: Callable, *, load_on_mount: bool = True
) -> rx.Component:
    """The conversation section for one invoice ("invoice") or quote ("quote").

    `load_on_mount=False` for a page whose own load event fills DocumentThreadState
    (`DocumentThreadState._open`): the thread then comes with the page's data, in the same
    render, instead of a round trip and a render of its own after the section mounts."""
    heading = (
        _("Questions about this invoice")
        if document_type == "invoice"
        else _("Questions about this quote")
    )
    thread = State.thread.to(ThreadView)
    return rx.vstack(
        rx.hstack(
            rx.heading(heading, size="3", as_="h2", id="thread-heading"),
            rx.cond(
                State.thread & (thread.status_label != ""),
                badge(
                    thread.status_label,
                    color_scheme=rx.match(
                        thread.status + ":" + thread.kind,
                        ("open:dispute", "red"),
                        ("open:question", "amber"),
                        "green",
                    ),
                    id="thread-status",
                ),
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            State.thread & (thread.messages.length() > 0),
            rx.vstack(
                rx.foreach(thread.messages, lambda m: _message(m, on_download)),
                role="list",
                aria_labelledby="thread-heading",
                spacing="2",
                width="100%",
            ),
            rx.text(
                _(
                    "No messages yet. Write to us about this document; "
                    "we answer here and by e-mail."
                ),
                size="2",
                color_scheme="gray",
                id="thread-empty",
            ),
        ),
        rx.cond(
            State.notice != "",
            callout(State.notice, icon="check", color_scheme="green", role="status", width="100%"),
        ),
        rx.cond(
            State.failure != "",
            callout(
                State.failure, icon="circle-alert", color_scheme="red", role="alert", width="100%"
            ),
        ),
        rx.cond(
            State.thread & ~PortalState.is_preview,
            _form(document_type),
        ),
        on_mount=State.show(document_type, document_id) if load_on_mount else None,
        width="100%",
        spacing="3",
        align="start",
        id="document-thread",
    )
