"""StaffClientCardsState: the "Cards" box of a staff client page, where staff add a card for
the client when the company allows it (services/payments/staff_cards.py).

The page mounts it with `show(client_id)`; the client id stays in a backend-only var and every
step goes through the service, which checks the staff session, the company, its policy and
the client's agreement, whatever the browser sends. The card element is Stripe's (as on the
client's own card page): the number goes from the browser to the card processor, never here.
Gateway calls run in background events, off the event loop.
"""

from __future__ import annotations

import asyncio
import secrets

import reflex as rx

from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.gateways.base import GatewayError
from portal_app.gateways.factory import get_gateway
from portal_app.schemas.payment_method import PaymentMethodView
from portal_app.services.identity.actor import StaffActor
from portal_app.services.payments import staff_cards
from portal_app.state.card_payment import error_message
from portal_app.state.staff import StaffState
from portal_app.state.stripe_card import confirm_setup_script, mount_script, parse_result

MAX_NOTE = staff_cards.MAX_NOTE


class StaffClientCardsState(StaffState):
    """One client's saved cards, and the add-a-card form where the policy allows it."""

    cards: list[PaymentMethodView] = []
    cards_allowed: bool = False
    # Why the form is not offered: the company's policy or the staff user's role.
    cards_refusal: str = ""
    card_agreed: bool = False
    card_note: str = ""
    card_form_open: bool = False
    card_ready: bool = False
    card_saving: bool = False
    card_busy: bool = False
    card_error: str = ""
    card_notice: str = ""
    _client_id: int = 0
    _client_secret: str = ""

    def _reset_card_form(self) -> None:
        self.card_form_open = self.card_ready = self.card_saving = self.card_busy = False
        self.card_error = ""
        self._client_secret = ""

    def _reload_cards(self, actor: StaffActor) -> None:
        with session_scope() as db:
            self.cards = staff_cards.client_cards(db, actor=actor, client_id=self._client_id)
            self.cards_refusal = staff_cards.card_form_refusal(db, actor=actor)
        self.cards_allowed = self.cards_refusal == ""

    @rx.event
    def show(self, client_id: int):
        """Point the box at a client of the staff user's company and list its cards."""
        self._reset_card_form()
        self.card_notice = ""
        self.card_agreed = False
        self.card_note = ""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        try:
            self._client_id = int(client_id)
            self._reload_cards(actor)
        except (TypeError, ValueError, NotFoundError):
            self._client_id = 0
            self.cards = []
            self.cards_allowed = False
        return None

    @rx.event
    def set_card_agreed(self, value: bool):
        self.card_agreed = value is True
        if self.card_agreed and self.card_error == staff_cards.CONSENT_NEEDED:
            self.card_error = ""

    @rx.event
    def set_card_note(self, value: str):
        self.card_note = str(value)[:MAX_NOTE]

    @rx.event(background=True)
    async def start_card(self):
        """Get a SetupIntent for the client's customer, then mount the card element."""
        async with self:
            if self.card_busy or self.card_saving or not self._client_id:
                return None
            actor = self._staff_actor()
            if actor is None:
                return self._staff_login_redirect()
            self._reset_card_form()
            self.card_notice = ""
            if not self.card_agreed:
                self.card_error = staff_cards.CONSENT_NEEDED
                return None
            self.card_form_open = self.card_busy = True
            client_id = self._client_id
        try:
            secret = await asyncio.to_thread(_start, actor, client_id)
        except (GatewayError, ValidationError, ReadOnlyError, NotFoundError) as exc:
            async with self:
                self.card_busy = False
                self.card_form_open = False
                self.card_error = _message(exc, gettext("The card form could not be prepared."))
            return None
        gateway = get_gateway()
        async with self:
            self._client_secret = secret
            return rx.call_script(
                mount_script(gateway.js_url(), gateway.publishable_key()),
                callback=StaffClientCardsState.card_mounted,
            )

    @rx.event
    def card_mounted(self, result: str):
        self.card_busy = False
        if parse_result(result).get("ok") is True:
            self.card_ready = True
        else:
            self.card_error = gettext(
                "The card form could not be loaded. Reload the page to try again."
            )

    @rx.event
    def cancel_card(self):
        if not self.card_saving:
            self._reset_card_form()

    @rx.event
    def save_card(self):
        """Confirm the SetupIntent with the card element in the browser."""
        if not self.card_ready or self.card_saving or self.card_busy or not self._client_secret:
            return None
        if not self.card_agreed:
            self.card_error = staff_cards.CONSENT_NEEDED
            return None
        self.card_saving = True
        self.card_error = ""
        return rx.call_script(
            confirm_setup_script(self._client_secret),
            callback=StaffClientCardsState.card_confirmed,
        )

    @rx.event(background=True)
    async def card_confirmed(self, result: str):
        """The browser says it confirmed the SetupIntent; the gateway decides what it saved."""
        data = parse_result(result)
        setup_intent = data.get("setup_intent")
        async with self:
            if not self.card_saving:
                return None
            actor = self._staff_actor()
            if actor is None:
                return self._staff_login_redirect()
            client_id, agreed, note = self._client_id, self.card_agreed, self.card_note
        if not isinstance(setup_intent, str) or not setup_intent or data.get("error"):
            await self._card_failed(
                actor, str(data.get("error") or gettext("The card was refused."))
            )
            return None
        try:
            label = await asyncio.to_thread(_add, actor, client_id, setup_intent, agreed, note)
        except (GatewayError, ValidationError, NotFoundError, ReadOnlyError) as exc:
            await self._card_failed(
                actor, _message(exc, gettext("The card could not be saved. Please try again."))
            )
            return None
        async with self:
            self._reset_card_form()
            self._reload_cards(actor)
            self.card_agreed = False
            self.card_note = ""
            self.card_notice = gettext(
                "%(card)s was added for the client; the audit log records it."
            ) % {"card": label}
        return None

    async def _card_failed(self, actor: StaffActor, message: str) -> None:
        """Show why, and get a fresh SetupIntent so the card can be corrected and retried."""
        async with self:
            client_id = self._client_id
        try:
            secret = await asyncio.to_thread(_start, actor, client_id)
        except (GatewayError, ValidationError, ReadOnlyError, NotFoundError):
            secret = ""
        async with self:
            self.card_saving = False
            self.card_error = message
            self._client_secret = secret
            if not secret:
                self.card_ready = False


def _message(exc: Exception, fallback: str) -> str:
    """The service's own words; the fallback for "not found" (it names no ids)."""
    return fallback if isinstance(exc, NotFoundError) else error_message(exc, fallback)


def _start(actor: StaffActor, client_id: int) -> str:
    """A SetupIntent secret for one attempt (the agreement was checked on the page)."""
    return staff_cards.start_card(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        client_id=client_id,
        attempt=secrets.token_urlsafe(16),
        client_agreed=True,
    )


def _add(actor: StaffActor, client_id: int, setup_intent: str, agreed: bool, note: str) -> str:
    return staff_cards.add_card(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        client_id=client_id,
        setup_intent_ref=setup_intent,
        client_agreed=agreed,
        note=note,
    )
