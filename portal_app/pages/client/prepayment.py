"""/client/prepayment: pay an amount ahead of any invoice (the "prepayment" module).

The amount is checked on the server (money.py rules for the company's currency, the company's
minimum and maximum) and each problem is shown next to its field. The payment is unapplied
until staff apply it; "Repeat" keeps the card and charges it on a schedule (the job), which
the client can stop here.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import date

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.card_choice import card_choice
from portal_app.components.common import (
    empty_state,
    field_error,
    page_heading,
    visually_hidden,
)
from portal_app.components.test_mode import test_mode_banner
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext, set_language
from portal_app.core.schedule import FREQUENCY_LABELS
from portal_app.gateways.factory import get_gateway
from portal_app.schemas.subscription import PrepaymentLimits
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments import prepayments as pre
from portal_app.services.payments.prepayments import PrepaymentRequest, ScheduleView
from portal_app.state.card_payment import CardPaymentMixin
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill, pgettext


class PrepaymentState(CardPaymentMixin, PortalState):
    limits: PrepaymentLimits | None = None
    unavailable: bool = False
    loaded: bool = False
    repeat: bool = False
    frequency: str = "monthly"
    schedules: list[ScheduleView] = []
    field_errors: dict[str, str] = {}
    notice: str = ""
    _request: dict = {}

    @rx.event
    def load(self):
        self.loaded = self.unavailable = False
        self.field_errors = {}
        self.notice = ""
        self._reset_card_payment()
        self.repeat = False
        self.frequency = "monthly"
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        try:
            with session_scope() as db:
                self.limits = pre.limits(db, actor=actor)
                self.schedules = pre.list_schedules(db, actor=actor)
                cards = co.saved_cards(db, actor=actor)
        except NotFoundError:
            self.unavailable = True
            self.loaded = True
            return None
        self._offer_cards(cards)
        self.loaded = True
        return self._mount_card()

    @rx.event
    def set_repeat(self, value: bool):
        self.repeat = bool(value) and not self.is_link_session

    @rx.event
    def set_frequency(self, value: str):
        self.frequency = value if value in FREQUENCY_LABELS else "monthly"

    @rx.event
    def stop_schedule(self, schedule_id: int):
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        set_language(self.lang)  # no shell check in this event: its texts in the page's language
        try:
            with session_scope() as db:
                pre.cancel_schedule(db, actor=actor, schedule_id=schedule_id)
            with session_scope() as db:
                self.schedules = pre.list_schedules(db, actor=actor)
            self.notice = gettext("The repeated pre-payment is stopped.")
        except (NotFoundError, ReadOnlyError) as exc:
            self.form_error = (
                str(exc)
                if isinstance(exc, ReadOnlyError)
                else gettext("That schedule is not active.")
            )
        return None

    @rx.event(background=True)
    async def pay(self, form_data: dict):
        async with self:
            if self.processing:
                return
            actor = self._actor()
            if actor is None:
                return self._login_redirect()
            set_language(self.lang)
            self._begin_processing(gettext("Checking the amount…"))
            self.field_errors = {}
            self.notice = ""
            fields = {
                "amount": str(form_data.get("amount", ""))[:40],
                "notes": str(form_data.get("notes", ""))[: pre.MAX_NOTES + 1],
                "repeat": self.repeat,
                "frequency": self.frequency,
                "times": str(form_data.get("times", ""))[:10],
            }
            method_id = self._chosen_method_id()
        try:
            request, checkout_id = await asyncio.to_thread(_start, actor, fields, method_id)
        except ValidationError as exc:
            async with self:
                self._stop()
                if exc.field in ("amount", "notes", "frequency", "times"):
                    self.field_errors = {exc.field: exc.message}
                else:
                    self.form_error = exc.message
            return
        except (NotFoundError, ReadOnlyError) as exc:
            async with self:
                self._stop()
                self.form_error = (
                    str(exc)
                    if isinstance(exc, ReadOnlyError)
                    else gettext("That card is not available.")
                )
            return
        async with self:
            self._request = _as_dict(request)
            self._checkout_id = checkout_id
            # A repeated pre-payment charges the same card later.
            self._keep_card = request.repeat
        return await self._pay_with_card(actor, method_id, "prepayment")

    def _charge_call(self, actor: Actor, method_ref: str, method_id: int | None):
        return functools.partial(
            _pay, actor, self._checkout_id, method_ref, _as_request(self._request)
        )

    def _confirm_call(self, actor: Actor):
        return functools.partial(
            _confirm, actor, self._checkout_id, self._card_method_ref, _as_request(self._request)
        )

    def _paid_url(self, outcome: co.ChargeOutcome) -> str:
        return f"{routes.payment_url(outcome.payment_id)}?paid=1"

    def _pending_note(self) -> str:
        return gettext("We will add it to your account when it completes.")


def _as_dict(request: PrepaymentRequest) -> dict:
    return {
        "amount_minor": request.amount_minor,
        "currency": request.currency,
        "notes": request.notes,
        "repeat": request.repeat,
        "frequency": request.frequency,
        "times": request.times,
    }


def _as_request(data: dict) -> PrepaymentRequest:
    # Built only from what the server checked and kept in a backend-only var.
    return PrepaymentRequest(**data)


def _start(actor: Actor, fields: dict, method_id: int | None) -> tuple[PrepaymentRequest, int]:
    with session_scope() as db:
        request = pre.check_request(db, actor=actor, **fields)
        checkout_id = pre.start_prepayment(
            db, actor=actor, request=request, payment_method_id=method_id
        )
    return request, checkout_id


def _pay(
    actor: Actor, checkout_id: int, method_ref: str, request: PrepaymentRequest
) -> tuple[co.ChargeOutcome, int]:
    outcome = pre.pay(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        checkout_id=checkout_id,
        method_ref=method_ref,
        request=request,
        today=date.today(),
    )
    return outcome, checkout_id


def _confirm(
    actor: Actor, checkout_id: int, method_ref: str, request: PrepaymentRequest
) -> co.ChargeOutcome:
    return pre.finish_after_action(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        checkout_id=checkout_id,
        method_ref=method_ref,
        request=request,
        today=date.today(),
    )


# -- page ---------------------------------------------------------------------------------------

P = PrepaymentState


def _field(label, name: str, control: rx.Component, hint=None) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"font_weight": "500"}),
        control,
        hint if hint is not None else rx.fragment(),
        field_error(P.field_errors.get(name, "")),
        spacing="1",
        width="100%",
        align="start",
    )


def _invalid(name: str):
    return rx.cond(P.field_errors.get(name, "") != "", "true", "false")


def _repeat_fields() -> rx.Component:
    return rx.vstack(
        rx.el.label(
            rx.hstack(
                rx.checkbox(
                    checked=P.repeat,
                    on_change=P.set_repeat,
                    disabled=P.is_link_session,
                    aria_label=_("Repeat this payment"),
                ),
                rx.text(_("Repeat this payment (your card is kept for it)")),
                spacing="2",
                align="center",
            )
        ),
        rx.cond(
            P.repeat,
            rx.flex(
                _field(
                    _("How often"),
                    "frequency",
                    rx.select.root(
                        rx.select.trigger(id="frequency", aria_label=_("How often")),
                        rx.select.content(
                            *[
                                rx.select.item(_(label), value=key)
                                for key, label in FREQUENCY_LABELS.items()
                            ]
                        ),
                        value=P.frequency,
                        on_change=P.set_frequency,
                    ),
                ),
                _field(
                    _("Number of times"),
                    "times",
                    rx.input(
                        id="times",
                        name="times",
                        input_mode="numeric",
                        max_length=3,
                        placeholder=_("Until I cancel"),
                        aria_invalid=_invalid("times"),
                    ),
                    rx.text(
                        _("In all, including today's; empty: until you stop it."),
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                gap="1em",
                direction=rx.breakpoints(initial="column", sm="row"),
                width="100%",
            ),
        ),
        rx.cond(
            P.is_link_session,
            rx.text(
                _("Sign in with your password to set up repeated payments."),
                size="2",
                color_scheme="gray",
            ),
        ),
        width="100%",
        spacing="3",
        align="start",
    )


def _form(limits: rx.Var) -> rx.Component:
    return rx.form(
        rx.vstack(
            _field(
                rx.text(fill(_("Amount (%(currency)s)"), currency=limits.currency)),
                "amount",
                rx.input(
                    id="amount",
                    name="amount",
                    input_mode="decimal",
                    max_length=20,
                    width="12em",
                    aria_invalid=_invalid("amount"),
                    aria_describedby="amount-limits",
                ),
                rx.text(
                    fill(
                        _("At least %(minimum)s, at most %(maximum)s."),
                        minimum=limits.minimum,
                        maximum=limits.maximum,
                    ),
                    size="1",
                    color_scheme="gray",
                    id="amount-limits",
                ),
            ),
            _field(
                _("Notes (optional)"),
                "notes",
                rx.text_area(
                    id="notes",
                    name="notes",
                    max_length=pre.MAX_NOTES,
                    width="100%",
                    rows="2",
                    aria_invalid=_invalid("notes"),
                ),
            ),
            _repeat_fields(),
            card_choice(P),
            rx.cond(
                P.form_error != "",
                callout(
                    P.form_error,
                    icon="circle-alert",
                    color_scheme="red",
                    role="alert",
                    width="100%",
                ),
            ),
            rx.button(
                rx.cond(P.processing, rx.spinner(size="2")),
                rx.cond(P.processing, P.progress, _("Pay now")),
                type="submit",
                size="3",
                width=["100%", "auto"],
                disabled=P.processing | P.is_preview,
                id="prepay-button",
            ),
            rx.cond(
                P.is_preview,
                rx.text(_("Staff preview cannot make payments."), color_scheme="orange", size="2"),
            ),
            spacing="4",
            width="100%",
            align="start",
        ),
        on_submit=P.pay,
        reset_on_submit=False,
        width="100%",
    )


def _schedule(row: ScheduleView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.amount),
        rx.table.cell(row.frequency_label),
        rx.table.cell(row.next_date),
        rx.table.cell(row.left),
        rx.table.cell(
            rx.button(
                _("Stop"),
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=P.stop_schedule(row.id),
                disabled=P.is_preview | P.is_link_session,
                aria_label=fill(_("Stop the repeated payment of %(amount)s"), amount=row.amount),
            )
        ),
    )


def _schedules() -> rx.Component:
    return rx.cond(
        P.schedules.length() > 0,
        rx.vstack(
            rx.heading(_("Repeated pre-payments"), size="4", as_="h2"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(_("Amount")),
                        rx.table.column_header_cell(_("How often")),
                        rx.table.column_header_cell(pgettext("next date", "Next")),
                        rx.table.column_header_cell(_("Left")),
                        rx.table.column_header_cell(visually_hidden(_("Actions"))),
                    )
                ),
                rx.table.body(rx.foreach(P.schedules, _schedule)),
                width="100%",
                variant="surface",
                id="prepayment-schedules",
            ),
            width="100%",
            spacing="2",
            align="start",
        ),
    )


def prepayment_page() -> rx.Component:
    return rx.vstack(
        page_heading(
            _("Pre-payment"),
            _(
                "Pay ahead of your invoices. The amount is kept on your account as an unapplied "
                "payment: you can use it when you pay invoices here, and our team can apply it "
                "to invoices."
            ),
        ),
        test_mode_banner(P.test_mode),
        rx.cond(
            P.notice != "",
            callout(
                P.notice, icon="circle-check", color_scheme="green", role="status", width="100%"
            ),
        ),
        rx.cond(
            P.unavailable,
            empty_state(
                _("Not available"),
                _("Your portal does not include pre-payments."),
                icon="lock",
            ),
            rx.cond(
                P.limits,
                rx.vstack(
                    _form(P.limits.to(PrepaymentLimits)),
                    _schedules(),
                    width="100%",
                    spacing="5",
                    max_width="40em",
                ),
                rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
