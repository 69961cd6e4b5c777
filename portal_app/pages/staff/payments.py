"""/staff/payments: the company's payments with unapplied and refundable amounts; apply an
unapplied payment to invoices, refund a card payment (owners and admins)."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import empty_state, field_error, loading_block, page_heading
from portal_app.components.staff_documents import (
    labelled_select,
    staff_status_badge,
    summary_row,
)
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext, ngettext
from portal_app.gateways.base import GatewayError
from portal_app.gateways.factory import get_gateway
from portal_app.schemas.staff_documents import StaffPaymentRow, StaffRefundView
from portal_app.services.company.staff_status import staff_status_label
from portal_app.services.payments import staff_payment_views, staff_payments
from portal_app.state.staff import StaffState
from portal_app.state.translate import _, fill

FILTERS = ["all", "unapplied"]


def refund_now(actor, payment_id: int, amount: str) -> tuple[str, str]:
    """Refund through Stripe in its own transactions (run off the event loop): (notice, error)."""
    try:
        payment = staff_payments.refund_card_payment(
            session_scope, actor=actor, gateway=get_gateway(), payment_id=payment_id, amount=amount
        )
    except (ValidationError, ReadOnlyError) as exc:
        return "", getattr(exc, "message", str(exc))
    except GatewayError as exc:
        return "", exc.message
    except NotFoundError:
        return "", gettext("That payment is not available.")
    return gettext("Refunded; payment %(number)s is now %(status)s.") % {
        "number": payment.number,
        "status": staff_status_label(payment.status),
    }, ""


class StaffPaymentsState(StaffState):
    """Payments list plus the apply and refund dialogs; ids stay in backend-only vars."""

    rows: list[StaffPaymentRow] = []
    status_filter: str = "all"
    page: int = 1
    has_next: bool = False
    loading: bool = True
    notice: str = ""
    error: str = ""
    # Apply dialog: one dict per open invoice (id, number, due_date, balance, amount, checked).
    apply_open: bool = False
    apply_title: str = ""
    apply_rows: list[dict[str, str]] = []
    apply_error: str = ""
    # Refund dialog.
    refund_open: bool = False
    refund_title: str = ""
    refund_info: StaffRefundView | None = None
    refund_amount: str = ""
    refund_error: str = ""
    refunding: bool = False
    _apply_payment_id: int = 0
    _refund_payment_id: int = 0

    def _reload(self, actor=None):
        actor = actor or self._begin()
        if actor is None:
            return self._staff_login_redirect()
        if self.status_filter not in FILTERS:
            self.status_filter = "all"
        with session_scope() as db:
            result = staff_payment_views.list_payments(
                db, actor=actor, status=self.status_filter, page=self.page
            )
        self.rows = result.rows
        self.page = result.page
        self.has_next = result.has_next
        self.loading = False
        return None

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        self.notice = self.error = ""
        self.apply_open = self.refund_open = False
        query = self.router.url.query_parameters.get("filter", "")
        self.status_filter = query if query in FILTERS else "all"
        return self._reload()

    @rx.event
    def set_filter(self, value: str):
        self.status_filter = str(value) if value in FILTERS else "all"
        self.page = 1
        return self._reload()

    @rx.event
    def next_page(self):
        if self.has_next:
            self.page += 1
        return self._reload()

    @rx.event
    def previous_page(self):
        self.page = max(1, self.page - 1)
        return self._reload()

    # -- apply ---------------------------------------------------------------------------------

    @rx.event
    def open_apply(self, payment_id: int):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        self.notice = self.error = self.apply_error = ""
        try:
            with session_scope() as db:
                invoices = staff_payment_views.open_invoices(db, actor=actor, payment_id=payment_id)
                left = staff_payment_views.unapplied_text(db, actor=actor, payment_id=payment_id)
        except NotFoundError:
            self.error = gettext("That payment is not available.")
            return None
        row = next((r for r in self.rows if r.id == payment_id), None)
        self._apply_payment_id = int(payment_id)
        self.apply_title = gettext("Apply %(amount)s of payment %(number)s") % {
            "amount": left,
            "number": row.number if row else "",
        }
        self.apply_rows = [
            {
                "id": str(inv.id),
                "number": inv.number,
                "due_date": inv.due_date,
                "balance": inv.balance,
                "amount": inv.applicable_major,
                "checked": "",
            }
            for inv in invoices
        ]
        self.apply_open = True
        return None

    @rx.event
    def set_apply_amount(self, index: int, value: str):
        if isinstance(index, int) and 0 <= index < len(self.apply_rows):
            rows = [dict(r) for r in self.apply_rows]
            rows[index]["amount"] = str(value)[:30]
            self.apply_rows = rows

    @rx.event
    def set_apply_checked(self, index: int, checked: bool):
        if isinstance(index, int) and 0 <= index < len(self.apply_rows):
            rows = [dict(r) for r in self.apply_rows]
            rows[index]["checked"] = "1" if checked else ""
            self.apply_rows = rows

    @rx.event
    def close_apply(self):
        self.apply_open = False
        self._apply_payment_id = 0

    @rx.event
    def submit_apply(self):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        chosen = [r for r in self.apply_rows if r.get("checked")]
        applications = [staff_payments.Application(r["id"], r["amount"]) for r in chosen]
        try:
            with session_scope() as db:
                payment = staff_payments.apply_unapplied(
                    db,
                    actor=actor,
                    payment_id=self._apply_payment_id,
                    applications=applications,
                )
                number = payment.number
        except ValidationError as exc:
            message = exc.message
            parts = exc.field.split(".")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(chosen):
                message = f"{chosen[int(parts[1])]['number']}: {message}"
            self.apply_error = message
            return None
        except (NotFoundError, ReadOnlyError):
            self.apply_error = gettext("One of these invoices is not available.")
            return None
        self.apply_open = False
        self._apply_payment_id = 0
        self.notice = ngettext(
            "Applied payment %(number)s to %(num)d invoice.",
            "Applied payment %(number)s to %(num)d invoices.",
            len(applications),
        ) % {"number": number, "num": len(applications)}
        return self._reload(actor)

    # -- refund --------------------------------------------------------------------------------

    @rx.event
    def open_refund(self, payment_id: int):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        self.notice = self.error = self.refund_error = ""
        row = next((r for r in self.rows if r.id == payment_id), None)
        if row is None or not row.can_refund:
            self.error = gettext("That payment cannot be refunded here.")
            return None
        try:
            # Read fresh: a webhook or another staff user may have refunded some meanwhile.
            with session_scope() as db:
                info = staff_payment_views.refund_view(db, actor=actor, payment_id=row.id)
        except NotFoundError:
            self.error = gettext("That payment is not available.")
            return None
        self._refund_payment_id = info.id
        self.refund_info = info
        self.refund_title = gettext("Refund payment %(number)s") % {"number": info.number}
        self.refund_amount = ""
        self.refund_open = True
        return None

    @rx.event
    def set_refund_amount(self, value: str):
        self.refund_amount = str(value)[:30]

    @rx.event
    def close_refund(self):
        if not self.refunding:
            self.refund_open = False

    @rx.event(background=True)
    async def submit_refund(self):
        """Ask Stripe for the refund off the event loop; the dialog shows progress."""
        async with self:
            if self.refunding:
                return
            actor = self._staff_actor()
            if actor is None:
                self.refund_error = gettext("Your staff session ended; sign in again.")
                return
            self.refunding = True
            self.refund_error = ""
            payment_id, amount = self._refund_payment_id, self.refund_amount
        notice, error = await asyncio.to_thread(refund_now, actor, payment_id, amount)
        async with self:
            self.refunding = False
            if error:
                self.refund_error = error
                return
            self.refund_open = False
            self.notice = notice
            self._reload(actor)


def _row(row: StaffPaymentRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.number),
        rx.table.cell(rx.link(row.client_name, href="/staff/clients/" + row.client_id.to_string())),
        rx.table.cell(row.date, white_space="nowrap"),
        rx.table.cell(row.method),
        rx.table.cell(staff_status_badge(row.status_label, row.status)),
        rx.table.cell(row.amount, text_align="end", white_space="nowrap"),
        rx.table.cell(row.unapplied, text_align="end", white_space="nowrap"),
        rx.table.cell(row.refunded, text_align="end", white_space="nowrap"),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    row.can_apply,
                    rx.button(
                        _("Apply"),
                        size="1",
                        variant="soft",
                        on_click=StaffPaymentsState.open_apply(row.id),
                        aria_label=fill(_("Apply payment %(number)s"), number=row.number),
                    ),
                ),
                rx.cond(
                    row.can_refund,
                    rx.button(
                        _("Refund"),
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=StaffPaymentsState.open_refund(row.id),
                        aria_label=fill(_("Refund payment %(number)s"), number=row.number),
                    ),
                ),
                spacing="2",
            )
        ),
    )


def _apply_row(item, index) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=item["checked"] != "",
                on_change=lambda value: StaffPaymentsState.set_apply_checked(index, value),
                aria_label=fill(_("Apply to %(number)s"), number=item["number"]),
            )
        ),
        rx.table.cell(item["number"]),
        rx.table.cell(item["due_date"]),
        rx.table.cell(item["balance"], text_align="end"),
        rx.table.cell(
            rx.input(
                value=item["amount"],
                on_change=lambda value: StaffPaymentsState.set_apply_amount(index, value),
                aria_label=fill(_("Amount for %(number)s"), number=item["number"]),
                input_mode="decimal",
                width="8em",
            )
        ),
    )


def _apply_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(StaffPaymentsState.apply_title),
            rx.dialog.description(
                _(
                    "Choose the invoices and how much goes on each. Nothing changes unless all "
                    "of it fits."
                ),
                size="2",
            ),
            rx.cond(
                StaffPaymentsState.apply_rows.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(label)
                                for label in ("", _("Invoice"), _("Due"), _("Balance"), _("Apply"))
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(StaffPaymentsState.apply_rows, _apply_row)),
                    width="100%",
                ),
                rx.text(_("This client has no open invoices in this currency.")),
            ),
            field_error(StaffPaymentsState.apply_error),
            rx.hstack(
                rx.button(_("Close"), variant="soft", on_click=StaffPaymentsState.close_apply),
                rx.button(_("Apply"), on_click=StaffPaymentsState.submit_apply, id="submit-apply"),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
            max_width="40em",
        ),
        open=StaffPaymentsState.apply_open,
    )


def _refund_summary() -> rx.Component:
    """Paid, already refunded and what can still be refunded, read when the dialog opened."""
    info = StaffPaymentsState.refund_info.to(StaffRefundView)
    return rx.cond(
        StaffPaymentsState.refund_info,
        rx.vstack(
            summary_row(_("Paid"), info.amount),
            summary_row(
                _("Already refunded"),
                rx.cond(info.has_refunds, info.refunded, _("Nothing yet")),
            ),
            summary_row(_("Can still be refunded"), info.refundable),
            rx.cond(
                info.held_back != "",
                rx.text(
                    fill(
                        _(
                            "%(amount)s is not refundable: the client already used plan-change "
                            "credit paid for by this payment."
                        ),
                        amount=info.held_back,
                    ),
                    size="2",
                    color_scheme="gray",
                ),
            ),
            width="100%",
            spacing="1",
            margin_y="0.75em",
            id="refund-summary",
        ),
    )


def _refund_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(StaffPaymentsState.refund_title),
            rx.dialog.description(
                _(
                    "Leave the amount empty to refund everything that is left. The money goes back "
                    "to the card through Stripe."
                ),
                size="2",
            ),
            _refund_summary(),
            rx.input(
                value=StaffPaymentsState.refund_amount,
                on_change=StaffPaymentsState.set_refund_amount,
                placeholder=_("Amount (empty = all that is left)"),
                aria_label=_("Refund amount"),
                input_mode="decimal",
                id="refund-amount",
            ),
            field_error(StaffPaymentsState.refund_error),
            rx.hstack(
                rx.button(
                    _("Close"),
                    variant="soft",
                    on_click=StaffPaymentsState.close_refund,
                    disabled=StaffPaymentsState.refunding,
                ),
                rx.button(
                    rx.cond(StaffPaymentsState.refunding, rx.spinner(size="2"), rx.fragment()),
                    _("Refund"),
                    # Solid red's white text is below 4.5:1 contrast; the soft one is not.
                    variant="soft",
                    color_scheme="red",
                    on_click=StaffPaymentsState.submit_refund,
                    disabled=StaffPaymentsState.refunding,
                    id="submit-refund",
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
        open=StaffPaymentsState.refund_open,
    )


def staff_payments_page() -> rx.Component:
    table = rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label)
                    for label in (
                        _("Number"),
                        _("Client"),
                        _("Date"),
                        _("Method"),
                        _("Status"),
                        _("Amount"),
                        _("Unapplied"),
                        _("Refunded"),
                        "",
                    )
                ]
            )
        ),
        rx.table.body(rx.foreach(StaffPaymentsState.rows, _row)),
        width="100%",
        variant="surface",
    )
    return rx.vstack(
        page_heading(_("Payments")),
        labelled_select(
            [("all", _("All payments")), ("unapplied", _("With unapplied money"))],
            value=StaffPaymentsState.status_filter,
            on_change=StaffPaymentsState.set_filter,
            label=_("Show"),
        ),
        rx.cond(
            StaffPaymentsState.notice != "",
            callout(StaffPaymentsState.notice, icon="check", color_scheme="green", role="status"),
        ),
        rx.cond(
            StaffPaymentsState.error != "",
            callout(
                StaffPaymentsState.error, icon="triangle-alert", color_scheme="red", role="alert"
            ),
        ),
        rx.cond(
            StaffPaymentsState.loading,
            loading_block(),
            rx.cond(
                StaffPaymentsState.rows.length() > 0,
                rx.box(table, width="100%", overflow_x="auto"),
                empty_state(_("No payments"), _("Nothing matches this filter.")),
            ),
        ),
        rx.hstack(
            rx.button(
                _("Previous"),
                on_click=StaffPaymentsState.previous_page,
                disabled=StaffPaymentsState.page <= 1,
                variant="soft",
            ),
            rx.text(fill(_("Page %(page)s"), page=StaffPaymentsState.page.to_string())),
            rx.button(
                _("Next"),
                on_click=StaffPaymentsState.next_page,
                disabled=~StaffPaymentsState.has_next,
                variant="soft",
            ),
            align="center",
            spacing="3",
        ),
        _apply_dialog(),
        _refund_dialog(),
        width="100%",
        spacing="4",
    )
