"""The client's questions and dispute on a staff invoice or quote page: the conversation, an
answer box, and resolving. Mounts StaffThreadState (state/staff_thread.py)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import badge, callout
from portal_app.components.common import field_error
from portal_app.schemas.document_thread import ThreadView
from portal_app.schemas.staff_documents import StaffDocDetail
from portal_app.state.staff_thread import ANSWER_ID, MAX_BODY_CHARS, StaffThreadState
from portal_app.state.translate import _, fill

State = StaffThreadState


def _message(message) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(message.author, weight="bold", size="2"),
            rx.cond(message.from_staff, badge(_("Staff"), size="1"), badge(_("Client"), size="1")),
            rx.text(message.when, size="1", color_scheme="gray"),
            spacing="2",
            align="baseline",
            wrap="wrap",
        ),
        rx.text(message.body, size="2", white_space="pre-wrap", overflow_wrap="anywhere"),
        rx.cond(
            message.attachment_id != 0,
            rx.text(
                fill(_("Attached: %(name)s (see Files)"), name=message.attachment_name), size="1"
            ),
        ),
        padding="0.75em",
        border_radius="var(--radius-3)",
        background=rx.cond(message.from_staff, "var(--accent-3)", "var(--gray-3)"),
        width="100%",
        role="listitem",
        data_testid="staff-thread-message",
    )


def _answer_box(thread) -> rx.Component:
    may_answer = State.staff_allowed.contains("edit_documents")
    return rx.cond(
        may_answer,
        rx.vstack(
            rx.el.label(_("Your answer"), html_for=ANSWER_ID, style={"font_weight": "500"}),
            rx.text_area(
                id=ANSWER_ID,
                default_value=State.answer,
                on_blur=State.set_answer,
                rows="4",
                max_length=MAX_BODY_CHARS,
                width="100%",
                aria_invalid=rx.cond(State.answer_error != "", "true", "false"),
                aria_describedby=f"{ANSWER_ID}-error",
            ),
            rx.el.div(field_error(State.answer_error), id=f"{ANSWER_ID}-error"),
            rx.hstack(
                rx.button(_("Send answer"), on_click=State.send_answer, id="staff-thread-send"),
                rx.cond(
                    thread.status == "open",
                    rx.fragment(
                        rx.button(
                            _("Send and resolve"),
                            on_click=State.send_and_resolve,
                            variant="soft",
                            id="staff-thread-send-resolve",
                        ),
                        rx.button(
                            _("Resolve without answer"),
                            on_click=State.resolve,
                            variant="outline",
                            id="staff-thread-resolve",
                        ),
                    ),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
    )


def record_thread(document_type: str, doc) -> rx.Component:
    """The panel for one invoice ("invoice") or quote ("quote"); `doc` is the page's
    StaffDocDetail Var. Nothing is shown before the client has written."""
    doc = doc.to(StaffDocDetail)
    thread = State.thread.to(ThreadView)
    return rx.box(
        rx.cond(
            State.thread & (thread.messages.length() > 0),
            rx.vstack(
                rx.hstack(
                    rx.heading(_("Client messages"), size="4", as_="h2", id="staff-thread-heading"),
                    badge(
                        thread.status_label,
                        color_scheme=rx.match(
                            thread.status + ":" + thread.kind,
                            ("open:dispute", "red"),
                            ("open:question", "amber"),
                            "green",
                        ),
                        id="staff-thread-status",
                    ),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                ),
                rx.cond(
                    (thread.status == "open") & (thread.kind == "dispute"),
                    callout(
                        _(
                            "The client disputes this invoice: reminders and auto-bill are "
                            "paused until you resolve it."
                        ),
                        icon="circle-pause",
                        color_scheme="red",
                    ),
                ),
                rx.vstack(
                    rx.foreach(thread.messages, _message),
                    role="list",
                    aria_labelledby="staff-thread-heading",
                    spacing="2",
                    width="100%",
                ),
                rx.cond(
                    State.notice != "",
                    callout(State.notice, icon="check", color_scheme="green", role="status"),
                ),
                rx.cond(
                    State.failure != "",
                    callout(State.failure, icon="circle-alert", color_scheme="red", role="alert"),
                ),
                _answer_box(thread),
                spacing="3",
                width="100%",
                align="start",
                id="staff-thread",
            ),
        ),
        on_mount=State.show(document_type, doc.id),
        width="100%",
    )
