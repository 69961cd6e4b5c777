"""/staff/subscriptions: the company's subscriptions, past-due ones first, paged on the server,
with cancelling one for the client (and the refund the client side would give, when it would)."""

from __future__ import annotations

import asyncio
from datetime import date

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import empty_state, keyed_badge, loading_block, page_heading
from portal_app.components.staff_documents import labelled_select
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.gateways.base import GatewayError
from portal_app.gateways.factory import get_gateway
from portal_app.services.subscriptions import staff_subscriptions
from portal_app.services.subscriptions.staff_subscriptions import StaffSubscriptionRow
from portal_app.state.staff import StaffState
from portal_app.state.translate import _, fill

# Badge colours by status key (services/subscriptions/subscriptions.status_key): the label is
# in the staff user's language.
SUBSCRIPTION_COLORS = {
    "trialing": "blue",
    "active": "green",
    "ending": "amber",
    "past_due": "red",
    "cancel_requested": "amber",
    "cancelled": "gray",
    "paused": "gray",
}
FILTER_LABELS = {
    "all": gettext("All"),
    "past_due": gettext("Past due"),
    "trialing": gettext("Trial"),
    "active": gettext("Active"),
    "paused": gettext("Paused"),
    "cancel_requested": gettext("Cancellation requested"),
    "cancelled": gettext("Cancelled"),
}


class StaffSubscriptionsState(StaffState):
    """The list and the cancel dialog; the service re-checks the staff session, the company
    and the subscription's state whatever the browser sends."""

    rows: list[StaffSubscriptionRow] = []
    status_filter: str = "all"
    page: int = 1
    has_next: bool = False
    loading: bool = True
    notice: str = ""
    error: str = ""
    dialog_open: bool = False
    cancel_title: str = ""
    cancel_offer: str = ""
    cancel_refund: bool = False
    cancel_reason: str = ""
    cancelling: bool = False
    _cancel_id: int = 0

    def _load_list(self, actor) -> None:
        if self.status_filter not in staff_subscriptions.STATUS_FILTERS:
            self.status_filter = "all"
        with session_scope() as db:
            result = staff_subscriptions.list_subscriptions(
                db, actor=actor, status=self.status_filter, page=self.page
            )
        self.rows = result.rows
        self.page = result.page
        self.has_next = result.has_next
        self.loading = False

    def _reload(self):
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        self._load_list(actor)
        return None

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        self.notice = self.error = ""
        self.dialog_open = False
        return self._reload()

    @rx.event
    def set_status_filter(self, value: str):
        self.status_filter = str(value)[:20]
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

    def _pause_or_resume(self, subscription_id: int, resume: bool):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        self.notice = self.error = ""
        try:
            with session_scope() as db:
                if resume:
                    staff_subscriptions.resume_subscription(
                        db, actor=actor, subscription_id=subscription_id
                    )
                else:
                    staff_subscriptions.pause_subscription(
                        db, actor=actor, subscription_id=subscription_id
                    )
            self.notice = (
                gettext("Resumed: it renews again.")
                if resume
                else gettext("Paused: it is not renewed or charged until resumed.")
            )
        except (ValidationError, ReadOnlyError) as exc:
            self.error = getattr(exc, "message", "") or str(exc)
        except NotFoundError:
            self.error = gettext("This subscription no longer exists.")
        self._load_list(actor)
        return None

    @rx.event
    def pause(self, subscription_id: int):
        return self._pause_or_resume(subscription_id, resume=False)

    @rx.event
    def resume(self, subscription_id: int):
        return self._pause_or_resume(subscription_id, resume=True)

    @rx.event
    def open_cancel(self, subscription_id: int):
        # Only a row of the list just shown; the service checks it again on confirming.
        row = next((r for r in self.rows if r.id == subscription_id and r.can_cancel), None)
        if row is None:
            return
        self._cancel_id = row.id
        self.cancel_title = gettext("%(plan)s for %(client)s") % {
            "plan": row.plan_name,
            "client": row.client_name,
        }
        self.cancel_offer = row.refund_offer
        self.cancel_refund = False
        self.cancel_reason = ""
        self.dialog_open = True

    @rx.event
    def set_dialog_open(self, value: bool):
        self.dialog_open = bool(value) and self._cancel_id != 0

    @rx.event
    def set_cancel_refund(self, value: bool):
        self.cancel_refund = bool(value)

    @rx.event
    def set_cancel_reason(self, value: str):
        self.cancel_reason = str(value)[:1000]

    @rx.event(background=True)
    async def confirm_cancel(self):
        """Cancel the chosen subscription (a refund goes through the gateway, off the loop)."""
        async with self:
            actor = self._staff_actor()
            if actor is None:
                return self._staff_login_redirect()
            if self.cancelling or not self._cancel_id:
                return None
            self.cancelling = True
            self.notice = self.error = ""
            args = (actor, self._cancel_id, self.cancel_refund, self.cancel_reason)
        try:
            outcome = await asyncio.to_thread(_cancel, *args)
            message, failed = outcome.message, False
        except (ValidationError, ReadOnlyError) as exc:
            message, failed = getattr(exc, "message", "") or str(exc), True
        except NotFoundError:
            message, failed = gettext("This subscription no longer exists."), True
        except GatewayError:
            message = gettext("The refund could not be made; nothing changed. Try again.")
            failed = True
        async with self:
            self.cancelling = False
            self.dialog_open = False
            self._cancel_id = 0
            if failed:
                self.error = message
            else:
                self.notice = message
            self._load_list(actor)
        return None


def _cancel(actor, subscription_id: int, refund: bool, reason: str):
    return staff_subscriptions.cancel_subscription(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        subscription_id=subscription_id,
        refund=refund,
        reason=reason,
        today=date.today(),
    )


def _row(item: StaffSubscriptionRow) -> rx.Component:
    state = StaffSubscriptionsState
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(item.client_name, href="/staff/clients/" + item.client_id.to_string())
        ),
        rx.table.cell(item.plan_name),
        rx.table.cell(item.price, white_space="nowrap"),
        rx.table.cell(keyed_badge(item.status_label, item.status_key, SUBSCRIPTION_COLORS)),
        rx.table.cell(
            rx.cond(
                item.next_renewal != "",
                item.next_renewal,
                rx.cond(
                    item.cancel_at != "", fill(_("Ends %(date)s"), date=item.cancel_at), _("None")
                ),
            ),
            white_space="nowrap",
        ),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    item.can_pause,
                    rx.button(
                        _("Pause"),
                        size="1",
                        variant="soft",
                        on_click=state.pause(item.id),
                        aria_label=fill(
                            _("Pause %(plan)s for %(client)s"),
                            plan=item.plan_name,
                            client=item.client_name,
                        ),
                    ),
                ),
                rx.cond(
                    item.can_resume,
                    rx.button(
                        _("Resume"),
                        size="1",
                        variant="soft",
                        on_click=state.resume(item.id),
                        aria_label=fill(
                            _("Resume %(plan)s for %(client)s"),
                            plan=item.plan_name,
                            client=item.client_name,
                        ),
                    ),
                ),
                rx.cond(
                    item.can_cancel,
                    rx.button(
                        _("Cancel…"),
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=state.open_cancel(item.id),
                        aria_label=fill(
                            _("Cancel %(plan)s for %(client)s"),
                            plan=item.plan_name,
                            client=item.client_name,
                        ),
                    ),
                ),
                spacing="2",
            )
        ),
    )


def _cancel_dialog() -> rx.Component:
    state = StaffSubscriptionsState
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(_("Cancel this subscription?")),
            rx.alert_dialog.description(
                fill(
                    _(
                        "%(what)s. A trial or an unpaid period ends now; otherwise it runs to the "
                        "end of the period and is not charged again."
                    ),
                    what=state.cancel_title,
                ),
            ),
            rx.cond(
                # Refunds are for the roles the staff_roles table allows ("refund").
                (state.cancel_offer != "") & state.staff_allowed.contains("refund"),
                rx.box(
                    rx.checkbox(
                        fill(
                            _(
                                "Refund %(amount)s (the last payment, inside the plan's refund "
                                "period) and end it now"
                            ),
                            amount=state.cancel_offer,
                        ),
                        checked=state.cancel_refund,
                        on_change=state.set_cancel_refund,
                        id="cancel-refund",
                    ),
                    margin_top="1em",
                ),
            ),
            rx.text_area(
                value=state.cancel_reason,
                on_change=state.set_cancel_reason,
                placeholder=_("Reason (optional)"),
                aria_label=_("Reason"),
                margin_top="1em",
            ),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(_("Keep it"), variant="soft", color_scheme="gray")
                ),
                rx.button(
                    _("Cancel subscription"),
                    color_scheme="red",
                    high_contrast=True,
                    on_click=state.confirm_cancel,
                    loading=state.cancelling,
                    id="confirm-cancel-subscription",
                ),
                gap="3",
                justify="end",
                wrap="wrap",
                margin_top="1em",
            ),
            max_width="28em",
        ),
        open=state.dialog_open,
        on_open_change=state.set_dialog_open,
    )


def staff_subscriptions_page() -> rx.Component:
    state = StaffSubscriptionsState
    table = rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label)
                    for label in (
                        _("Client"),
                        _("Plan"),
                        _("Price"),
                        _("Status"),
                        _("Next renewal"),
                        "",
                    )
                ]
            )
        ),
        rx.table.body(rx.foreach(state.rows, _row)),
        width="100%",
        variant="surface",
        id="subscriptions-table",
    )
    return rx.vstack(
        page_heading(_("Subscriptions")),
        rx.cond(
            state.notice != "",
            callout(
                state.notice, icon="check", color_scheme="green", role="status", id="subs-notice"
            ),
        ),
        rx.cond(
            state.error != "",
            callout(
                state.error,
                icon="triangle-alert",
                color_scheme="red",
                role="alert",
                id="subs-error",
            ),
        ),
        labelled_select(
            list(FILTER_LABELS.items()),
            value=state.status_filter,
            on_change=state.set_status_filter,
            label=_("Status"),
        ),
        rx.cond(
            state.loading,
            loading_block(),
            rx.cond(
                state.rows.length() > 0,
                rx.box(table, width="100%", overflow_x="auto"),
                empty_state(_("No subscriptions"), _("Nothing matches this filter.")),
            ),
        ),
        rx.hstack(
            rx.button(
                _("Previous"),
                on_click=state.previous_page,
                disabled=state.page <= 1,
                variant="soft",
            ),
            rx.text(fill(_("Page %(page)s"), page=state.page.to_string())),
            rx.button(
                _("Next"), on_click=state.next_page, disabled=~state.has_next, variant="soft"
            ),
            align="center",
            spacing="3",
        ),
        _cancel_dialog(),
        width="100%",
        spacing="4",
    )
