"""/subscribe/[key]: the public sign-up page of a payment link.

Shows the plan; a signed-in contact of the plan's company subscribes and pays the first period
by card (saved, or typed into Stripe's card element and saved for renewals) or starts the
trial. A visitor signs in (and comes back here) or, when the company allows registration,
registers on the spot: the registration service e-mails a confirmation link, and once the
address is confirmed the visitor signs in and returns to this page to subscribe.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.card_choice import (
    NEW_CARD,
    allowed_choice,
    card_choice,
    mount_when_ready,
)
from portal_app.components.card_element import (
    confirm_payment_script,
    confirm_setup_script,
    parse_result,
)
from portal_app.components.common import field_error
from portal_app.components.test_mode import test_mode_banner
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.gateways.base import GatewayError
from portal_app.gateways.factory import get_gateway, is_test_mode
from portal_app.schemas.subscription import PlanView
from portal_app.services.identity import registration
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments.checkout import SavedCardOption
from portal_app.services.subscriptions import signup
from portal_app.services.subscriptions import subscriptions as subs
from portal_app.state.portal import PortalState

REGISTER_FIELDS = (
    "organisation",
    "first_name",
    "last_name",
    "email",
    "phone",
    "address1",
    "city",
    "postal_code",
    "country",
    "vat_number",
)


class SubscribeState(PortalState):
    """The plan and, for a signed-in contact of its company, the sign-up and payment."""

    plan: PlanView | None = None
    not_found: bool = False
    loaded: bool = False
    signed_here: bool = False
    login_href: str = routes.CLIENT_LOGIN
    cards: list[SavedCardOption] = []
    card_choice: str = NEW_CARD
    test_mode: bool = False
    processing: bool = False
    progress: str = ""
    form_error: str = ""
    card_error: str = ""
    show_register: bool = False
    reg_required: list[str] = []
    reg_terms: str = ""
    reg_errors: dict[str, str] = {}
    reg_done: str = ""
    reg_busy: bool = False
    _key: str = ""
    _company_id: int = 0
    _subscription_id: int = 0
    _checkout_id: int = 0

    @rx.event
    def load(self):
        self.loaded = self.not_found = self.signed_here = self.show_register = False
        self.processing = self.reg_busy = False
        self.form_error = self.card_error = self.progress = self.reg_done = ""
        self.reg_errors = {}
        self.plan = None
        self._subscription_id = self._checkout_id = 0
        self._key = self._path_arg()[: subs.MAX_LINK_KEY + 1]
        self.login_href = routes.login_url(self.router.url.path)
        actor = self._actor()
        try:
            with session_scope() as db:
                self.plan = subs.plan_view(db, key=self._key)
                self._company_id = subs.link_company_id(db, key=self._key)
                here = actor is not None and actor.company_id == self._company_id
                if here:
                    self._load_shell(actor)
                    self.cards = co.saved_cards(db, actor=actor)
                elif self.plan.allow_registration:
                    info = registration.registration_info(db, company=self._company_id)
                    self.show_register = info.open
                    self.reg_required = list(info.required_fields)
                    self.reg_terms = info.terms
        except NotFoundError:
            self.not_found = True
            self.loaded = True
            return None
        self.signed_here = here
        self.card_choice = str(self.cards[0].id) if self.cards else NEW_CARD
        self.test_mode = is_test_mode()
        self.loaded = True
        if here and self.plan.trial_days == 0:
            gateway = get_gateway()
            return rx.call_script(
                mount_when_ready(gateway.js_url(), gateway.publishable_key()),
                callback=SubscribeState.card_mounted,
            )
        return None

    @rx.event
    def card_mounted(self, result: str):
        if not parse_result(result).get("ok"):
            self.card_error = "The card form could not be loaded. Reload the page to try again."

    @rx.event
    def choose_card(self, value: str | list[str]):
        self.card_choice = allowed_choice(value, self.cards)
        self.card_error = ""

    @rx.event(background=True)
    async def subscribe(self):
        """Make the subscription, then take the first period's payment (or start the trial)."""
        async with self:
            if self.processing:
                return
            actor = self._actor()
            if actor is None or actor.company_id != self._company_id:
                return rx.redirect(self.login_href)
            self.processing = True
            self.form_error = self.card_error = ""
            self.progress = "Setting up your subscription…"
            key = self._key
            choice = self.card_choice
        try:
            start = await asyncio.to_thread(_subscribe, actor, key)
        except (ValidationError, NotFoundError, ReadOnlyError) as exc:
            async with self:
                self._fail(_message(exc, "This plan cannot be subscribed to."))
            return
        async with self:
            self._subscription_id = start.subscription_id
            if start.trialing:
                return self._done()
        if choice != NEW_CARD:
            async with self:
                self.progress = "Charging your card…"
            try:
                method_ref = await asyncio.to_thread(_method_ref, actor, int(choice))
            except NotFoundError:
                async with self:
                    self._fail_card("That card is no longer available. Choose another.")
                return
            return await self._pay(actor, method_ref, int(choice))
        try:
            secret = await asyncio.to_thread(_setup_secret, actor, start.subscription_id)
        except (GatewayError, ReadOnlyError) as exc:
            async with self:
                self._fail_card(_message(exc, "The card form is not available."))
            return
        async with self:
            self.progress = "Confirming your card…"
            return rx.call_script(
                confirm_setup_script(secret), callback=SubscribeState.card_confirmed
            )

    @rx.event(background=True)
    async def card_confirmed(self, result: str):
        data = parse_result(result)
        async with self:
            actor = self._actor()
            if actor is None or not self._subscription_id:
                self.processing = False
                return
            if data.get("error") or not data.get("setup_intent"):
                self._fail_card(str(data.get("error") or "The card was not accepted."))
                return
            self.progress = "Charging your card…"
        try:
            method_ref = await asyncio.to_thread(_card_from_setup, actor, str(data["setup_intent"]))
        except (ValidationError, NotFoundError, GatewayError, ReadOnlyError) as exc:
            async with self:
                self._fail_card(_message(exc, "The card could not be used."))
            return
        return await self._pay(actor, method_ref, None)

    async def _pay(self, actor: Actor, method_ref: str, method_id: int | None):
        async with self:
            subscription_id = self._subscription_id
        try:
            outcome, checkout_id = await asyncio.to_thread(
                _pay_first, actor, subscription_id, method_ref, method_id
            )
        except (ValidationError, NotFoundError, ReadOnlyError) as exc:
            async with self:
                self._fail_card(_message(exc, "The payment could not be made."))
            return
        async with self:
            self._checkout_id = checkout_id
        return await self._after(outcome)

    async def _after(self, outcome: co.ChargeOutcome):
        async with self:
            if outcome.status == "succeeded":
                return self._done()
            if outcome.status == "requires_action":
                self.progress = "Waiting for your bank's confirmation…"
                return rx.call_script(
                    confirm_payment_script(outcome.client_secret),
                    callback=SubscribeState.authenticated,
                )
            self._fail_card(outcome.message or "The payment was not completed.")
            return None

    @rx.event(background=True)
    async def authenticated(self, result: str):
        async with self:
            actor = self._actor()
            subscription_id, checkout_id = self._subscription_id, self._checkout_id
            if actor is None or not checkout_id:
                self.processing = False
                return
        try:
            outcome = await asyncio.to_thread(_finish, actor, subscription_id, checkout_id)
        except (GatewayError, NotFoundError, ValidationError, ReadOnlyError) as exc:
            async with self:
                self._fail_card(_message(exc, "The payment could not be confirmed."))
            return
        return await self._after(outcome)

    @rx.event(background=True)
    async def register(self, form_data: dict):
        """Register through the registration service (it e-mails a confirmation link)."""
        form = {name: str(form_data.get(name, ""))[:300] for name in REGISTER_FIELDS}
        password = str(form_data.get("password", ""))[:300]
        accepted = bool(form_data.get("terms"))
        async with self:
            if self.reg_busy or not self.show_register:
                return
            self.reg_busy = True
            self.reg_errors = {}
            self.form_error = ""
            company_id, ip = self._company_id, self._client_ip()
        try:
            message = await asyncio.to_thread(_register, company_id, form, password, accepted, ip)
        except registration.RegistrationErrors as exc:
            async with self:
                self.reg_errors = dict(exc.errors)
                self.reg_busy = False
            return
        except ValidationError as exc:
            async with self:
                self.reg_errors = {"form": exc.message}
                self.reg_busy = False
            return
        async with self:
            self.reg_done = message
            self.reg_busy = False

    def _done(self):
        self.processing = False
        self.progress = ""
        target = routes.subscription_url(self._subscription_id)
        return rx.redirect(f"{target}?new=1", replace=True)

    def _fail(self, message: str) -> None:
        self.processing = False
        self.progress = ""
        self.form_error = message

    def _fail_card(self, message: str) -> None:
        self.processing = False
        self.progress = ""
        self.card_error = message


def _message(exc: Exception, fallback: str) -> str:
    return (
        getattr(exc, "message", "")
        or (str(exc) if isinstance(exc, ReadOnlyError) else "")
        or (fallback)
    )


def _subscribe(actor: Actor, key: str) -> signup.SignupStart:
    with session_scope() as db:
        return signup.subscribe(db, actor=actor, key=key, today=date.today())


def _method_ref(actor: Actor, method_id: int) -> str:
    with session_scope() as db:
        return co.method_ref_of(db, actor=actor, method_id=method_id)


def _setup_secret(actor: Actor, subscription_id: int) -> str:
    attempt = uuid.uuid4().hex[:16]
    return flow.setup_new_card(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        purpose=f"subscription-{subscription_id}-{attempt}",
    )


def _card_from_setup(actor: Actor, setup_intent: str) -> str:
    # Saved: renewals charge it.
    return flow.card_from_setup(
        session_scope, actor=actor, gateway=get_gateway(), setup_intent_ref=setup_intent, save=True
    )


def _pay_first(
    actor: Actor, subscription_id: int, method_ref: str, method_id: int | None
) -> tuple[co.ChargeOutcome, int]:
    return signup.pay_first_period(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        subscription_id=subscription_id,
        method_ref=method_ref,
        payment_method_id=method_id,
    )


def _finish(actor: Actor, subscription_id: int, checkout_id: int) -> co.ChargeOutcome:
    return signup.finish_after_action(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        subscription_id=subscription_id,
        checkout_id=checkout_id,
    )


def _register(company_id: int, form: dict, password: str, accepted: bool, ip: str) -> str:
    with session_scope() as db:
        return registration.register(
            db, company=company_id, form=form, password=password, accepted_terms=accepted, ip=ip
        )


# -- page ---------------------------------------------------------------------------------------


def _plan_card() -> rx.Component:
    plan = SubscribeState.plan
    return rx.vstack(
        rx.text(plan.company_name, color_scheme="gray", size="2"),
        rx.heading(plan.name, size="7", as_="h1"),
        rx.hstack(
            rx.text(plan.price, size="6", weight="bold", id="plan-price"),
            rx.text("/ ", plan.frequency_label, color_scheme="gray"),
            align="baseline",
            spacing="2",
        ),
        rx.cond(plan.description != "", rx.text(plan.description)),
        rx.cond(
            plan.trial_days > 0,
            callout(
                "Free for "
                + plan.trial_days.to_string()
                + " days; you are charged when the trial ends.",
                icon="gift",
                color_scheme="green",
                width="100%",
            ),
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _subscribe_block() -> rx.Component:
    plan = SubscribeState.plan
    return rx.vstack(
        rx.text("Signed in as ", rx.text.strong(SubscribeState.contact_name), size="2"),
        rx.cond(plan.trial_days == 0, card_choice(SubscribeState)),
        rx.cond(
            SubscribeState.form_error != "",
            callout(
                SubscribeState.form_error,
                icon="circle-alert",
                color_scheme="red",
                role="alert",
                width="100%",
            ),
        ),
        rx.cond(
            SubscribeState.is_link_session,
            rx.vstack(
                rx.text("Sign in with your password to subscribe.", size="2"),
                rx.link("Sign in", href=SubscribeState.login_href),
            ),
            rx.button(
                rx.cond(SubscribeState.processing, rx.spinner(size="2")),
                rx.cond(
                    SubscribeState.processing,
                    SubscribeState.progress,
                    rx.cond(plan.trial_days > 0, "Start free trial", "Subscribe and pay"),
                ),
                on_click=SubscribeState.subscribe,
                size="3",
                width="100%",
                disabled=SubscribeState.processing | SubscribeState.is_preview,
                id="subscribe-button",
            ),
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def _reg_field(label: str, name: str, kind: str = "text", autocomplete: str = "") -> rx.Component:
    error = SubscribeState.reg_errors.get(name, "")
    return rx.vstack(
        rx.el.label(label, html_for=f"reg-{name}", style={"font_weight": "500"}),
        rx.input(
            id=f"reg-{name}",
            name=name,
            type=kind,
            auto_complete=autocomplete or "off",
            width="100%",
            max_length=254,
            aria_invalid=rx.cond(error != "", "true", "false"),
        ),
        field_error(error),
        spacing="1",
        width="100%",
        align="start",
    )


def _register_block() -> rx.Component:
    required = SubscribeState.reg_required
    return rx.cond(
        SubscribeState.reg_done != "",
        callout(
            SubscribeState.reg_done + " Then sign in to finish subscribing.",
            icon="mail-check",
            color_scheme="green",
            role="status",
            width="100%",
            id="register-done",
        ),
        rx.form(
            rx.vstack(
                rx.heading("New here? Register", size="4", as_="h2"),
                _reg_field("Organisation (optional)", "organisation", autocomplete="organization"),
                _reg_field("First name", "first_name", autocomplete="given-name"),
                _reg_field("Last name", "last_name", autocomplete="family-name"),
                _reg_field("E-mail", "email", "email", "email"),
                _reg_field("Password", "password", "password", "new-password"),
                rx.cond(required.contains("phone"), _reg_field("Phone", "phone", "tel", "tel")),
                rx.cond(
                    required.contains("address"),
                    rx.vstack(
                        _reg_field("Street address", "address1", autocomplete="address-line1"),
                        _reg_field("City", "city", autocomplete="address-level2"),
                        _reg_field("Postal code", "postal_code", autocomplete="postal-code"),
                        _reg_field("Country", "country", autocomplete="country-name"),
                        width="100%",
                    ),
                ),
                rx.cond(required.contains("vat_number"), _reg_field("VAT number", "vat_number")),
                rx.cond(
                    SubscribeState.reg_terms != "",
                    rx.vstack(
                        rx.text(SubscribeState.reg_terms, size="2", white_space="pre-wrap"),
                        rx.el.label(
                            rx.hstack(
                                rx.checkbox(name="terms", aria_label="I accept the terms"),
                                rx.text("I accept the terms", size="2"),
                                spacing="2",
                                align="center",
                            )
                        ),
                        field_error(SubscribeState.reg_errors.get("terms", "")),
                        width="100%",
                    ),
                ),
                field_error(SubscribeState.reg_errors.get("form", "")),
                rx.button(
                    rx.cond(SubscribeState.reg_busy, rx.spinner(size="2")),
                    "Register",
                    type="submit",
                    variant="soft",
                    width="100%",
                    disabled=SubscribeState.reg_busy,
                    id="register-button",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=SubscribeState.register,
            reset_on_submit=False,
            width="100%",
        ),
    )


def _visitor_block() -> rx.Component:
    return rx.vstack(
        rx.text("Sign in to subscribe with your account.", size="2"),
        rx.button(
            rx.link("Sign in", href=SubscribeState.login_href, underline="none"),
            as_child=True,
            size="3",
            width="100%",
        ),
        rx.cond(SubscribeState.show_register, rx.separator(size="4")),
        rx.cond(SubscribeState.show_register, _register_block()),
        spacing="3",
        width="100%",
    )


def subscribe_page() -> rx.Component:
    return rx.el.main(
        rx.card(
            rx.cond(
                SubscribeState.not_found,
                rx.vstack(
                    rx.heading("This link does not work", size="6", as_="h1"),
                    rx.text("The sign-up link is unknown or no longer offered."),
                    spacing="2",
                ),
                rx.cond(
                    SubscribeState.loaded,
                    rx.vstack(
                        test_mode_banner(SubscribeState.test_mode),
                        _plan_card(),
                        rx.separator(size="4"),
                        rx.cond(SubscribeState.signed_here, _subscribe_block(), _visitor_block()),
                        spacing="4",
                        width="100%",
                    ),
                    rx.center(rx.spinner(size="3"), padding="3em", role="status"),
                ),
            ),
            size="4",
            width="100%",
        ),
        style={"width": "100%"},
    )
