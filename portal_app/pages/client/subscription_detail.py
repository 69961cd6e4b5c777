"""/client/subscriptions/[id]: one subscription, its invoices, and what its plan allows:
change plan (pick a plan, see the proration, confirm), cancel (with an optional reason), pause
for a chosen number of periods (what it does said in words before confirming) and resume now
(services/subscriptions/pausing.py).

Changing, cancelling, pausing or resuming needs a password session: staff previews and
e-mailed-link sessions see the options disabled (the services refuse them too). Amounts come
from the server only.
"""

from __future__ import annotations

import asyncio
from datetime import date

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import field_error
from portal_app.components.documents import record_page
from portal_app.components.records import summary_row
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext, set_language
from portal_app.gateways.base import GatewayError
from portal_app.gateways.factory import get_gateway
from portal_app.pages.client.subscriptions import subscription_badge
from portal_app.schemas.subscription import (
    ChangePreview,
    SubscriptionInvoiceView,
    SubscriptionView,
)
from portal_app.services.identity.actor import Actor
from portal_app.services.subscriptions import cancel as cancelling
from portal_app.services.subscriptions import changes, pausing
from portal_app.services.subscriptions import subscriptions as subs
from portal_app.state.portal import PortalState
from portal_app.state.stripe_card import confirm_payment_script
from portal_app.state.translate import _, fill

MAX_REASON = 1000


class SubscriptionDetailState(PortalState):
    sub: SubscriptionView | None = None
    not_found: bool = False
    notice: str = ""
    change_open: bool = False
    target: str = ""
    preview: ChangePreview | None = None
    change_error: str = ""
    changing: bool = False
    progress: str = ""
    cancel_open: bool = False
    cancel_error: str = ""
    cancelling: bool = False
    pause_open: bool = False
    pause_periods: str = ""
    pause_summary: str = ""
    pause_error: str = ""
    resume_error: str = ""
    pause_busy: bool = False
    _subscription_id: int = 0
    _target_id: int = 0
    _expected_net: int = 0
    _checkout_id: int = 0
    _invoice_id: int = 0

    @rx.event
    def load(self):
        self.sub = None
        self.not_found = False
        self.change_open = self.cancel_open = self.changing = self.cancelling = False
        self._reset_change()
        self.cancel_error = ""
        self._reset_pause()
        self.pause_open = False
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        new = self.router.url.query_parameters.get("new")
        self.notice = gettext("You are subscribed. Thank you!") if new else ""
        try:
            self._subscription_id = subs.parse_subscription_id(self._path_arg())
            self.sub = _view(actor, self._subscription_id)
        except NotFoundError:
            self.not_found = True
            return None
        # No Stripe.js here: an upgrade's 3-D Secure loads it when the bank asks for it.
        return None

    def _reset_change(self) -> None:
        self.target = ""
        self.preview = None
        self.change_error = self.progress = ""
        self._target_id = self._expected_net = 0

    @rx.event
    def set_change_open(self, value: bool):
        if self.changing:
            return
        self.change_open = bool(value)
        self._reset_change()

    @rx.event
    def set_cancel_open(self, value: bool):
        if self.cancelling:
            return
        self.cancel_open = bool(value)
        self.cancel_error = ""

    def _reset_pause(self) -> None:
        self.pause_periods = self.pause_summary = self.pause_error = self.resume_error = ""
        self.pause_busy = False

    @rx.event
    def set_pause_open(self, value: bool):
        if self.pause_busy:
            return
        self.pause_open = bool(value)
        self._reset_pause()

    @rx.event
    def pick_pause(self, value: str):
        """Show what pausing for the picked number of periods does (worded on the server)."""
        set_language(self.lang)  # no session check in this event: its texts in the page's language
        options = {str(o.periods): o.summary for o in (self.sub.pause_options if self.sub else [])}
        self.pause_error = ""
        if not isinstance(value, str) or value not in options:
            self.pause_periods = self.pause_summary = ""
            self.pause_error = gettext("Choose for how many periods.")
            return
        self.pause_periods = value
        self.pause_summary = options[value]

    @rx.event
    def pause(self):
        """Pause for the chosen periods; a second click finds the subscription paused."""
        if self.pause_busy or self.sub is None or not self.sub.pause_options:
            return None
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        set_language(self.lang)
        if not self.pause_periods:
            self.pause_error = gettext("Choose for how many periods.")
            return None
        self.pause_busy = True
        try:
            with session_scope() as db:
                outcome = pausing.pause_subscription(
                    db,
                    actor=actor,
                    subscription_id=self._subscription_id,
                    periods=self.pause_periods,
                    today=date.today(),
                )
        except (ValidationError, NotFoundError, ReadOnlyError) as exc:
            self.pause_busy = False
            self.pause_error = getattr(exc, "message", "") or str(exc)
            return None
        self.sub = _view(actor, self._subscription_id)
        self.notice = outcome.message
        self.pause_open = False
        self._reset_pause()
        return None

    @rx.event
    def resume(self):
        """End the client's pause now; a second click finds it running."""
        if self.pause_busy or self.sub is None or not self.sub.can_resume:
            return None
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        set_language(self.lang)
        self.pause_busy = True
        self.resume_error = ""
        try:
            with session_scope() as db:
                outcome = pausing.resume_subscription(
                    db, actor=actor, subscription_id=self._subscription_id, today=date.today()
                )
        except (ValidationError, NotFoundError, ReadOnlyError) as exc:
            self.pause_busy = False
            self.resume_error = getattr(exc, "message", "") or str(exc)
            return None
        self.sub = _view(actor, self._subscription_id)
        self.notice = outcome.message
        self.pause_busy = False
        return None

    @rx.event
    def pick_plan(self, value: str):
        """Show what changing to the picked plan charges or credits now (from the server)."""
        set_language(self.lang)
        self.change_error = ""
        self.preview = None
        options = {str(o.plan_id): o.plan_id for o in (self.sub.change_options if self.sub else [])}
        if not isinstance(value, str) or value not in options:
            self.change_error = gettext("Choose one of the plans listed.")
            return None
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        self.target = value
        try:
            with session_scope() as db:
                preview = changes.preview_change(
                    db,
                    actor=actor,
                    subscription_id=self._subscription_id,
                    target_plan_id=options[value],
                    today=date.today(),
                )
        except (ValidationError, NotFoundError) as exc:
            self.change_error = getattr(exc, "message", "") or gettext(
                "That plan cannot be chosen."
            )
            return None
        self.preview = preview
        self._target_id = preview.target_plan_id
        self._expected_net = preview.net_minor
        return None

    @rx.event(background=True)
    async def confirm_change(self):
        async with self:
            if self.changing or not self._target_id:
                return
            actor = self._actor()
            if actor is None:
                return self._login_redirect()
            set_language(self.lang)
            self.changing = True
            self.change_error = ""
            self.progress = gettext("Changing your plan…")
            args = (actor, self._subscription_id, self._target_id, self._expected_net)
        try:
            outcome = await asyncio.to_thread(_change, *args)
        except (ValidationError, NotFoundError, ReadOnlyError, GatewayError) as exc:
            async with self:
                self._change_failed(getattr(exc, "message", "") or str(exc))
            return
        return await self._after_change(actor, outcome)

    async def _after_change(self, actor: Actor, outcome: changes.ChangeOutcome):
        if outcome.status == "requires_action":
            async with self:
                self._checkout_id, self._invoice_id = outcome.checkout_id, outcome.invoice_id
                self.progress = gettext("Waiting for your bank's confirmation…")
                gateway = get_gateway()
                return rx.call_script(
                    confirm_payment_script(
                        gateway.js_url(), gateway.publishable_key(), outcome.client_secret
                    ),
                    callback=SubscriptionDetailState.change_authenticated,
                )
        if outcome.status != "done":
            async with self:
                self._change_failed(outcome.message or gettext("Your plan was not changed."))
            return
        async with self:
            subscription_id = self._subscription_id
        view = await asyncio.to_thread(_view, actor, subscription_id)
        async with self:
            if self.preview is None:
                self.notice = gettext("Your plan is changed.")
            elif self.preview.effective == "period_end":
                self.notice = gettext("%(plan)s starts when this period ends.") % {
                    "plan": self.preview.target_name
                }
            else:
                self.notice = gettext("You are now on %(plan)s.") % {
                    "plan": self.preview.target_name
                }
            self.sub = view
            self.changing = False
            self.change_open = False
            self._reset_change()

    @rx.event(background=True)
    async def change_authenticated(self, result: str):
        async with self:
            actor = self._actor()
            if actor is None or not self._checkout_id:
                self.changing = False
                return
            set_language(self.lang)
            args = (
                actor,
                self._subscription_id,
                self._target_id,
                self._invoice_id,
                self._checkout_id,
            )
        try:
            outcome = await asyncio.to_thread(_finish_change, *args)
        except (ValidationError, NotFoundError, ReadOnlyError, GatewayError) as exc:
            async with self:
                self._change_failed(getattr(exc, "message", "") or str(exc))
            return
        return await self._after_change(actor, outcome)

    def _change_failed(self, message: str) -> None:
        self.changing = False
        self.progress = ""
        self.change_error = message

    @rx.event(background=True)
    async def cancel(self, form_data: dict):
        reason = str(form_data.get("reason", ""))[:MAX_REASON]
        async with self:
            if self.cancelling:
                return
            actor = self._actor()
            if actor is None:
                return self._login_redirect()
            set_language(self.lang)
            self.cancelling = True
            self.cancel_error = ""
            subscription_id = self._subscription_id
        try:
            outcome = await asyncio.to_thread(_cancel, actor, subscription_id, reason)
            view = await asyncio.to_thread(_view, actor, subscription_id)
        except (ValidationError, NotFoundError, ReadOnlyError, GatewayError) as exc:
            async with self:
                self.cancelling = False
                self.cancel_error = getattr(exc, "message", "") or str(exc)
            return
        async with self:
            self.notice = outcome.message
            self.sub = view
            self.cancelling = False
            self.cancel_open = False


def _view(actor: Actor, subscription_id: int) -> SubscriptionView:
    with session_scope() as db:
        return subs.subscription_view(db, actor=actor, subscription_id=subscription_id)


def _change(actor: Actor, subscription_id: int, target_id: int, expected: int):
    return changes.change_plan(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        subscription_id=subscription_id,
        target_plan_id=target_id,
        expected_net_minor=expected,
        today=date.today(),
    )


def _finish_change(actor: Actor, subscription_id, target_id, invoice_id, checkout_id):
    return changes.finish_after_action(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        subscription_id=subscription_id,
        target_plan_id=target_id,
        invoice_id=invoice_id,
        checkout_id=checkout_id,
    )


def _cancel(actor: Actor, subscription_id: int, reason: str) -> cancelling.CancelOutcome:
    return cancelling.cancel_subscription(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        subscription_id=subscription_id,
        reason=reason,
        today=date.today(),
    )


# -- page ---------------------------------------------------------------------------------------

S = SubscriptionDetailState


def _invoice(row: SubscriptionInvoiceView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(row.number, href="/client/invoices/" + row.invoice_id.to_string())
        ),
        rx.table.cell(row.date, white_space="nowrap"),
        rx.table.cell(row.amount, text_align="end"),
        rx.table.cell(row.status_label),
    )


def _read_only_note() -> rx.Component:
    return rx.cond(
        S.is_preview | S.is_link_session,
        rx.text(
            rx.cond(
                S.is_preview,
                _("Staff preview cannot change subscriptions."),
                _("Sign in with your password to change or cancel your subscription."),
            ),
            size="2",
            color_scheme="orange",
        ),
    )


def _preview_box(p: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.cond(
            p.effective == "now",
            rx.vstack(
                summary_row(
                    rx.text(
                        fill(
                            _("Unused part of your plan (%(left)s of %(days)s days)"),
                            left=p.remaining_days.to_string(),
                            days=p.period_days.to_string(),
                        )
                    ),
                    rx.text("−", p.credit),
                ),
                summary_row(
                    rx.text(fill(_("%(plan)s for the same days"), plan=p.target_name)), p.charge
                ),
                width="100%",
                spacing="1",
            ),
        ),
        callout(p.summary, icon="info", width="100%", id="change-summary"),
        width="100%",
        spacing="2",
        id="change-preview",
    )


def _change_dialog(s: rx.Var) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                _("Change plan"),
                disabled=S.is_preview | S.is_link_session,
                id="change-plan",
            )
        ),
        rx.dialog.content(
            rx.dialog.title(_("Change plan")),
            rx.dialog.description(
                _("Pick a plan to see what is charged or credited now."), size="2"
            ),
            rx.vstack(
                rx.radio_group.root(
                    rx.vstack(
                        rx.foreach(
                            s.change_options,
                            lambda o: rx.el.label(
                                rx.hstack(
                                    rx.radio_group.item(value=o.plan_id.to_string()),
                                    rx.text(o.name, weight="medium"),
                                    rx.text(o.price, " / ", s.frequency_label, color_scheme="gray"),
                                    spacing="2",
                                    align="center",
                                )
                            ),
                        ),
                        spacing="2",
                    ),
                    value=S.target,
                    on_change=S.pick_plan,
                    aria_label=_("New plan"),
                ),
                rx.cond(S.preview, _preview_box(S.preview.to(ChangePreview))),
                rx.cond(
                    S.change_error != "",
                    callout(
                        S.change_error,
                        icon="circle-alert",
                        color_scheme="red",
                        role="alert",
                        width="100%",
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(
                        rx.button(_("Keep my plan"), variant="soft", color_scheme="gray")
                    ),
                    rx.button(
                        rx.cond(S.changing, rx.spinner(size="2")),
                        rx.cond(S.changing, S.progress, _("Confirm change")),
                        on_click=S.confirm_change,
                        disabled=~S.preview.bool() | S.changing,
                        id="confirm-change",
                    ),
                    justify="end",
                    width="100%",
                    spacing="3",
                ),
                spacing="4",
                margin_top="1em",
                width="100%",
            ),
            max_width="32em",
        ),
        open=S.change_open,
        on_open_change=S.set_change_open,
    )


def _cancel_dialog(s: rx.Var) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.cond(s.cancel_is_request, _("Request cancellation"), _("Cancel subscription")),
                color_scheme="red",
                variant="soft",
                disabled=S.is_preview | S.is_link_session,
                id="cancel-subscription",
            )
        ),
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(s.cancel_is_request, _("Request cancellation"), _("Cancel subscription"))
            ),
            rx.dialog.description(
                rx.cond(
                    s.cancel_is_request,
                    _("We will review your request and confirm it with you."),
                    _(
                        "Within the refund period your last payment is refunded and the "
                        "subscription ends now; otherwise it runs to the end of the period and "
                        "is not charged again."
                    ),
                ),
                size="2",
            ),
            rx.form(
                rx.vstack(
                    rx.el.label(
                        _("Reason (optional)"),
                        html_for="cancel-reason",
                        style={"font_weight": "500"},
                    ),
                    rx.text_area(
                        id="cancel-reason",
                        name="reason",
                        max_length=MAX_REASON,
                        width="100%",
                        rows="3",
                    ),
                    rx.cond(
                        S.cancel_error != "",
                        callout(
                            S.cancel_error,
                            icon="circle-alert",
                            color_scheme="red",
                            role="alert",
                            width="100%",
                        ),
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(
                                _("Keep subscription"),
                                variant="soft",
                                color_scheme="gray",
                                type="button",
                            )
                        ),
                        rx.button(
                            rx.cond(S.cancelling, rx.spinner(size="2")),
                            rx.cond(
                                s.cancel_is_request, _("Send request"), _("Cancel subscription")
                            ),
                            type="submit",
                            color_scheme="red",
                            disabled=S.cancelling,
                            id="confirm-cancel",
                        ),
                        justify="end",
                        width="100%",
                        spacing="3",
                    ),
                    spacing="3",
                    width="100%",
                    margin_top="1em",
                ),
                on_submit=S.cancel,
                reset_on_submit=False,
            ),
            max_width="32em",
        ),
        open=S.cancel_open,
        on_open_change=S.set_cancel_open,
    )


def _pause_option(o: rx.Var) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.radio_group.item(value=o.periods.to_string()),
            rx.text(o.label),
            spacing="2",
            align="center",
        )
    )


def _pause_dialog(s: rx.Var) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                _("Pause"),
                variant="soft",
                disabled=S.is_preview | S.is_link_session,
                id="pause-subscription",
            )
        ),
        rx.dialog.content(
            rx.dialog.title(_("Pause subscription")),
            rx.dialog.description(
                _(
                    "The period you paid for runs to its end. Choose for how many periods "
                    "nothing is charged; your subscription then resumes by itself."
                ),
                size="2",
            ),
            rx.vstack(
                rx.text(_("Pause for"), weight="medium", id="pause-periods-label"),
                rx.radio_group.root(
                    rx.vstack(rx.foreach(s.pause_options, _pause_option), spacing="2"),
                    value=S.pause_periods,
                    on_change=S.pick_pause,
                    aria_labelledby="pause-periods-label",
                    id="pause-periods",
                ),
                field_error(S.pause_error),
                rx.cond(
                    S.pause_summary != "",
                    callout(S.pause_summary, icon="info", width="100%", id="pause-summary"),
                ),
                rx.hstack(
                    rx.dialog.close(
                        rx.button(_("Keep it running"), variant="soft", color_scheme="gray")
                    ),
                    rx.button(
                        rx.cond(S.pause_busy, rx.spinner(size="2")),
                        _("Pause subscription"),
                        on_click=S.pause,
                        disabled=(S.pause_periods == "") | S.pause_busy,
                        id="confirm-pause",
                    ),
                    justify="end",
                    width="100%",
                    spacing="3",
                    wrap="wrap",
                ),
                spacing="3",
                margin_top="1em",
                width="100%",
            ),
            max_width="32em",
        ),
        open=S.pause_open,
        on_open_change=S.set_pause_open,
    )


def _paused_box(s: rx.Var) -> rx.Component:
    return rx.cond(
        s.status == "paused",
        rx.vstack(
            rx.cond(
                s.can_resume,
                rx.vstack(
                    rx.text(s.resume_summary, size="2", id="resume-summary"),
                    rx.button(
                        rx.cond(S.pause_busy, rx.spinner(size="2")),
                        _("Resume now"),
                        on_click=S.resume,
                        disabled=S.is_preview | S.is_link_session | S.pause_busy,
                        id="resume-subscription",
                    ),
                    field_error(S.resume_error),
                    spacing="2",
                    align="start",
                ),
                rx.text(
                    _("Your subscription is paused. Contact us to resume it."),
                    size="2",
                    color_scheme="gray",
                ),
            ),
            spacing="2",
            align="start",
        ),
    )


def _detail(s: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(s.plan_name, size="7", as_="h1"),
            subscription_badge(s.status_label, s.status_key),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(s.plan_description != "", rx.text(s.plan_description, color_scheme="gray")),
        rx.cond(
            S.notice != "",
            callout(
                S.notice,
                icon="circle-check",
                color_scheme="green",
                role="status",
                width="100%",
                id="subscription-notice",
            ),
        ),
        rx.card(
            rx.vstack(
                summary_row(_("Price"), rx.text(s.price, " / ", s.frequency_label)),
                summary_row(_("Current period"), s.current_period),
                rx.cond(s.trial_ends != "", summary_row(_("Trial ends"), s.trial_ends)),
                rx.cond(
                    s.next_charge != "",
                    summary_row(
                        _("Next charge"),
                        rx.text(
                            fill(
                                _("%(amount)s on %(date)s"),
                                amount=s.next_charge_amount,
                                date=s.next_charge,
                            )
                        ),
                    ),
                ),
                rx.cond(
                    s.pending_plan_name != "",
                    summary_row(_("From the next period"), s.pending_plan_name),
                ),
                rx.cond(s.cancel_at != "", summary_row(_("Ends on"), s.cancel_at)),
                rx.cond(s.paused_until != "", summary_row(_("Paused until"), s.paused_until)),
                spacing="2",
                width="100%",
                id="subscription-summary",
            ),
            width="100%",
            max_width="36em",
        ),
        _paused_box(s),
        rx.cond(
            s.can_change | s.can_cancel | (s.pause_options.length() > 0) | s.can_resume,
            rx.vstack(
                rx.hstack(
                    rx.cond(s.can_change, _change_dialog(s)),
                    rx.cond(s.pause_options.length() > 0, _pause_dialog(s)),
                    rx.cond(s.can_cancel, _cancel_dialog(s)),
                    spacing="3",
                    wrap="wrap",
                ),
                rx.cond(s.refund_note != "", rx.text(s.refund_note, size="2", color_scheme="gray")),
                _read_only_note(),
                spacing="2",
                align="start",
            ),
        ),
        rx.heading(_("Invoices"), size="4", as_="h2"),
        rx.cond(
            s.invoices.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(_("Invoice")),
                        rx.table.column_header_cell(_("Date")),
                        rx.table.column_header_cell(_("Amount"), text_align="end"),
                        rx.table.column_header_cell(_("Status")),
                    )
                ),
                rx.table.body(rx.foreach(s.invoices, _invoice)),
                width="100%",
                variant="surface",
                id="subscription-invoices",
            ),
            rx.text(_("No invoices yet."), color_scheme="gray"),
        ),
        rx.link(_("← All subscriptions"), href=routes.CLIENT_SUBSCRIPTIONS),
        width="100%",
        spacing="4",
        align="start",
    )


def subscription_detail_page() -> rx.Component:
    return record_page(
        S.not_found,
        S.sub,
        _detail(S.sub.to(SubscriptionView)),
        noun="Subscription",
        back_href=routes.CLIENT_SUBSCRIPTIONS,
    )
