"""/client/recurring_invoices/[id]: one recurring invoice, the invoices it issued, the
auto-billing switch where the company allows it, and a request to cancel."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import field_error, status_badge
from portal_app.components.documents import detail_header, lines_table, record_page, totals_box
from portal_app.components.records import paged_rows, summary_row
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext, set_language
from portal_app.pages.client.recurring_invoices import recurring_status_badge
from portal_app.schemas.invoice import InvoiceRowView
from portal_app.schemas.recurring import RecurringView
from portal_app.services.billing import recurring
from portal_app.services.payments import payment_methods
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill

READ_ONLY_NOTE = N_("Sign in with your password to change auto-billing or ask to cancel.")
PREVIEW_NOTE = N_("Staff preview: nothing can be changed here.")


class RecurringDetailState(PagedListMixin, PortalState):
    """The schedule and one page of its invoices (10 a page unless the client picks more)."""

    schedule: RecurringView | None = None
    not_found: bool = False
    rows: list[InvoiceRowView] = []
    notice: str = ""
    auto_bill_error: str = ""
    cancel_open: bool = False
    cancel_reason: str = ""
    cancel_error: str = ""
    # From the URL at load; the service checks it belongs to the signed-in client every time.
    _recurring_id: int = 0

    def _reload(self):
        return self._reload_with(
            lambda db, actor: recurring.issued_invoices(
                db,
                actor=actor,
                recurring_id=self._recurring_id,
                page=self.page,
                page_size=self.page_size,
            )
        )

    def _load_schedule(self) -> bool:
        actor = self._begin()
        if actor is None:
            return False
        try:
            with session_scope() as db:
                self.schedule = recurring.recurring_view(
                    db,
                    actor=actor,
                    recurring_id=self._recurring_id,
                    has_default_card=payment_methods.has_default_card(db, actor=actor),
                )
        except NotFoundError:
            self.schedule = None
            self.not_found = True
        return True

    @rx.event
    def load(self):
        self.loading = True
        self.schedule = None
        self.not_found = False
        self.rows = []
        self.notice = self.auto_bill_error = self.cancel_error = ""
        self.cancel_open = False
        self.cancel_reason = ""
        self.page, self.page_size = 1, 10
        try:
            self._recurring_id = recurring.parse_recurring_id(self._path_arg())
        except NotFoundError:
            self._recurring_id = 0
        if not self._load_schedule():
            return self._login_redirect()
        if self.not_found:
            self.loading = False
            return None
        return self._reload()

    @rx.event
    def set_auto_bill(self, enabled: bool):
        set_language(self.lang)  # no session check here: this event's texts in the page's
        self.notice = self.auto_bill_error = ""
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        try:
            with session_scope() as db:
                recurring.set_auto_bill(
                    db, actor=actor, recurring_id=self._recurring_id, enabled=enabled is True
                )
        except (ValidationError, ReadOnlyError, NotFoundError) as exc:
            self.auto_bill_error = _refusal(exc)
        else:
            on = gettext("Auto-billing is on.")
            self.notice = on if enabled is True else gettext("Auto-billing is off.")
        self._load_schedule()
        return None

    @rx.event
    def set_cancel_open(self, value: bool):
        self.cancel_open = bool(value)
        self.cancel_error = ""

    @rx.event
    def set_cancel_reason(self, value: str):
        self.cancel_reason = str(value)[: recurring.MAX_REASON_LENGTH + 1]

    @rx.event
    def confirm_cancel(self):
        set_language(self.lang)
        self.notice = self.cancel_error = ""
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        try:
            with session_scope() as db:
                recurring.request_cancellation(
                    db, actor=actor, recurring_id=self._recurring_id, reason=self.cancel_reason
                )
        except (ValidationError, ReadOnlyError, NotFoundError) as exc:
            self.cancel_error = _refusal(exc)
            return None
        self.cancel_open = False
        self.cancel_reason = ""
        self.notice = gettext("Your cancellation request was sent. We will be in touch.")
        self._load_schedule()
        return None


def _refusal(exc: Exception) -> str:
    """What to show for a refused change (the services' messages are translated already)."""
    if isinstance(exc, ValidationError):
        return exc.message
    if isinstance(exc, ReadOnlyError | NotFoundError):
        return exc.user_message
    return str(exc)


S = RecurringDetailState
may_change = ~S.is_link_session & ~S.is_preview


def _invoice_row(row: InvoiceRowView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(row.number, href="/client/invoices/" + row.id.to_string(), weight="medium")
        ),
        rx.table.cell(row.issue_date, white_space="nowrap"),
        rx.table.cell(row.due_date, white_space="nowrap", display=["none", "table-cell"]),
        rx.table.cell(row.amount, text_align="right", display=["none", "table-cell"]),
        rx.table.cell(row.balance, text_align="right", white_space="nowrap"),
        rx.table.cell(
            status_badge(row.status_label, key=rx.cond(row.is_overdue, "overdue", row.status))
        ),
        data_testid="recurring-invoice-row",
    )


def _invoices() -> rx.Component:
    table = rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(_("Invoice")),
                rx.table.column_header_cell(_("Date")),
                rx.table.column_header_cell(_("Due"), display=["none", "table-cell"]),
                rx.table.column_header_cell(
                    _("Amount"), text_align="right", display=["none", "table-cell"]
                ),
                rx.table.column_header_cell(_("Balance"), text_align="right"),
                rx.table.column_header_cell(_("Status")),
            )
        ),
        rx.table.body(rx.foreach(S.rows, _invoice_row)),
        width="100%",
        variant="surface",
        id="recurring-invoices",
    )
    return rx.vstack(
        rx.heading(_("Invoices from this schedule"), size="4", as_="h2"),
        paged_rows(
            S,
            table,
            _("Invoices"),
            rx.text(_("No invoices have been sent from it yet."), color_scheme="gray"),
        ),
        width="100%",
        spacing="2",
        align="start",
    )


def _fact(label, value) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray", weight="medium"),
        rx.text(value),
        spacing="1",
        align="start",
    )


def _schedule_facts(r: rx.Var) -> rx.Component:
    return rx.card(
        rx.grid(
            _fact(_("Frequency"), r.frequency),
            _fact(_("Start date"), r.start_date),
            _fact(_("Next send date"), rx.cond(r.next_send_date != "", r.next_send_date, "—")),
            _fact(_("Cycles remaining"), r.cycles_left),
            _fact(_("Last sent"), rx.cond(r.last_sent_date != "", r.last_sent_date, "—")),
            _fact(
                _("Payment due"),
                fill(_("%(days)s days after each invoice"), days=r.due_days.to_string()),
            ),
            columns=rx.breakpoints(initial="2", md="3"),
            spacing="4",
            width="100%",
        ),
        width="100%",
        id="recurring-schedule",
    )


def _auto_bill(r: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Auto-billing"), size="4", as_="h2"),
            rx.cond(
                r.can_switch_auto_bill & may_change,
                rx.hstack(
                    rx.switch(
                        checked=r.auto_bill_on,
                        on_change=S.set_auto_bill,
                        id="auto-bill-switch",
                        # Radix renders a button: a <label for> does not name it for everyone.
                        aria_label=_("Charge each new invoice to my default card"),
                    ),
                    rx.text(
                        _("Charge each new invoice to my default card"),
                        as_="label",
                        html_for="auto-bill-switch",
                    ),
                    spacing="2",
                    align="center",
                ),
                rx.text(r.auto_bill_label, id="auto-bill-state"),
            ),
            rx.cond(
                r.auto_bill_on & ~r.has_default_card,
                rx.text(
                    _("You have no default card saved, so invoices cannot be charged yet."),
                    " ",
                    rx.link(_("Add a card"), href=routes.CLIENT_PAYMENT_METHODS),
                    size="2",
                ),
            ),
            field_error(S.auto_bill_error),
            spacing="2",
            align="start",
            width="100%",
        ),
        width="100%",
    )


def _cancel_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                _("Request cancellation"), variant="soft", color_scheme="red", id="cancel-open"
            )
        ),
        rx.dialog.content(
            rx.dialog.title(_("Request cancellation")),
            rx.dialog.description(
                _(
                    "We will stop this recurring invoice after reviewing your request. Invoices "
                    "already sent stay due."
                ),
                size="2",
                color_scheme="gray",
            ),
            rx.vstack(
                rx.el.label(rx.text(_("Reason (optional)"), size="2"), html_for="cancel-reason"),
                rx.text_area(
                    id="cancel-reason",
                    value=S.cancel_reason,
                    on_change=S.set_cancel_reason,
                    max_length=recurring.MAX_REASON_LENGTH,
                    rows="4",
                    width="100%",
                ),
                field_error(S.cancel_error),
                rx.hstack(
                    rx.dialog.close(rx.button(_("Keep it"), variant="soft", color_scheme="gray")),
                    rx.button(
                        _("Send request"),
                        on_click=S.confirm_cancel,
                        color_scheme="red",
                        id="cancel-confirm",
                    ),
                    justify="end",
                    width="100%",
                    spacing="2",
                ),
                spacing="2",
                width="100%",
                margin_top="1em",
            ),
            max_width="30em",
        ),
        open=S.cancel_open,
        on_open_change=S.set_cancel_open,
    )


def _cancellation(r: rx.Var) -> rx.Component:
    return rx.cond(
        r.cancel_requested,
        callout(
            rx.text(
                rx.cond(
                    r.cancel_reason != "",
                    fill(
                        _("Cancellation requested on %(date)s: “%(reason)s”"),
                        date=r.cancel_requested_on,
                        reason=r.cancel_reason,
                    ),
                    fill(_("Cancellation requested on %(date)s."), date=r.cancel_requested_on),
                ),
            ),
            icon="info",
            color_scheme="orange",
            id="cancel-requested",
            width="100%",
        ),
        rx.cond(r.can_request_cancellation & may_change, _cancel_dialog()),
    )


def _detail(r: rx.Var) -> rx.Component:
    return rx.vstack(
        detail_header(
            rx.heading(
                fill(_("Recurring invoice %(number)s"), number=r.number), size="7", as_="h1"
            ),
            recurring_status_badge(r.status_label, r.badge_key),
            rx.text(r.frequency, " · ", r.amount, color_scheme="gray"),
            actions=_cancellation(r),
        ),
        rx.cond(
            S.notice != "",
            callout(S.notice, icon="circle-check", color_scheme="green", role="status"),
        ),
        rx.cond(
            ~may_change,
            rx.text(rx.cond(S.is_preview, _(PREVIEW_NOTE), _(READ_ONLY_NOTE)), size="2"),
        ),
        _schedule_facts(r),
        _auto_bill(r),
        lines_table(r.lines),
        totals_box(
            summary_row(_("Subtotal"), r.subtotal),
            rx.foreach(r.taxes, lambda tax: summary_row(tax[0], tax[1])),
            summary_row(_("Each invoice"), r.amount, strong=True),
            element_id="recurring-totals",
        ),
        rx.cond(r.public_notes != "", rx.text(r.public_notes, size="2", white_space="pre-wrap")),
        _invoices(),
        rx.link("← ", _("All recurring invoices"), href=routes.CLIENT_RECURRING_INVOICES),
        width="100%",
        spacing="4",
        align="start",
    )


def recurring_invoice_detail_page() -> rx.Component:
    return record_page(
        S.not_found,
        S.schedule,
        _detail(S.schedule.to(RecurringView)),
        noun="Recurring invoice",
        back_href=routes.CLIENT_RECURRING_INVOICES,
    )
