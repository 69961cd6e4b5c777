"""/client/payment_methods: the client's saved cards; add one, make one the default, remove one.

Adding a card: the server makes a SetupIntent (its client secret stays in a backend-only var and
goes to the browser only inside the confirm script), Stripe.js's card element is mounted into the
card box, and "Save card" confirms the SetupIntent in the browser. The server then reads the
SetupIntent back from the gateway and saves the card only if it belongs to this client.
Gateway calls run in background events, so the page never freezes.
"""

from __future__ import annotations

import asyncio
import secrets

import reflex as rx

from portal_app.components.accessible import badge, callout
from portal_app.components.card_element import card_box
from portal_app.components.common import empty_state, page_heading
from portal_app.components.test_mode import test_mode_banner
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext, set_language
from portal_app.gateways.base import GatewayError
from portal_app.gateways.factory import get_gateway, is_test_mode
from portal_app.schemas.payment_method import PaymentMethodView
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import payment_methods
from portal_app.state.portal import PortalState
from portal_app.state.stripe_card import confirm_setup_script, mount_script, parse_result
from portal_app.state.translate import _, fill, pgettext

# English msgids (N_): translated where set (gettext) or shown (_).
GONE = N_("That card is no longer on your account.")
LINK_NOTICE = N_(
    "You opened the portal from an e-mailed link. You can see your saved cards here; "
    "sign in with your password to add or remove cards."
)
PREVIEW_NOTICE = N_("Staff preview: cards cannot be added, removed or changed here.")


class PaymentMethodsState(PortalState):
    """Saved cards and the add-card form. Every handler re-checks the session."""

    cards: list[PaymentMethodView] = []
    loaded: bool = False
    test_mode: bool = False
    busy: bool = False
    busy_label: str = ""
    form_open: bool = False
    card_ready: bool = False
    saving: bool = False
    card_error: str = ""
    list_error: str = ""
    notice: str = ""
    _client_secret: str = ""

    def _reset_form(self) -> None:
        self.form_open = self.card_ready = self.saving = False
        self.card_error = ""
        self._client_secret = ""

    @rx.event
    def load(self):
        self.loaded = False
        self.busy = False
        self.busy_label = self.list_error = self.notice = ""
        self._reset_form()
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        self.cards = _list(actor)
        self.test_mode = is_test_mode()
        self.loaded = True
        return None

    # -- add a card ------------------------------------------------------------------------

    @rx.event(background=True)
    async def start_add(self):
        """Get a SetupIntent for a new card, then mount the card element."""
        async with self:
            if self.busy or self.saving:
                return None
            actor = self._actor()
            if actor is None:
                return self._login_redirect()
            set_language(self.lang)  # no shell check in these events: texts in the page's language
            self._reset_form()
            self.notice = self.list_error = ""
            if actor.is_link_session or actor.is_preview:
                self.card_error = gettext(
                    payment_methods.LINK_SESSION_MESSAGE
                    if actor.is_link_session
                    else payment_methods.PREVIEW_MESSAGES["add"]
                )
                return None
            self.form_open = True
            self.busy = True
            self.busy_label = gettext("Preparing the card form…")
        try:
            secret = await asyncio.to_thread(_start, actor)
        except (GatewayError, ValidationError, ReadOnlyError) as exc:
            async with self:
                self.busy = False
                self.busy_label = ""
                self.card_error = _message(exc, gettext("The card form could not be prepared."))
            return None
        gateway = get_gateway()
        async with self:
            self._client_secret = secret
            self.busy_label = gettext("Loading the card form…")
            return rx.call_script(
                mount_script(gateway.js_url(), gateway.publishable_key()),
                callback=PaymentMethodsState.card_mounted,
            )

    @rx.event
    def card_mounted(self, result: str):
        self.busy = False
        self.busy_label = ""
        if parse_result(result).get("ok") is True:
            self.card_ready = True
        else:
            set_language(self.lang)
            self.card_error = gettext(
                "The card form could not be loaded. Reload the page to try again."
            )

    @rx.event
    def cancel_add(self):
        if not self.saving:
            self._reset_form()

    @rx.event
    def save_card(self):
        """Confirm the SetupIntent with the card element in the browser."""
        if not self.card_ready or self.saving or self.busy or not self._client_secret:
            return None
        self.saving = True
        self.card_error = ""
        set_language(self.lang)
        self.busy_label = gettext("Saving your card…")
        return rx.call_script(
            confirm_setup_script(self._client_secret),
            callback=PaymentMethodsState.card_confirmed,
        )

    @rx.event(background=True)
    async def card_confirmed(self, result: str):
        """The browser says it confirmed the SetupIntent; the gateway decides what it saved."""
        data = parse_result(result)
        setup_intent = data.get("setup_intent")
        async with self:
            if not self.saving:
                return None
            actor = self._actor()
            if actor is None:
                return self._login_redirect()
            set_language(self.lang)
        if not isinstance(setup_intent, str) or not setup_intent or data.get("error"):
            # Stripe.js's own words (already in the browser's language) else ours.
            refused = data.get("error") or gettext("The card was refused.")
            await self._card_failed(actor, str(refused))
            return None
        try:
            view = await asyncio.to_thread(_add, actor, setup_intent)
        except (GatewayError, ValidationError, NotFoundError, ReadOnlyError) as exc:
            await self._card_failed(
                actor, _message(exc, gettext("The card could not be saved. Please try again."))
            )
            return None
        cards = await asyncio.to_thread(_list, actor)
        async with self:
            self.cards = cards
            self._reset_form()
            self.busy_label = ""
            self.notice = gettext("%(brand)s ending in %(last4)s was saved.") % {
                "brand": view.brand,
                "last4": view.last4,
            }
        return None

    async def _card_failed(self, actor: Actor, message: str) -> None:
        """Show why, and get a fresh SetupIntent so the client can correct the card and retry."""
        try:
            secret = await asyncio.to_thread(_start, actor)
        except (GatewayError, ValidationError, ReadOnlyError):
            secret = ""
        async with self:
            self.saving = False
            self.busy_label = ""
            self.card_error = message
            self._client_secret = secret
            if not secret:
                self.card_ready = False

    # -- default and remove ----------------------------------------------------------------

    @rx.event
    def make_default(self, method_id: int):
        if self.busy or self.saving:
            return None
        actor = self._actor()
        if actor is None:
            return self._login_redirect()
        set_language(self.lang)
        self.notice = self.list_error = ""
        try:
            view = _set_default(actor, method_id)
        except ReadOnlyError as exc:
            self.list_error = str(exc)
            return None
        except NotFoundError:
            self.list_error = gettext(GONE)
        else:
            self.notice = gettext("%(brand)s ending in %(last4)s is now your default card.") % {
                "brand": view.brand,
                "last4": view.last4,
            }
        self.cards = _list(actor)
        return None

    @rx.event(background=True)
    async def remove(self, method_id: int):
        """Detach the card at the card processor, then drop it from the list."""
        async with self:
            if self.busy or self.saving:
                return None
            actor = self._actor()
            if actor is None:
                return self._login_redirect()
            set_language(self.lang)
            card = next((c for c in self.cards if c.id == method_id), None)
            self.notice = self.list_error = ""
            self.busy = True
            self.busy_label = gettext("Removing the card…")
        message = ""
        try:
            await asyncio.to_thread(_remove, actor, method_id)
        except NotFoundError:
            message = gettext(GONE)
        except (GatewayError, ValidationError, ReadOnlyError) as exc:
            message = _message(exc, gettext("The card could not be removed."))
        cards = await asyncio.to_thread(_list, actor)
        async with self:
            self.cards = cards
            self.busy = False
            self.busy_label = ""
            self.list_error = message
            if not message:
                self.notice = (
                    gettext("%(brand)s ending in %(last4)s was removed.")
                    % {"brand": card.brand, "last4": card.last4}
                    if card is not None
                    else gettext("The card was removed.")
                )
        return None


def _message(exc: Exception, fallback: str) -> str:
    """A message safe to show: the service's own words, else the fallback (never an id)."""
    if isinstance(exc, NotFoundError):
        return fallback
    return str(getattr(exc, "message", "") or (exc.args[0] if exc.args else "") or fallback)


def _list(actor: Actor) -> list[PaymentMethodView]:
    with session_scope() as db:
        return payment_methods.list_methods(db, actor=actor)


def _start(actor: Actor) -> str:
    return payment_methods.start_adding(
        session_scope, actor=actor, gateway=get_gateway(), attempt=secrets.token_urlsafe(12)
    )


def _add(actor: Actor, setup_intent: str) -> PaymentMethodView:
    return payment_methods.add_from_setup_intent(
        session_scope, actor=actor, gateway=get_gateway(), setup_intent_ref=setup_intent
    )


def _set_default(actor: Actor, method_id: int) -> PaymentMethodView:
    with session_scope() as db:
        return payment_methods.set_default(db, actor=actor, method_id=method_id)


def _remove(actor: Actor, method_id: int) -> None:
    payment_methods.remove_method(
        session_scope, actor=actor, gateway=get_gateway(), method_id=method_id
    )


# -- components ----------------------------------------------------------------------------

S = PaymentMethodsState
may_change = ~S.is_link_session & ~S.is_preview


def _busy_indicator() -> rx.Component:
    return rx.cond(
        S.busy_label != "",
        rx.hstack(
            rx.spinner(size="2"),
            rx.text(S.busy_label, size="2", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
    )


def _card_name(card: PaymentMethodView) -> rx.Var:
    return fill(_("%(brand)s ending in %(last4)s"), brand=card.brand, last4=card.last4)


def _remove_dialog(card: PaymentMethodView) -> rx.Component:
    name = _card_name(card)
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                _("Remove"),
                variant="soft",
                color_scheme="red",
                size="2",
                disabled=S.busy | S.saving,
                aria_label=fill(_("Remove %(card)s"), card=name),
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(_("Remove this card?")),
            rx.alert_dialog.description(
                fill(
                    _("%(card)s will be removed from your account. You can add it again later."),
                    card=name,
                ),
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(_("Keep card"), variant="soft", color_scheme="gray")
                ),
                rx.alert_dialog.action(
                    rx.button(
                        _("Remove card"),
                        color_scheme="red",
                        on_click=S.remove(card.id),
                        data_testid="confirm-remove",
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="26em",
        ),
    )


def _card_row(card: PaymentMethodView) -> rx.Component:
    name = _card_name(card)
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.icon("credit-card", size=22, aria_hidden="true"),
                rx.vstack(
                    rx.hstack(
                        rx.text(card.brand, weight="medium"),
                        rx.text(
                            "•••• " + card.last4,
                            aria_label=fill(_("ending in %(last4)s"), last4=card.last4),
                        ),
                        spacing="2",
                    ),
                    rx.text(
                        rx.cond(
                            card.is_expired,
                            fill(_("Expired %(expiry)s"), expiry=card.expiry),
                            fill(_("Expires %(expiry)s"), expiry=card.expiry),
                        ),
                        size="2",
                        color_scheme=rx.cond(card.is_expired, "red", "gray"),
                    ),
                    spacing="0",
                ),
                rx.cond(
                    card.is_default,
                    badge(
                        pgettext("saved card", "Default"),
                        color_scheme="green",
                        variant="soft",
                        radius="full",
                    ),
                ),
                rx.cond(
                    card.is_expired,
                    badge(
                        pgettext("saved card", "Expired"),
                        color_scheme="red",
                        variant="soft",
                        radius="full",
                    ),
                ),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.spacer(),
            rx.cond(
                may_change,
                rx.hstack(
                    rx.cond(
                        ~card.is_default,
                        rx.button(
                            _("Make default"),
                            variant="soft",
                            size="2",
                            on_click=S.make_default(card.id),
                            disabled=S.busy | S.saving,
                            aria_label=fill(_("Make %(card)s the default card"), card=name),
                        ),
                    ),
                    _remove_dialog(card),
                    spacing="2",
                ),
            ),
            align="center",
            gap="3",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
        data_testid="payment-method-row",
    )


def _card_list() -> rx.Component:
    return rx.cond(
        S.cards.length() > 0,
        rx.vstack(rx.foreach(S.cards, _card_row), width="100%", spacing="2"),
        empty_state(
            _("No saved cards"),
            _("Cards you save here can pay invoices in one step."),
            icon="credit-card",
        ),
    )


def _messages() -> rx.Component:
    return rx.fragment(
        rx.cond(
            S.notice != "",
            callout(S.notice, icon="circle-check", color_scheme="green", role="status"),
        ),
        rx.cond(
            S.list_error != "",
            callout(S.list_error, icon="triangle-alert", color_scheme="red", role="alert"),
        ),
    )


def _add_section() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Add a card"), size="4", as_="h2"),
        rx.cond(
            ~S.form_open,
            rx.button(
                rx.icon("plus", size=16, aria_hidden="true"),
                _("Add a card"),
                on_click=S.start_add,
                disabled=S.busy | S.saving,
                id="add-card",
            ),
        ),
        # The card box is always in the page (hidden until used), so Stripe.js can mount into it.
        rx.box(
            rx.vstack(
                rx.text(_("Card details"), weight="medium"),
                card_box(),
                rx.text(
                    _("Your card number goes straight to our card processor; we never see it."),
                    size="1",
                    color_scheme="gray",
                ),
                rx.hstack(
                    rx.button(
                        rx.cond(S.saving, rx.spinner(size="2"), rx.icon("lock", size=16)),
                        _("Save card"),
                        on_click=S.save_card,
                        disabled=~S.card_ready | S.saving | S.busy,
                        id="save-card",
                    ),
                    rx.button(
                        _("Cancel"),
                        variant="soft",
                        color_scheme="gray",
                        on_click=S.cancel_add,
                        disabled=S.saving,
                        id="cancel-add-card",
                    ),
                    spacing="2",
                ),
                spacing="2",
                width="100%",
                align="start",
            ),
            display=rx.cond(S.form_open, "block", "none"),
            width="100%",
            max_width="32em",
        ),
        rx.cond(
            S.card_error != "",
            rx.text(S.card_error, color_scheme="red", size="2", role="alert", id="card-error"),
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def _limited_notice() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("lock", size=16)),
        rx.callout.text(
            rx.cond(S.is_preview, _(PREVIEW_NOTICE), _(LINK_NOTICE)),
            rx.cond(
                S.is_link_session,
                rx.fragment(
                    " ",
                    rx.link(_("Sign in"), href=routes.login_url(routes.CLIENT_PAYMENT_METHODS)),
                ),
            ),
        ),
        color_scheme="blue",
        role="status",
        width="100%",
        id="cards-read-only",
    )


def payment_methods_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Payment methods"), _("Cards saved for paying your invoices.")),
        test_mode_banner(S.test_mode),
        _messages(),
        rx.cond(
            S.loaded,
            rx.vstack(
                _card_list(),
                _busy_indicator(),
                rx.cond(may_change, _add_section(), _limited_notice()),
                width="100%",
                spacing="5",
                align="start",
            ),
            rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
        ),
        width="100%",
        spacing="4",
        align="start",
        aria_busy=S.busy | S.saving,
    )
