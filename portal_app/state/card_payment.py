"""The card-payment flow shared by the pages that charge a card: checkout of invoices
(pages/client/pay.py), pre-payments (prepayment.py) and subscribing (subscribe.py).

The page's own handler checks what is being paid for and starts it through its service (a
checkout, a pre-payment, a subscription), then hands over to `_pay_with_card`. From there the
steps are the same everywhere: a saved card is charged at once; a new card is typed into
Stripe's card element, confirmed in the browser as a SetupIntent (`card_confirmed`), then
charged (on the pages that pay a checkout, with a gateway that can, the browser only makes a
PaymentMethod of the card and the charge keeps it: one 3-D Secure for paying and saving,
`card_created`); 3-D Secure runs in the browser and the server reads the result back from the
gateway (`authenticated`); the outcome is settled or shown. The outcome is never taken from
the browser.

A page supplies four small hooks: `_charge_call` (which service charges the card),
`_confirm_call` (which service finishes after 3-D Secure), `_paid_url` (where to go after
success) and `_pending_note` (what a payment still processing at the bank means there).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

import reflex as rx

from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.gateways.base import GatewayError
from portal_app.gateways.factory import get_gateway, is_test_mode
from portal_app.gateways.messages import plain_card_message
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments.checkout import ChargeOutcome, SavedCardOption
from portal_app.state.stripe_card import (
    NEW_CARD,
    allowed_choice,
    confirm_payment_script,
    confirm_setup_script,
    create_method_script,
    mount_when_ready_script,
    parse_result,
)

log = logging.getLogger(__name__)

# What the browser is told while it waits (the pay button shows it). Marked for extraction
# and translated where they are set (`gettext`), in the language of the event.
CHARGING = N_("Charging your card…")
CONFIRMING = N_("Confirming your card…")
WAITING_FOR_BANK = N_("Waiting for your bank's confirmation…")

MOUNT_FAILED = N_("The card form could not be loaded. Reload the page to try again.")
CARD_GONE = N_("That card is no longer available. Choose another.")
NOT_ACCEPTED = N_("The card was not accepted.")
NOT_USABLE = N_("The card could not be used.")
FORM_UNAVAILABLE = N_("The card form is not available.")
NOT_MADE = N_("The payment could not be made.")
NOT_COMPLETED = N_("The payment was not completed.")
NOT_CONFIRMED = N_("The payment could not be confirmed.")

# Every error a service or the gateway raises for one step of the flow: each ends the step
# with a message instead of leaving the button spinning.
STEP_ERRORS = (ValidationError, NotFoundError, ReadOnlyError, GatewayError)

ChargeCall = Callable[[], tuple[ChargeOutcome, int]]
ConfirmCall = Callable[[], ChargeOutcome]


def charge_checkout(
    actor: Actor, checkout_id: int, method_ref: str, *, save_for_later: bool = False
) -> ChargeCall:
    """The `_charge_call` of a page that pays a checkout of invoices (pay, pay an amount).

    `save_for_later`: a new card charged in one step is kept once the payment succeeds."""

    def call() -> tuple[ChargeOutcome, int]:
        outcome = flow.pay_with_card(
            session_scope,
            actor=actor,
            gateway=get_gateway(),
            checkout_id=checkout_id,
            method_ref=method_ref,
            save_for_later=save_for_later,
        )
        return outcome, checkout_id

    return call


def confirm_checkout(actor: Actor, checkout_id: int) -> ConfirmCall:
    """The `_confirm_call` of those pages: the checkout read back after 3-D Secure."""

    def call() -> ChargeOutcome:
        return flow.confirm_after_action(
            session_scope, actor=actor, gateway=get_gateway(), checkout_id=checkout_id
        )

    return call


def error_message(exc: Exception, fallback: str) -> str:
    """What to show for a step's error: its own message when it has one, else `fallback`
    (a msgid: translated here into the language of the event)."""
    return (
        getattr(exc, "message", "")
        or (str(exc) if isinstance(exc, ReadOnlyError) else "")
        or gettext(fallback)
    )


class CardPaymentMixin(rx.State, mixin=True):
    """Saved-or-new card choice, the card element and the charge, for a PortalState page."""

    cards: list[SavedCardOption] = []
    card_choice: str = NEW_CARD
    card_error: str = ""
    form_error: str = ""
    processing: bool = False
    progress: str = ""
    test_mode: bool = False
    # The checkout being charged (kept after a failure: a retry of the same checkout page
    # request reuses it, and so its idempotency key, when that is safe).
    _checkout_id: int = 0
    # The card being charged, for the step after 3-D Secure.
    _card_method_ref: str = ""
    # Keep a new card on the account (asked for, or needed for later charges).
    _keep_card: bool = False
    # A new card used once: detached from the gateway customer once the payment is decided.
    _forget_ref: str = ""
    # A new card charged in one step that the gateway keeps once the payment succeeds
    # (`_keep_paid_card` then stores it as the gateway reports it).
    _save_in_charge: bool = False
    # A new card being confirmed to keep, without a payment (`card_saved` next).
    _saving_card: bool = False
    # The card element was asked to mount on this page load (Stripe.js is loaded then, only
    # once the client picks "A new card" when a saved card is offered first).
    _card_mount_asked: bool = False

    # -- hooks a page provides ------------------------------------------------------------------

    def _charge_call(self, actor: Actor, method_ref: str, method_id: int | None) -> ChargeCall:
        """A call (run in a worker thread) that charges the card and returns the outcome and
        the checkout id. Called under the state lock: read the page's vars here."""
        raise NotImplementedError

    def _confirm_call(self, actor: Actor) -> ConfirmCall:
        """A call that reads the payment back after 3-D Secure (under the lock, like above)."""
        raise NotImplementedError

    def _paid_url(self, outcome: ChargeOutcome) -> str:
        """Where the browser goes once the payment succeeded."""
        raise NotImplementedError

    def _pending_note(self) -> str:
        """Added to the bank's 'still processing' message: what happens when it completes."""
        raise NotImplementedError

    def _pays_new_card_in_one_step(self) -> bool:
        """True on a page that charges a new card without a SetupIntent first (one 3-D Secure
        for paying and keeping it) when the gateway can; such a page passes
        `_save_in_charge` to its charge and implements `_keep_paid_card`."""
        return False

    def _keep_paid_card(self, actor: Actor) -> Callable[[], object]:
        """A call that stores the card the gateway kept after a one-step pay-and-save."""
        raise NotImplementedError

    def _keep_new_card_call(self, actor: Actor, setup_intent_ref: str) -> Callable[[], object]:
        """For `_save_new_card`: a call that keeps the card a confirmed SetupIntent saved."""
        raise NotImplementedError

    async def _card_kept(self, actor: Actor):
        """For `_save_new_card`: what the page does once the new card is kept."""
        raise NotImplementedError

    def _card_flow_open(self) -> bool:
        """True while a payment started by this page waits for the browser's card step."""
        return bool(self._checkout_id)

    # -- page load ----------------------------------------------------------------------------

    def _reset_card_payment(self) -> None:
        """Forget any earlier attempt (a page load)."""
        self.processing = False
        self.form_error = self.card_error = self.progress = ""
        self._checkout_id = 0
        self._card_method_ref = self._forget_ref = ""
        self._keep_card = self._save_in_charge = self._saving_card = False
        self._card_mount_asked = False

    def _offer_cards(self, cards: list[SavedCardOption]) -> None:
        """The saved cards to choose from; the first (the default) is chosen."""
        self.cards = cards
        self.card_choice = str(cards[0].id) if cards else NEW_CARD
        self.test_mode = is_test_mode()

    def _mount_card(self):
        """Mount the card element once its box is rendered (it arrives with the data the same
        event loads, so the browser waits for it), when the card box shows: a new card is the
        choice. With a saved card chosen nothing is loaded; `choose_card` mounts it later."""
        if self.card_choice != NEW_CARD or self._card_mount_asked:
            return None
        self._card_mount_asked = True
        gateway = get_gateway()
        return rx.call_script(
            mount_when_ready_script(gateway.js_url(), gateway.publishable_key()),
            callback=self._handler("card_mounted"),
        )

    @rx.event
    def card_mounted(self, result: str):
        """The card element's mount answer."""
        if not parse_result(result).get("ok"):
            self.card_error = gettext(MOUNT_FAILED)

    @rx.event
    def choose_card(self, value: str | list[str]):
        """A saved card or a new one; anything the page did not offer means a new card."""
        self.card_choice = allowed_choice(value, self.cards)
        self.card_error = ""
        # The card box shows now: Stripe.js and the card element are loaded the first time.
        return self._mount_card()

    # -- the flow -----------------------------------------------------------------------------

    def _chosen_method_id(self) -> int | None:
        """The saved card chosen (its id, one of `cards`), or None for a new card."""
        return None if self.card_choice == NEW_CARD else int(self.card_choice)

    def _begin_processing(self, progress: str) -> None:
        """Mark a payment under way (the caller checked `processing` first: double clicks)."""
        self.processing = True
        self.form_error = self.card_error = ""
        self.progress = progress
        self._forget_ref = ""
        self._save_in_charge = False

    async def _pay_with_card(self, actor: Actor, method_id: int | None, purpose: str):
        """After the page started the payment: charge the saved card `method_id`, or ask the
        browser to confirm a new card (then `card_confirmed` charges it)."""
        if method_id is not None:
            async with self:
                self.progress = gettext(CHARGING)
            try:
                method_ref = await asyncio.to_thread(_saved_card_ref, actor, method_id)
            except NotFoundError:  # removed in another tab since the page loaded
                async with self:
                    self._fail_card(CARD_GONE)
                return None
            return await self._charge(actor, method_ref, method_id)
        if self._pays_new_card_in_one_step() and get_gateway().pays_and_saves_in_one_step:
            # Pay (and keep) in one confirmation: the browser only turns the card into a
            # PaymentMethod; the charge's 3-D Secure is the one step the client sees.
            async with self:
                self.progress = gettext(CONFIRMING)
                return rx.call_script(
                    create_method_script(), callback=self._handler("card_created")
                )
        try:
            # A fresh SetupIntent for each attempt: one confirmed earlier cannot take a card again.
            secret = await asyncio.to_thread(
                _setup_secret, actor, f"{purpose}-{uuid.uuid4().hex[:16]}"
            )
        except STEP_ERRORS as exc:
            async with self:
                self._fail_card(error_message(exc, FORM_UNAVAILABLE))
            return None
        async with self:
            self.progress = gettext(CONFIRMING)
            return rx.call_script(
                confirm_setup_script(secret), callback=self._handler("card_confirmed")
            )

    async def _save_new_card(self, actor: Actor, purpose: str):
        """Keep a new card without paying (a trial's card): the browser confirms a SetupIntent
        (3-D Secure there if the bank asks), then `card_saved` keeps it through the page's
        `_keep_new_card_call` and hands over to its `_card_kept`."""
        try:
            secret = await asyncio.to_thread(
                _setup_secret, actor, f"{purpose}-{uuid.uuid4().hex[:16]}"
            )
        except STEP_ERRORS as exc:
            async with self:
                self._fail_card(error_message(exc, FORM_UNAVAILABLE))
            return None
        async with self:
            self._saving_card = True
            self.progress = gettext(CONFIRMING)
            return rx.call_script(
                confirm_setup_script(secret), callback=self._handler("card_saved")
            )

    @rx.event(background=True)
    async def card_saved(self, result: str):
        """The browser confirmed (or refused) a card to keep: keep it, then the page goes on."""
        data = parse_result(result)
        async with self:
            actor = self._actor()
            if actor is None or not self._saving_card:
                self._stop()
                return None
            self._saving_card = False
            if data.get("error") or not data.get("setup_intent"):
                self._fail_card(str(data.get("error") or NOT_ACCEPTED))
                return None
            call = self._keep_new_card_call(actor, str(data["setup_intent"]))
        try:
            await asyncio.to_thread(call)
        except STEP_ERRORS as exc:
            async with self:
                self._fail_card(error_message(exc, NOT_USABLE))
            return None
        return await self._card_kept(actor)

    @rx.event(background=True)
    async def card_confirmed(self, result: str):
        """The browser confirmed (or refused) the new card: charge it."""
        data = parse_result(result)
        async with self:
            actor = self._actor()
            save = self._keep_card and not self.is_link_session
            if actor is None or not self._card_flow_open():
                self._stop()
                return None
            if data.get("error") or not data.get("setup_intent"):
                self._fail_card(str(data.get("error") or NOT_ACCEPTED))
                return None
            self.progress = gettext(CHARGING)
        # A page that pays a checkout keeps the card only once the payment succeeded (as the
        # gateway reports it, `_keep_paid_card`): a card declined when charged is not kept.
        keep_after = save and self._pays_new_card_in_one_step()
        try:
            method_ref = await asyncio.to_thread(
                _card_from_setup, actor, str(data["setup_intent"]), save and not keep_after
            )
        except STEP_ERRORS as exc:
            async with self:
                self._fail_card(error_message(exc, NOT_USABLE))
            return None
        async with self:
            self._save_in_charge = keep_after
            self._forget_ref = "" if save and not keep_after else method_ref
        return await self._charge(actor, method_ref, None)

    @rx.event(background=True)
    async def card_created(self, result: str):
        """The browser made a PaymentMethod of the new card: check it, then charge it (and
        have the gateway keep it when the client asked) in one confirmation."""
        data = parse_result(result)
        async with self:
            actor = self._actor()
            save = self._keep_card and not self.is_link_session
            if actor is None or not self._card_flow_open():
                self._stop()
                return None
            if data.get("error") or not data.get("payment_method"):
                self._fail_card(str(data.get("error") or NOT_ACCEPTED))
                return None
            self.progress = gettext(CHARGING)
        try:
            method_ref = await asyncio.to_thread(
                _card_for_payment, actor, str(data["payment_method"]), save
            )
        except STEP_ERRORS as exc:
            async with self:
                self._fail_card(error_message(exc, NOT_USABLE))
            return None
        async with self:
            self._save_in_charge = save
        return await self._charge(actor, method_ref, None)

    async def _charge(self, actor: Actor, method_ref: str, method_id: int | None):
        async with self:
            self._card_method_ref = method_ref
            call = self._charge_call(actor, method_ref, method_id)
        try:
            outcome, checkout_id = await asyncio.to_thread(call)
        except STEP_ERRORS as exc:
            async with self:
                self._fail_card(error_message(exc, NOT_MADE))
            return None
        async with self:
            self._checkout_id = checkout_id
        return await self._after(outcome)

    @rx.event(background=True)
    async def authenticated(self, result: str):
        """3-D Secure ended in the browser: read the payment back from the gateway."""
        async with self:
            actor = self._actor()
            if actor is None or not self._checkout_id:
                self._stop()
                return None
            call = self._confirm_call(actor)
        try:
            outcome = await asyncio.to_thread(call)
        except STEP_ERRORS as exc:
            async with self:
                self._fail_card(error_message(exc, NOT_CONFIRMED))
            return None
        return await self._after(outcome)

    async def _after(self, outcome: ChargeOutcome):
        """Show or follow the outcome the server read from the gateway."""
        async with self:
            forget = self._forget_ref if outcome.status in ("succeeded", "failed") else ""
            if forget:
                self._forget_ref = ""
            keep_call = None
            if self._save_in_charge and outcome.status == "succeeded":
                self._save_in_charge = False
                actor = self._actor()
                keep_call = self._keep_paid_card(actor) if actor else None
        if keep_call is not None:
            try:
                await asyncio.to_thread(keep_call)
                forget = ""  # kept: the gateway keeps it attached too
            except STEP_ERRORS:
                # The payment stands; the card is simply not kept.
                log.warning("a card paid and meant to be kept could not be kept", exc_info=True)
        if forget:
            await asyncio.to_thread(flow.forget_card, get_gateway(), forget)
        async with self:
            if outcome.status == "succeeded":
                self._stop()
                target = self._paid_url(outcome)
                self._checkout_id = 0
                return rx.redirect(target, replace=True)
            if outcome.status == "requires_action":
                self.progress = gettext(WAITING_FOR_BANK)
                gateway = get_gateway()
                return rx.call_script(
                    confirm_payment_script(
                        gateway.js_url(), gateway.publishable_key(), outcome.client_secret
                    ),
                    callback=self._handler("authenticated"),
                )
            if outcome.status == "processing":
                # Not a failure: the bank has not answered yet. Pressing Pay again would not
                # charge twice (same checkout), but saying "failed" would invite it.
                self._stop()
                message = gettext(outcome.message) if outcome.message else ""
                self.form_error = f"{message} {self._pending_note()}".strip()
                return None
            self._fail_card(outcome.message or NOT_COMPLETED)
            return None

    def _handler(self, name: str):
        # The page's own copy of the handler (Reflex copies a mixin's handlers onto each
        # State); `__class__` also sees through the proxy of a background event.
        return getattr(self.__class__, name)

    def _stop(self) -> None:
        self.processing = False
        self.progress = ""

    def _fail_card(self, message: str) -> None:
        self._stop()
        # Stripe.js and the gateway answer in developer's words; the client reads plain ones,
        # in their language (the plain texts and this module's are catalog msgids; a text the
        # gateway made up itself has no translation and is shown as it came).
        self.card_error = gettext(plain_card_message(message))


def _saved_card_ref(actor: Actor, method_id: int) -> str:
    with session_scope() as db:
        return co.method_ref_of(db, actor=actor, method_id=method_id)


def _card_for_payment(actor: Actor, method_ref: str, save: bool) -> str:
    return flow.card_for_payment(
        session_scope, actor=actor, gateway=get_gateway(), method_ref=method_ref, save=save
    )


def keep_paid_checkout_card(actor: Actor, checkout_id: int) -> Callable[[], int]:
    """The `_keep_paid_card` of a page that pays a checkout: the card the gateway kept."""

    def call() -> int:
        return flow.keep_paid_card(
            session_scope, actor=actor, gateway=get_gateway(), checkout_id=checkout_id
        )

    return call


def _setup_secret(actor: Actor, purpose: str) -> str:
    return flow.setup_new_card(session_scope, actor=actor, gateway=get_gateway(), purpose=purpose)


def _card_from_setup(actor: Actor, setup_intent: str, save: bool) -> str:
    return flow.card_from_setup(
        session_scope, actor=actor, gateway=get_gateway(), setup_intent_ref=setup_intent, save=save
    )
