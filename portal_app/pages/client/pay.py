"""/client/pay: checkout for the selected invoices (card via Stripe.js, saved card, credit)."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app.components.accessible import badge, callout
from portal_app.components.card_choice import card_choice
from portal_app.components.code_step_up import code_step_up
from portal_app.components.common import empty_state, page_heading
from portal_app.components.test_mode import test_mode_banner
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.gateways.base import GatewayError
from portal_app.gateways.factory import get_gateway
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments.checkout import CheckoutLineView, CheckoutPreview
from portal_app.state.card_payment import (
    CardPaymentMixin,
    charge_checkout,
    confirm_checkout,
    error_message,
    keep_paid_checkout_card,
)
from portal_app.state.code_step_up import CodeStepUpMixin
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill


def _parse_ids(raw: str) -> list[int]:
    ids = []
    for part in raw.split(",")[: co.MAX_INVOICES_PER_CHECKOUT + 1]:
        part = part.strip()
        if part.isdigit() and len(part) <= 12:
            ids.append(int(part))
    return ids


class PayState(CardPaymentMixin, CodeStepUpMixin, PortalState):
    """Checkout. Amounts, totals and the outcome are decided on the server; the browser only
    confirms the card with Stripe.js (state/card_payment.py)."""

    lines: list[CheckoutLineView] = []
    currency: str = ""
    total: str = ""
    credit_available: str = ""
    has_credit: bool = False
    apply_credit: bool = False
    # Unapplied money of earlier payments (pre-payments, over-payments), offered like credit.
    unapplied_available: str = ""
    has_unapplied: bool = False
    apply_unapplied: bool = False
    allow_amount_edit: bool = False
    save_card: bool = False
    not_found: bool = False
    field_errors: dict[str, str] = {}
    loaded: bool = False
    # The summary under the invoices, worked out by the server as the client types.
    summary_ok: bool = False
    due: str = ""
    paying: str = ""
    paying_differs: bool = False
    credit_applied: str = ""
    credit_used: bool = False
    unapplied_applied: str = ""
    unapplied_used: bool = False
    card_amount: str = ""
    card_needed: bool = True  # credit and unapplied money do not cover it all
    over_payment: str = ""
    has_over_payment: bool = False
    confirm_over: bool = False
    pay_label: str = ""  # the server's "Pay $135.00" in the contact's language
    # An unfinished attempt (3-D Secure left open) holding these invoices.
    held_message: str = ""
    held_cancellable: bool = False
    notice: str = ""
    _held_checkout_id: int = 0
    _invoice_ids: list[int] = []
    _typed: dict[int, str] = {}
    # The credit and card amounts the summary showed: a checkout that would use less credit
    # or charge another amount is refused with the new figures, never charged by surprise.
    _credit_seen: int = 0
    _unapplied_seen: int = 0
    _card_seen: int | None = None

    @rx.event
    def load(self):
        self.loaded = False
        self.not_found = False
        self.field_errors = {}
        self.notice = ""
        self._typed = {}
        self.confirm_over = False
        self._reset_card_payment()
        self._reset_step_up()
        actor = self._begin()
        self.pay_label = gettext("Pay now")
        if actor is None:
            return self._login_redirect()
        params = self.router.url.query_parameters
        try:
            with session_scope() as db:
                pay_all = str(params.get(routes.PAY_ALL_PARAM) or "")[:3]
                if pay_all:
                    ids = co.payable_ids(db, actor=actor, currency=pay_all)
                else:
                    ids = _parse_ids(str(params.get("invoices", "")))
                view = co.preview(db, actor=actor, invoice_ids=ids)
                cards = co.saved_cards(db, actor=actor)
        except NotFoundError:
            self.not_found = True
            self.loaded = True
            return None
        except ValidationError as exc:
            self.form_error = exc.message
            self.lines = []
            self.loaded = True
            return None
        self._invoice_ids = [line.invoice_id for line in view.lines]
        self.lines = view.lines
        self.currency = view.currency
        self.total = view.total
        self.credit_available = view.credit_available
        self.has_credit = view.credit_available_minor > 0
        self.apply_credit = self.has_credit
        self._offer_unapplied(view)
        self.allow_amount_edit = view.allow_under_payment or view.allow_over_payment
        self._offer_cards(cards)
        self.save_card = False
        self._refresh(actor)
        self.loaded = True
        return self._mount_card()

    def _offer_unapplied(self, view: CheckoutPreview) -> None:
        """Offer the unapplied payment money as the server found it (ticked, like credit)."""
        self.unapplied_available = view.unapplied_available
        self.has_unapplied = view.unapplied_available_minor > 0
        self.apply_unapplied = self.has_unapplied

    def _refresh(self, actor: Actor) -> None:
        """Ask the server for the summary and for an attempt holding these invoices."""
        try:
            summary, held = _summary(
                actor,
                self._invoice_ids,
                dict(self._typed),
                self.apply_credit,
                self.apply_unapplied,
            )
        except ValidationError as exc:
            self.summary_ok = False
            self.card_needed = True
            self.pay_label = gettext("Pay now")
            self._card_seen = None
            if exc.field.startswith("amount_"):
                self.field_errors = {exc.field: exc.message}
            else:
                self.form_error = exc.message
            return
        except NotFoundError:
            self.not_found = True
            return
        self.field_errors = {}
        self.summary_ok = True
        self.due = summary.due
        self.paying = summary.paying
        self.paying_differs = summary.paying_differs
        self.credit_applied = summary.credit_applied
        self.credit_used = summary.credit_applied_minor > 0
        self.unapplied_applied = summary.unapplied_applied
        self.unapplied_used = summary.unapplied_applied_minor > 0
        self._unapplied_seen = summary.unapplied_applied_minor
        self.card_amount = summary.card
        self.card_needed = summary.card_minor > 0
        self.over_payment = summary.over_payment
        self.has_over_payment = summary.over_payment_minor > 0
        if not self.has_over_payment:
            self.confirm_over = False
        self.pay_label = summary.button_label
        self._credit_seen = summary.credit_applied_minor
        self._card_seen = summary.card_minor
        self.held_message = held.message if held else ""
        self.held_cancellable = bool(held and held.cancellable)
        self._held_checkout_id = held.checkout_id if held else 0

    @rx.event
    def set_amount(self, invoice_id: int, value: str):
        """A typed amount changed: the summary follows it (worked out by the server)."""
        if int(invoice_id) not in self._invoice_ids or self.processing:
            return None
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        self._typed = {**self._typed, int(invoice_id): str(value).strip()[:20]}
        self._refresh(actor)
        return None

    @rx.event
    def set_apply_credit(self, value: bool):
        self.apply_credit = bool(value) and self.has_credit
        actor = self._actor()
        if actor is not None and not self.processing:
            self._refresh(actor)

    @rx.event
    def set_apply_unapplied(self, value: bool):
        self.apply_unapplied = bool(value) and self.has_unapplied
        actor = self._actor()
        if actor is not None and not self.processing:
            self._refresh(actor)

    @rx.event
    def set_confirm_over(self, value: bool):
        self.confirm_over = bool(value) and self.has_over_payment

    @rx.event
    def set_save_card(self, value: bool):
        self.save_card = bool(value) and not self.is_link_session

    @rx.event(background=True)
    async def pay(self, form_data: dict):
        """Start the checkout, then charge the card part (Stripe.js confirms new cards first)."""
        async with self:
            if self.processing:
                return
            actor = self._actor()
            if actor is None:
                return self._login_redirect()
            self._begin_processing(gettext("Checking amounts…"))
            self.field_errors = {}
            amounts = {}
            if self.allow_amount_edit:
                for invoice_id in self._invoice_ids:
                    typed = str(form_data.get(f"amount_{invoice_id}", "")).strip()[:20]
                    if typed:
                        amounts[invoice_id] = typed
            request = co.CheckoutRequest(
                invoice_ids=list(self._invoice_ids),
                amounts=amounts,
                apply_credit=self.apply_credit,
                payment_method_id=self._chosen_method_id(),
                save_card=self.save_card,
                expected_credit_minor=self._credit_seen if self.apply_credit else None,
                expected_card_minor=self._card_seen,
                confirm_over_payment=self.confirm_over,
                apply_unapplied=self.apply_unapplied,
                expected_unapplied_minor=self._unapplied_seen if self.apply_unapplied else None,
            )
            previous = self._checkout_id
        try:
            started = await asyncio.to_thread(_start, actor, request, previous)
        except ValidationError as exc:
            fresh = None
            if exc.field in ("credit", "unapplied"):
                # Show the credit and unapplied money as they are now; the next press of Pay
                # uses those figures.
                fresh = await asyncio.to_thread(_preview, actor, request.invoice_ids)
            async with self:
                if fresh is not None:
                    self.credit_available = fresh.credit_available
                    self.has_credit = fresh.credit_available_minor > 0
                    self.apply_credit = self.apply_credit and self.has_credit
                    self.unapplied_available = fresh.unapplied_available
                    self.has_unapplied = fresh.unapplied_available_minor > 0
                    self.apply_unapplied = self.apply_unapplied and self.has_unapplied
                if exc.field in ("credit", "unapplied", "amounts", "invoices"):
                    # The summary (and any attempt holding the invoices) as they are now.
                    self._typed = dict(amounts)
                    self._refresh(actor)
                self._fail_field(exc)
            return
        except (NotFoundError, ReadOnlyError) as exc:
            async with self:
                self._stop()
                self.form_error = (
                    str(exc)
                    if isinstance(exc, ReadOnlyError)
                    else gettext("These invoices cannot be paid.")
                )
            return
        async with self:
            self._checkout_id = started.checkout_id
            self._keep_card = request.save_card
        if started.card_minor == 0:
            try:
                payment_id = await asyncio.to_thread(_settle_credit, actor, started.checkout_id)
            except ValidationError as exc:
                async with self:
                    self._fail_field(exc)
                return
            async with self:
                self._stop()
                self._checkout_id = 0
                return rx.redirect(_paid_target(payment_id), replace=True)
        return await self._pay_with_card(
            actor, request.payment_method_id, f"checkout-{started.checkout_id}"
        )

    @rx.event(background=True)
    async def cancel_attempt(self):
        """Cancel the unfinished attempt holding these invoices (at the gateway too)."""
        async with self:
            if self.processing or not self._held_checkout_id:
                return None
            actor = self._actor()
            if actor is None:
                return self._login_redirect()
            self._begin_processing(gettext("Cancelling that attempt…"))
            self.notice = ""
            checkout_id = self._held_checkout_id
        try:
            outcome = await asyncio.to_thread(_cancel, actor, checkout_id)
        except (ValidationError, NotFoundError, ReadOnlyError, GatewayError) as exc:
            async with self:
                self._stop()
                self.form_error = error_message(exc, N_("That attempt could not be cancelled."))
            return None
        async with self:
            self._stop()
            if outcome.status == "succeeded":
                # The bank had confirmed it after all: it is paid, not cancelled.
                return rx.redirect(_paid_target(outcome.payment_id), replace=True)
            self._checkout_id = 0
            self.notice = outcome.message
            self._refresh(actor)
        return None

    def _charge_call(self, actor: Actor, method_ref: str, method_id: int | None):
        return charge_checkout(
            actor, self._checkout_id, method_ref, save_for_later=self._save_in_charge
        )

    def _pays_new_card_in_one_step(self) -> bool:
        return True

    def _keep_paid_card(self, actor: Actor):
        return keep_paid_checkout_card(actor, self._checkout_id)

    def _confirm_call(self, actor: Actor):
        return confirm_checkout(actor, self._checkout_id)

    def _paid_url(self, outcome: co.ChargeOutcome) -> str:
        return _paid_target(outcome.payment_id)

    def _pending_note(self) -> str:
        return gettext("We will update your invoices when it completes.")

    def _fail_field(self, exc: ValidationError) -> None:
        self._stop()
        if exc.field.startswith("amount_"):
            self.field_errors = {exc.field: exc.message}
        else:
            self.form_error = exc.message


def _paid_target(payment_id: int | None) -> str:
    target = routes.payment_url(payment_id) if payment_id else routes.CLIENT_INVOICES
    return f"{target}?paid=1"


def _start(actor: Actor, request: co.CheckoutRequest, previous: int) -> co.StartedCheckout:
    with session_scope() as db:
        reuse = co.reusable_checkout(db, actor=actor, checkout_id=previous, request=request)
    if reuse is not None:
        return reuse
    with session_scope() as db:
        return co.start_checkout(db, actor=actor, request=request)


def _summary(
    actor: Actor,
    invoice_ids: list[int],
    typed: dict[int, str],
    apply_credit: bool,
    apply_unapplied: bool,
) -> tuple[co.PaymentSummaryView, co.HeldAttemptView | None]:
    with session_scope() as db:
        summary = co.payment_summary(
            db,
            actor=actor,
            invoice_ids=invoice_ids,
            amounts=typed,
            apply_credit=apply_credit,
            apply_unapplied=apply_unapplied,
        )
        return summary, co.held_attempt(db, actor=actor, invoice_ids=invoice_ids)


def _cancel(actor: Actor, checkout_id: int) -> co.ChargeOutcome:
    return flow.cancel_attempt(
        session_scope, actor=actor, gateway=get_gateway(), checkout_id=checkout_id
    )


def _preview(actor: Actor, invoice_ids: list[int]) -> CheckoutPreview:
    with session_scope() as db:
        return co.preview(db, actor=actor, invoice_ids=invoice_ids)


def _settle_credit(actor: Actor, checkout_id: int) -> int:
    with session_scope() as db:
        return co.settle_with_credit_only(db, actor=actor, checkout_id=checkout_id).id


# -- page ---------------------------------------------------------------------------------------


def _line(line: CheckoutLineView) -> rx.Component:
    field_name = "amount_" + line.invoice_id.to_string()
    error = PayState.field_errors.get(field_name, "")
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(line.number, href="/client/invoices/" + line.invoice_id.to_string()),
            rx.cond(
                line.is_deposit, badge(_("Deposit"), variant="soft", margin_inline_start="0.5em")
            ),
        ),
        rx.table.cell(line.balance, text_align="end", display=["none", "table-cell"]),
        rx.table.cell(
            rx.cond(
                PayState.allow_amount_edit,
                rx.vstack(
                    rx.input(
                        name=field_name,
                        default_value=line.amount_due_plain,
                        on_change=lambda value: PayState.set_amount(line.invoice_id, value),
                        input_mode="decimal",
                        aria_label=fill(_("Amount to pay for %(number)s"), number=line.number),
                        aria_invalid=rx.cond(error != "", "true", "false"),
                        max_length=20,
                        text_align="end",
                        width="9em",
                    ),
                    rx.cond(
                        error != "", rx.text(error, color_scheme="red", size="1", role="alert")
                    ),
                    align="end",
                    spacing="1",
                ),
                rx.text(line.amount_due, weight="medium"),
            ),
            text_align="end",
        ),
        data_testid="pay-line",
    )


def _card_choice() -> rx.Component:
    return card_choice(
        PayState,
        extra=rx.cond(
            ~PayState.is_link_session,
            rx.box(
                rx.checkbox(
                    _("Save this card for later payments"),
                    checked=PayState.save_card,
                    on_change=PayState.set_save_card,
                ),
                margin_top="0.5em",
            ),
        ),
    )


def _summary_row(label: rx.Var, value, row_id: str, *, strong: bool = False) -> rx.Component:
    return rx.hstack(
        rx.text(label, weight="bold" if strong else "regular"),
        rx.spacer(),
        rx.text(
            value, weight="bold" if strong else "regular", size="5" if strong else "3", id=row_id
        ),
        width="100%",
    )


def _summary_box() -> rx.Component:
    """Total of the invoices, what is paid, credit applied and what the card is charged: the
    server's figures, following the typed amounts and the credit choice as they change."""
    return rx.vstack(
        _summary_row(_("Total due"), PayState.due, "pay-total"),
        rx.cond(
            PayState.paying_differs,
            _summary_row(_("You are paying"), PayState.paying, "pay-paying"),
        ),
        rx.cond(
            PayState.credit_used,
            _summary_row(_("Credit applied"), "− " + PayState.credit_applied, "pay-credit"),
        ),
        rx.cond(
            PayState.unapplied_used,
            _summary_row(
                _("Unapplied payments used"), "− " + PayState.unapplied_applied, "pay-unapplied"
            ),
        ),
        rx.cond(
            PayState.summary_ok,
            _summary_row(_("Charged to your card"), PayState.card_amount, "pay-card", strong=True),
            _summary_row(_("Charged to your card"), "—", "pay-card", strong=True),
        ),
        width="100%",
        spacing="1",
        aria_live="polite",
        id="pay-summary",
    )


def _box(content: rx.Component, *, icon: str, color_scheme: str, id: str) -> rx.Component:
    """A callout holding more than a sentence (rx.callout puts its text in a <p>)."""
    return rx.callout.root(
        rx.callout.icon(rx.icon(icon)),
        content,
        color_scheme=color_scheme,
        high_contrast=True,
        width="100%",
        id=id,
    )


def _over_payment() -> rx.Component:
    """Paying more than is due: say where the extra goes and ask for a yes before charging."""
    return _box(
        rx.vstack(
            rx.text(
                fill(
                    _(
                        "You are paying %(amount)s more than these invoices owe. The extra is "
                        "kept on your account as an unapplied payment (shown in Payments) and "
                        "can be used for later invoices."
                    ),
                    amount=PayState.over_payment,
                )
            ),
            # rx.checkbox is a <label> around the box and its text: its text names the box.
            rx.checkbox(
                fill(_("Yes, pay %(amount)s more than is due"), amount=PayState.over_payment),
                checked=PayState.confirm_over,
                on_change=PayState.set_confirm_over,
            ),
            spacing="2",
        ),
        icon="info",
        color_scheme="amber",
        id="over-payment",
    )


def _held_attempt() -> rx.Component:
    """An earlier attempt holds these invoices: for how long, and a way to cancel it now."""
    return _box(
        rx.vstack(
            rx.text(PayState.held_message),
            rx.cond(
                PayState.held_cancellable,
                rx.button(
                    _("Cancel that attempt"),
                    type="button",
                    variant="soft",
                    on_click=PayState.cancel_attempt,
                    disabled=PayState.processing | PayState.is_preview,
                    id="cancel-attempt",
                ),
            ),
            spacing="2",
        ),
        icon="clock",
        color_scheme="orange",
        id="held-attempt",
    )


def _checkout() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(_("Invoice")),
                        rx.table.column_header_cell(
                            _("Balance"), text_align="end", display=["none", "table-cell"]
                        ),
                        rx.table.column_header_cell(_("Paying now"), text_align="end"),
                    )
                ),
                rx.table.body(rx.foreach(PayState.lines, _line)),
                width="100%",
                variant="surface",
            ),
            _summary_box(),
            rx.cond(
                PayState.has_credit,
                rx.checkbox(
                    fill(
                        _("Use my available credit first (%(amount)s)"),
                        amount=PayState.credit_available,
                    ),
                    checked=PayState.apply_credit,
                    on_change=PayState.set_apply_credit,
                ),
            ),
            rx.cond(
                PayState.has_unapplied,
                rx.checkbox(
                    fill(
                        _("Use my unapplied payments (%(amount)s)"),
                        amount=PayState.unapplied_available,
                    ),
                    checked=PayState.apply_unapplied,
                    on_change=PayState.set_apply_unapplied,
                    id="use-unapplied",
                ),
            ),
            rx.cond(PayState.has_over_payment, _over_payment()),
            # Hidden, not removed, when nothing is charged to a card: the card element stays
            # mounted for when the client unticks credit or unapplied money.
            rx.box(
                _card_choice(),
                display=rx.cond(PayState.card_needed, "block", "none"),
                width="100%",
                id="card-step",
            ),
            rx.cond(PayState.held_message != "", _held_attempt()),
            rx.cond(
                PayState.notice != "",
                callout(PayState.notice, icon="info", role="status", width="100%"),
            ),
            rx.cond(
                PayState.form_error != "",
                callout(
                    PayState.form_error,
                    icon="circle-alert",
                    color_scheme="red",
                    role="alert",
                    width="100%",
                ),
            ),
            rx.button(
                rx.cond(PayState.processing, rx.spinner(size="2")),
                rx.cond(PayState.processing, PayState.progress, PayState.pay_label),
                type="submit",
                size="3",
                width=["100%", "auto"],
                disabled=PayState.processing | PayState.is_preview,
                id="pay-button",
            ),
            rx.cond(
                PayState.is_preview,
                rx.text(_("Staff preview cannot make payments."), color_scheme="orange", size="2"),
            ),
            width="100%",
            spacing="4",
            align="start",
        ),
        on_submit=PayState.pay,
        reset_on_submit=False,
        width="100%",
    )


def pay_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Pay invoices")),
        test_mode_banner(PayState.test_mode),
        rx.cond(
            PayState.not_found,
            empty_state(
                _("Nothing to pay here"),
                _("These invoices are not in your account or have nothing left to pay."),
                icon="file-question",
            ),
            rx.cond(
                PayState.lines.length() > 0,
                rx.vstack(
                    _checkout(),
                    # An e-mailed-link session: saved cards after an e-mailed code, on this
                    # page (outside the pay form: its own form takes the code).
                    code_step_up(PayState),
                    width="100%",
                    spacing="4",
                    align="start",
                ),
                rx.cond(
                    PayState.loaded,
                    rx.vstack(
                        callout(PayState.form_error, icon="info", width="100%"),
                        rx.link(_("Invoices"), href=routes.CLIENT_INVOICES),
                    ),
                    rx.center(rx.spinner(size="3"), padding="3em", width="100%"),
                ),
            ),
        ),
        width="100%",
        max_width="44em",
        spacing="4",
        align="start",
    )
