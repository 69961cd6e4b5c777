"""/staff/outbox: the company's e-mails and their delivery (queued, sending, sent, failed),
newest first, paged on the server; a failed one can be sent again after a confirmation.

?status=failed and ?search=<address> open the page filtered (links from staff notices)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import (
    empty_state,
    keyed_badge,
    page_heading,
    visually_hidden,
)
from portal_app.components.records import paged_rows
from portal_app.components.staff_documents import labelled_select
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.schemas.outbox import OutboxRowView
from portal_app.services.company import staff_outbox
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.staff import StaffState
from portal_app.state.translate import _, fill

FILTERS = [
    ("all", N_("All e-mails")),
    ("queued", N_("Queued")),
    ("sending", N_("Sending")),
    ("sent", N_("Sent")),
    ("failed", N_("Failed")),
]
# Badge colours by status key (the label is translated).
STATUS_COLORS = {"queued": "amber", "sending": "blue", "sent": "green", "failed": "red"}


class StaffOutboxState(PagedListMixin, StaffState):
    """The outbox list, its filter and search, and the retry confirmation (id kept private)."""

    rows: list[OutboxRowView] = []
    status: str = "all"
    search: str = ""
    notice: str = ""
    error: str = ""
    confirm_open: bool = False
    confirm_text: str = ""
    _retry_id: int = 0

    def _reload(self):
        status, search = self.status, self.search
        return self._reload_with(
            lambda db, actor: staff_outbox.list_messages(
                db,
                actor=actor,
                status=status,
                search=search,
                page=self.page,
                page_size=self.page_size,
            )
        )

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        self.notice = self.error = ""
        self.confirm_open = False
        query = self.router.url.query_parameters
        status = str(query.get("status", "all"))
        self.status = status if status in staff_outbox.STATUS_FILTERS else "all"
        self.search = str(query.get("search", ""))[: staff_outbox.MAX_SEARCH]
        return self._reload()

    @rx.event
    def set_status(self, value: str):
        self.status = value if value in staff_outbox.STATUS_FILTERS else "all"
        self.page = 1
        return self._reload()

    @rx.event
    def apply_search(self, form_data: dict):
        self.search = str(form_data.get("search", "")).strip()[: staff_outbox.MAX_SEARCH]
        self.page = 1
        return self._reload()

    @rx.event
    def ask_retry(self, message_id: int):
        self.notice = self.error = ""
        row = next((r for r in self.rows if r.id == message_id), None)
        if row is None or not row.can_retry:
            self.error = gettext("That e-mail cannot be retried.")
            return
        self._retry_id = row.id
        self.confirm_text = gettext("Send “%(subject)s” to %(recipient)s again?") % {
            "subject": row.subject,
            "recipient": row.recipient,
        }
        self.confirm_open = True

    @rx.event
    def cancel_retry(self):
        self.confirm_open = False
        self._retry_id = 0

    @rx.event
    def dialog_changed(self, is_open: bool):
        if not is_open:  # Escape or a click outside closes it like Cancel
            self.confirm_open = False

    @rx.event
    def confirm_retry(self):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        message_id, self._retry_id = self._retry_id, 0
        self.confirm_open = False
        if not message_id:
            return None  # a second click after the first one was handled
        try:
            with session_scope() as db:
                row = staff_outbox.retry_message(db, actor=actor, message_id=message_id)
        except (ValidationError, ReadOnlyError) as exc:
            self.error = getattr(exc, "message", "") or str(exc)
            return self._reload()
        except NotFoundError:
            self.error = gettext("That e-mail is not available.")
            return self._reload()
        self.notice = gettext(
            "The e-mail to %(recipient)s is queued again and goes out shortly."
        ) % {"recipient": row.recipient}
        return self._reload()


def _row(row: OutboxRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.queued_at, white_space="nowrap", display=["none", "none", "table-cell"]),
        rx.table.cell(row.kind, display=["none", "table-cell"]),
        rx.table.row_header_cell(rx.text(row.recipient, word_break="break-all")),
        rx.table.cell(row.subject, display=["none", "table-cell"], max_width="18em"),
        rx.table.cell(keyed_badge(row.status_label, row.status, STATUS_COLORS)),
        rx.table.cell(row.attempts, text_align="end", display=["none", "table-cell"]),
        rx.table.cell(row.next_attempt, display=["none", "none", "table-cell"]),
        rx.table.cell(
            rx.cond(
                row.error != "",
                rx.vstack(
                    rx.text(row.error, size="2"),
                    rx.text(
                        row.error_detail, size="1", color_scheme="gray", word_break="break-all"
                    ),
                    spacing="1",
                ),
            ),
            max_width="20em",
        ),
        rx.table.cell(row.sent_at, display=["none", "none", "table-cell"]),
        rx.table.cell(
            rx.cond(
                row.can_retry,
                rx.button(
                    _("Retry"),
                    size="1",
                    variant="soft",
                    on_click=StaffOutboxState.ask_retry(row.id),
                    aria_label=fill(
                        _("Retry the e-mail to %(recipient)s"), recipient=row.recipient
                    ),
                ),
            )
        ),
        data_testid="outbox-row",
    )


def _table() -> rx.Component:
    headers = [
        (_("Queued"), ["none", "none", "table-cell"]),
        (_("Kind"), ["none", "table-cell"]),
        (_("Recipient"), None),
        (_("Subject"), ["none", "table-cell"]),
        (_("Status"), None),
        (_("Attempts"), ["none", "table-cell"]),
        (_("Next attempt"), ["none", "none", "table-cell"]),
        (_("Problem"), None),
        (_("Sent"), ["none", "none", "table-cell"]),
    ]
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label, display=shown)
                        if shown
                        else rx.table.column_header_cell(label)
                        for label, shown in headers
                    ],
                    rx.table.column_header_cell(visually_hidden("Actions")),
                )
            ),
            rx.table.body(rx.foreach(StaffOutboxState.rows, _row)),
            width="100%",
            variant="surface",
            size="1",
        ),
        width="100%",
        overflow_x="auto",
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        labelled_select(
            [(key, _(label)) for key, label in FILTERS],
            value=StaffOutboxState.status,
            on_change=StaffOutboxState.set_status,
            label=_("Show"),
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="search",
                    default_value=StaffOutboxState.search,
                    placeholder=_("Recipient"),
                    aria_label=_("Search by recipient"),
                    type="search",
                    id="outbox-search",
                    max_length=staff_outbox.MAX_SEARCH,
                ),
                rx.button(_("Search"), type="submit", variant="soft"),
                spacing="2",
            ),
            on_submit=StaffOutboxState.apply_search,
            role="search",
        ),
        gap="3",
        wrap="wrap",
        align="center",
        width="100%",
    )


def _confirm_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(_("Retry this e-mail?")),
            rx.alert_dialog.description(StaffOutboxState.confirm_text),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(_("Cancel"), variant="soft", on_click=StaffOutboxState.cancel_retry)
                ),
                rx.alert_dialog.action(
                    rx.button(
                        _("Send again"), on_click=StaffOutboxState.confirm_retry, id="confirm-retry"
                    )
                ),
                gap="3",
                justify="end",
                margin_top="1em",
            ),
        ),
        open=StaffOutboxState.confirm_open,
        on_open_change=StaffOutboxState.dialog_changed,
    )


def staff_outbox_page() -> rx.Component:
    return rx.vstack(
        page_heading(
            _("E-mails"),
            _(
                "Every e-mail the portal sends waits here until the mail server takes it; "
                "a failed one can be sent again."
            ),
        ),
        _toolbar(),
        rx.cond(
            StaffOutboxState.notice != "",
            callout(StaffOutboxState.notice, icon="check", color_scheme="green", role="status"),
        ),
        rx.cond(
            StaffOutboxState.error != "",
            callout(
                StaffOutboxState.error, icon="triangle-alert", color_scheme="red", role="alert"
            ),
        ),
        paged_rows(
            StaffOutboxState,
            _table(),
            "E-mails",
            empty_state(
                _("No e-mails"), _("Nothing matches, or nothing has been sent yet."), icon="mail"
            ),
        ),
        _confirm_dialog(),
        width="100%",
        spacing="4",
        align="start",
    )
