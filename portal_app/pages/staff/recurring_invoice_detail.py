"""/staff/recurring_invoices/[id]: one schedule, its actions (edit, pause, resume, stop) and
the invoices it issued."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import empty_state, link_button, loading_block
from portal_app.components.staff_documents import detail_lines, staff_status_badge, summary_row
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.pages.staff.recurring_invoices import recurring_status_badge
from portal_app.schemas.staff_recurring import IssuedInvoiceRow, StaffRecurringDetail
from portal_app.services.billing import staff_recurring
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import path_segments
from portal_app.state.translate import _, fill

_NOTICES = {
    "pause": gettext("Paused: no invoices are issued until you resume it."),
    "resume": gettext("Resumed: the next invoice goes out on its next send date."),
    "stop": gettext("Stopped: no more invoices will be issued from this schedule."),
}


class StaffRecurringDetailState(StaffState):
    """The schedule page; every action re-checks the staff session and goes through the
    service."""

    schedule: StaffRecurringDetail | None = None
    not_found: bool = False
    notice: str = ""
    error: str = ""
    busy: bool = False
    _schedule_id: int = 0

    @rx.event
    def load(self):
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        self.notice = self.error = ""
        self.not_found = False
        self.busy = False
        segments = path_segments(self)
        try:
            with session_scope() as db:
                view = staff_recurring.schedule_detail(
                    db, actor=actor, schedule_id=segments[-1] if segments else ""
                )
        except NotFoundError:
            self.schedule = None
            self.not_found = True
            return None
        self.schedule = view
        self._schedule_id = view.id
        return None

    def _act(self, action: str):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        self.notice = self.error = ""
        operations = {
            "pause": staff_recurring.pause_schedule,
            "resume": staff_recurring.resume_schedule,
            "stop": staff_recurring.stop_schedule,
        }
        try:
            with session_scope() as db:
                operations[action](db, actor=actor, schedule_id=self._schedule_id)
            self.notice = _NOTICES[action]
        except (ValidationError, ReadOnlyError) as exc:
            self.error = getattr(exc, "message", str(exc))
        except NotFoundError:
            self.schedule = None
            self.not_found = True
            return None
        with session_scope() as db:
            self.schedule = staff_recurring.schedule_detail(
                db, actor=actor, schedule_id=self._schedule_id
            )
        return None

    @rx.event
    def pause(self):
        return self._act("pause")

    @rx.event
    def resume(self):
        return self._act("resume")

    @rx.event
    def stop(self):
        return self._act("stop")


def _stop_dialog(state) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                _("Stop"),
                variant="soft",
                color_scheme="red",
                id="stop-recurring",
                high_contrast=True,
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(_("Stop this recurring invoice?")),
            rx.alert_dialog.description(
                _(
                    "No more invoices will be issued from it. Invoices already issued stay as "
                    "they are. A stopped schedule cannot be restarted."
                ),
            ),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(_("Keep it running"), variant="soft", color_scheme="gray")
                ),
                rx.alert_dialog.action(
                    rx.button(
                        _("Stop recurring invoice"),
                        color_scheme="red",
                        on_click=state.stop,
                        id="confirm-stop",
                        high_contrast=True,
                    )
                ),
                gap="3",
                justify="end",
                wrap="wrap",
                margin_top="1em",
            ),
            max_width="26em",
        ),
    )


def _invoice_row(item: IssuedInvoiceRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(item.number, href="/staff/invoices/" + item.id.to_string())
        ),
        rx.table.cell(item.issue_date, white_space="nowrap"),
        rx.table.cell(staff_status_badge(item.status_label, item.status)),
        rx.table.cell(item.amount, text_align="end", white_space="nowrap"),
        rx.table.cell(item.balance, text_align="end", white_space="nowrap"),
    )


def _issued(doc) -> rx.Component:
    table = rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label, text_align=align)
                    for label, align in (
                        (_("Invoice"), "start"),
                        (_("Issued"), "start"),
                        (_("Status"), "start"),
                        (_("Amount"), "end"),
                        (_("Balance"), "end"),
                    )
                ]
            )
        ),
        rx.table.body(rx.foreach(doc.invoices, _invoice_row)),
        width="100%",
        variant="surface",
    )
    return rx.vstack(
        rx.heading(_("Invoices issued"), size="4", as_="h2"),
        rx.cond(
            doc.invoices.length() > 0,
            rx.box(table, width="100%", overflow_x="auto", id="issued-invoices"),
            rx.text(_("No invoice issued yet."), color_scheme="gray", size="2"),
        ),
        rx.cond(
            doc.more_invoices,
            rx.text(_("Showing the newest 50."), color_scheme="gray", size="2"),
        ),
        width="100%",
        spacing="2",
    )


def staff_recurring_detail_page() -> rx.Component:
    state = StaffRecurringDetailState
    doc = state.schedule.to(StaffRecurringDetail)
    body = rx.vstack(
        rx.hstack(
            rx.heading(
                fill(_("Recurring invoice %(number)s"), number=doc.number), size="7", as_="h1"
            ),
            recurring_status_badge(doc.status_label, doc.badge_key),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.link(doc.client_name, href="/staff/clients/" + doc.client_id.to_string()),
        rx.cond(
            state.notice != "",
            callout(
                state.notice,
                icon="check",
                color_scheme="green",
                role="status",
                id="recurring-notice",
            ),
        ),
        rx.cond(
            state.error != "",
            callout(
                state.error,
                icon="triangle-alert",
                color_scheme="red",
                role="alert",
                id="recurring-error",
            ),
        ),
        rx.cond(
            doc.cancel_requested != "",
            callout(
                fill(_("The client asked to cancel on %(date)s."), date=doc.cancel_requested),
                icon="info",
                color_scheme="amber",
            ),
        ),
        rx.flex(
            rx.cond(
                doc.can_edit,
                link_button(
                    rx.icon("pencil", size=16, aria_hidden="true"),
                    _("Edit"),
                    href="/staff/recurring_invoices/" + doc.id.to_string() + "/edit",
                    link_props={"id": "edit-recurring"},
                    variant="soft",
                ),
            ),
            rx.cond(
                doc.can_pause,
                rx.button(_("Pause"), on_click=state.pause, variant="soft", id="pause-recurring"),
            ),
            rx.cond(
                doc.can_resume,
                rx.button(
                    _("Resume"), on_click=state.resume, variant="soft", id="resume-recurring"
                ),
            ),
            rx.cond(doc.can_stop, _stop_dialog(state)),
            gap="3",
            wrap="wrap",
        ),
        rx.grid(
            rx.vstack(
                summary_row(_("Frequency"), doc.frequency),
                summary_row(_("Start date"), doc.start_date),
                summary_row(
                    _("Next send date"),
                    rx.cond(doc.next_send_date != "", doc.next_send_date, _("None")),
                ),
                summary_row(
                    _("Last sent"),
                    rx.cond(doc.last_sent_date != "", doc.last_sent_date, _("Not yet")),
                ),
                summary_row(_("Cycles left"), doc.cycles_left),
                summary_row(_("Due"), doc.due_days),
                summary_row(_("Auto-bill"), doc.auto_bill),
                rx.cond(doc.po_number != "", summary_row(_("PO number"), doc.po_number)),
                width="100%",
            ),
            rx.vstack(
                summary_row(_("Subtotal"), doc.subtotal),
                summary_row(_("Tax"), doc.tax),
                summary_row(_("Total per invoice"), doc.total),
                width="100%",
                id="recurring-totals",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="6",
            width="100%",
        ),
        rx.box(detail_lines(doc), width="100%", overflow_x="auto"),
        rx.cond(
            doc.terms != "",
            rx.text(fill(_("Terms: %(terms)s"), terms=doc.terms), size="2", white_space="pre-wrap"),
        ),
        rx.cond(
            doc.public_notes != "",
            rx.text(
                fill(_("Notes: %(notes)s"), notes=doc.public_notes),
                size="2",
                white_space="pre-wrap",
            ),
        ),
        _issued(doc),
        spacing="4",
        width="100%",
    )
    return rx.vstack(
        rx.link(_("← All recurring invoices"), href=routes.STAFF_RECURRING_INVOICES),
        rx.cond(
            state.not_found,
            empty_state(
                _("Recurring invoice not found"), _("This recurring invoice does not exist.")
            ),
            rx.cond(state.schedule, body, loading_block()),
        ),
        width="100%",
        spacing="4",
    )
