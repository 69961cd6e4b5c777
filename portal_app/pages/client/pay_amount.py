"""/client/pay_amount: "Pay an amount" (issue 22 item 8). The client types one sum; the server
splits it over their oldest due invoices (services/payments/pay_amount.py) and shows the split
as they type; "Check the split" asks for a yes, then the card step is the pay page's
(state/card_payment.py), charging an ordinary checkout, so money moves only through the ledger.
What no invoice takes stays on the payment as unapplied (shown in Payments)."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.card_choice import card_choice
from portal_app.components.common import empty_state, field_error, page_heading
from portal_app.components.test_mode import test_mode_banner
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments import pay_amount as pa
from portal_app.services.payments.pay_amount import AmountPlan, SplitLineView
from portal_app.state.card_payment import (
    CardPaymentMixin,
    charge_checkout,
    confirm_checkout,
    keep_paid_checkout_card,
)
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill


class PayAmountState(CardPaymentMixin, PortalState):
    """The typed amount, the server's split of it, the yes, then the shared card step."""

    currencies: list[str] = []
    currency: str = ""
    amount: str = ""
    field_errors: dict[str, str] = {}
    lines: list[SplitLineView] = []
    total: str = ""
    applied: str = ""
    unapplied: str = ""
    has_unapplied: bool = False
    confirming: bool = False
    loaded: bool = False
    # The split the client saw and confirmed: the server starts only exactly that split.
    _split: list[list[int]] = []

    @rx.event
    def load(self):
        self.loaded = self.confirming = False
        self.amount = ""
        self.field_errors = {}
        self._clear_split()
        self._reset_card_payment()
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        with session_scope() as db:
            self.currencies = pa.currencies(db, actor=actor)
            cards = co.saved_cards(db, actor=actor)
        self.currency = self.currencies[0] if self.currencies else ""
        self._offer_cards(cards)
        self.loaded = True
        return self._mount_card() if self.currencies else None

    def _clear_split(self) -> None:
        self.lines = []
        self.total = self.applied = self.unapplied = ""
        self.has_unapplied = False
        self._split = []

    def _show(self, plan: AmountPlan) -> None:
        self.field_errors = {}
        self.lines = plan.lines
        self.total = plan.amount
        self.applied = plan.applied
        self.unapplied = plan.unapplied
        self.has_unapplied = plan.unapplied_minor > 0
        self._split = [list(line) for line in plan.split]

    def _replan(self, actor: Actor) -> bool:
        """The split of the typed amount (the server's), or the field's error."""
        if not self.amount.strip():
            self.field_errors = {}
            self._clear_split()
            return False
        try:
            with session_scope() as db:
                plan = pa.plan(db, actor=actor, amount=self.amount, currency=self.currency)
        except ValidationError as exc:
            self._clear_split()
            self.field_errors = {exc.field: exc.message}
            return False
        self._show(plan)
        return True

    @rx.event
    def set_amount(self, value: str):
        """The amount changed: the split follows it."""
        if self.processing or self.confirming:
            return None
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        self.amount = str(value)[: pa.MAX_TYPED + 1]
        self._replan(actor)
        return None

    @rx.event
    def set_currency(self, value: str):
        if self.processing or self.confirming or value not in self.currencies:
            return None
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        self.currency = value
        self._replan(actor)
        return None

    @rx.event
    def review(self, form_data: dict):
        """ "Check the split": the split is worked out again and shown for a yes."""
        if self.processing:
            return None
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        self.amount = str(form_data.get("amount", self.amount))[: pa.MAX_TYPED + 1]
        if not self.amount.strip():
            self.field_errors = {"amount": gettext("Enter an amount.")}
            return None
        self.form_error = ""
        self.confirming = self._replan(actor)
        return None

    @rx.event
    def change(self):
        """Back from the yes to the amount."""
        if not self.processing:
            self.confirming = False
            self.form_error = self.card_error = ""

    @rx.event(background=True)
    async def pay(self):
        """Start the checkout for the confirmed split, then the shared card step."""
        async with self:
            if self.processing or not self.confirming or not self._split:
                return
            actor = self._actor()
            if actor is None:
                return self._login_redirect()
            self._begin_processing(gettext("Checking amounts…"))
            args = (actor, self.amount, self.currency, [list(x) for x in self._split])
            method_id = self._chosen_method_id()
            previous = self._checkout_id
        try:
            started = await asyncio.to_thread(_start, *args, method_id, previous)
        except ValidationError as exc:
            async with self:
                self._stop()
                self.confirming = False
                self.form_error = exc.message
                self._replan(actor)
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
            self._checkout_id = started.checkout_id
        return await self._pay_with_card(actor, method_id, f"checkout-{started.checkout_id}")

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
        target = (
            routes.payment_url(outcome.payment_id) if outcome.payment_id else routes.CLIENT_PAYMENTS
        )
        return f"{target}?paid=1"

    def _pending_note(self) -> str:
        return gettext("We will update your invoices when it completes.")


def _start(
    actor: Actor,
    amount: str,
    currency: str,
    split: list[list[int]],
    method_id: int | None,
    previous: int,
) -> co.StartedCheckout:
    if previous:
        # A retry after a card problem: the earlier checkout frees its invoices first (one
        # that reached the gateway keeps them, and the start below says they are held).
        request = co.CheckoutRequest(invoice_ids=[line[0] for line in split])
        with session_scope() as db:
            reuse = co.reusable_checkout(db, actor=actor, checkout_id=previous, request=request)
        if reuse is not None:
            return reuse
    with session_scope() as db:
        return pa.start(
            db,
            actor=actor,
            amount=amount,
            currency=currency,
            confirmed_split=split,
            payment_method_id=method_id,
        )


# -- page ---------------------------------------------------------------------------------------

S = PayAmountState


def _invalid(name: str):
    return rx.cond(S.field_errors.get(name, "") != "", "true", "false")


def _amount_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.vstack(
                rx.el.label(
                    _("Currency"), html_for="pay-amount-currency", style={"font_weight": "500"}
                ),
                rx.el.select(
                    rx.foreach(S.currencies, lambda c: rx.el.option(c, value=c)),
                    id="pay-amount-currency",
                    name="currency",
                    value=S.currency,
                    on_change=S.set_currency,
                    disabled=S.confirming | S.processing,
                    style={"min_height": "2.25em", "padding_inline": "0.5em"},
                ),
                spacing="1",
                align="start",
            ),
            rx.vstack(
                rx.el.label(_("Amount"), html_for="pay-amount", style={"font_weight": "500"}),
                rx.input(
                    id="pay-amount",
                    name="amount",
                    on_change=S.set_amount,
                    input_mode="decimal",
                    max_length=pa.MAX_TYPED,
                    width="12em",
                    read_only=S.confirming | S.processing,
                    aria_invalid=_invalid("amount"),
                    aria_describedby="pay-amount-hint",
                ),
                rx.text(
                    _(
                        "Applied to your oldest due invoices first; anything left stays on your "
                        "account as an unapplied payment, which you can use when you pay "
                        "invoices here."
                    ),
                    size="1",
                    color_scheme="gray",
                    id="pay-amount-hint",
                ),
                field_error(S.field_errors.get("amount", "")),
                field_error(S.field_errors.get("currency", "")),
                spacing="1",
                align="start",
                width="100%",
            ),
            gap="1em",
            direction=rx.breakpoints(initial="column", sm="row"),
            width="100%",
        ),
        rx.cond(
            ~S.confirming,
            rx.button(
                _("Check the split"),
                type="submit",
                size="3",
                margin_top="1em",
                width=["100%", "auto"],
                disabled=S.processing,
                id="pay-amount-review",
            ),
        ),
        on_submit=S.review,
        reset_on_submit=False,
        width="100%",
    )


def _line(line: SplitLineView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(line.number, href="/client/invoices/" + line.invoice_id.to_string())
        ),
        rx.table.cell(line.balance, text_align="end", display=["none", "table-cell"]),
        rx.table.cell(
            rx.text(line.paying, weight="medium"),
            rx.cond(line.settles, rx.text(_("Paid in full"), size="1", color_scheme="green")),
            text_align="end",
        ),
        data_testid="split-line",
    )


def _split() -> rx.Component:
    return rx.vstack(
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
            rx.table.body(rx.foreach(S.lines, _line)),
            width="100%",
            variant="surface",
        ),
        rx.hstack(
            rx.text(_("Applied to invoices")),
            rx.spacer(),
            rx.text(S.applied, id="split-applied"),
            width="100%",
        ),
        rx.cond(
            S.has_unapplied,
            rx.hstack(
                rx.text(_("Left unapplied")),
                rx.spacer(),
                rx.text(S.unapplied, id="split-unapplied"),
                width="100%",
            ),
        ),
        rx.hstack(
            rx.text(_("You pay"), weight="bold"),
            rx.spacer(),
            rx.text(S.total, weight="bold", size="5", id="split-total"),
            width="100%",
        ),
        width="100%",
        spacing="2",
        aria_live="polite",
        id="pay-amount-split",
    )


def _confirm_step() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.has_unapplied,
            callout(
                fill(
                    _(
                        "%(amount)s is more than your invoices owe. It stays on your account as an "
                        "unapplied payment (shown in Payments), which you can use when you pay "
                        "invoices here."
                    ),
                    amount=S.unapplied,
                ),
                icon="info",
                color_scheme="amber",
                width="100%",
                id="pay-amount-unapplied-note",
            ),
        ),
        card_choice(S),
        rx.flex(
            rx.button(
                rx.cond(S.processing, rx.spinner(size="2")),
                rx.cond(S.processing, S.progress, fill(_("Pay %(amount)s"), amount=S.total)),
                type="button",
                size="3",
                on_click=S.pay,
                disabled=S.processing | S.is_preview,
                id="pay-amount-button",
            ),
            rx.button(
                _("Change the amount"),
                type="button",
                size="3",
                variant="soft",
                on_click=S.change,
                disabled=S.processing,
                id="pay-amount-change",
            ),
            gap="3",
            wrap="wrap",
        ),
        rx.cond(
            S.is_preview,
            rx.text(_("Staff preview cannot make payments."), color_scheme="orange", size="2"),
        ),
        width="100%",
        spacing="4",
        align="start",
    )


def _pay_amount() -> rx.Component:
    return rx.vstack(
        _amount_form(),
        rx.cond(S.lines.length() > 0, _split()),
        rx.cond(
            S.form_error != "",
            callout(
                S.form_error, icon="circle-alert", color_scheme="red", role="alert", width="100%"
            ),
        ),
        # Always in the page (hidden until the yes) so Stripe.js mounts the card box on load.
        rx.box(_confirm_step(), width="100%", display=rx.cond(S.confirming, "block", "none")),
        width="100%",
        spacing="4",
        align="start",
    )


def pay_amount_page() -> rx.Component:
    return rx.vstack(
        page_heading(
            _("Pay an amount"),
            _(
                "Enter what you want to pay, for example what your bank sent. We apply it to "
                "your oldest due invoices first."
            ),
        ),
        test_mode_banner(S.test_mode),
        rx.cond(
            S.loaded,
            rx.cond(
                S.currencies.length() > 0,
                _pay_amount(),
                rx.vstack(
                    empty_state(
                        _("Nothing to pay"),
                        _("You have no invoices due. You can still pay ahead with a pre-payment."),
                        icon="circle-check",
                    ),
                    rx.link(_("Invoices"), href=routes.CLIENT_INVOICES),
                    width="100%",
                ),
            ),
            rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
        ),
        width="100%",
        max_width="44em",
        spacing="4",
        align="start",
    )
