"""/subscribe/[key]: the public sign-up page of a payment link.

Shows the plan; a signed-in contact of the plan's company subscribes and pays the first period
by card (saved, or typed into Stripe's card element and saved for renewals) or starts the
trial. A visitor signs in (and comes back here) or, when the company allows registration,
registers on the spot: the registration service e-mails a confirmation link, and once the
address is confirmed the visitor signs in and returns to this page to subscribe.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import date

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.card_choice import card_choice
from portal_app.components.common import field_error
from portal_app.components.test_mode import test_mode_banner
from portal_app.core import i18n, routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext, set_language
from portal_app.gateways.factory import get_gateway
from portal_app.reflex_ext.document_language import document_language
from portal_app.schemas.subscription import PlanView
from portal_app.services.identity import registration
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments.checkout import SavedCardOption
from portal_app.services.subscriptions import signup
from portal_app.services.subscriptions import subscriptions as subs
from portal_app.state.card_payment import (
    NOT_USABLE,
    STEP_ERRORS,
    CardPaymentMixin,
    error_message,
)
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill

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


CANNOT_SUBSCRIBE = N_("This plan cannot be subscribed to.")


class SubscribeState(CardPaymentMixin, PortalState):
    """The plan and, for a signed-in contact of its company, the sign-up and payment."""

    plan: PlanView | None = None
    not_found: bool = False
    loaded: bool = False
    signed_here: bool = False
    login_href: str = routes.CLIENT_LOGIN
    show_register: bool = False
    reg_required: list[str] = []
    reg_terms: str = ""
    reg_errors: dict[str, str] = {}
    reg_done: str = ""
    reg_busy: bool = False
    _key: str = ""
    _company_id: int = 0
    _subscription_id: int = 0

    @rx.event
    def load(self):
        self.loaded = self.not_found = self.signed_here = self.show_register = False
        self.reg_busy = False
        self.reg_done = ""
        self.reg_errors = {}
        self.plan = None
        self._reset_card_payment()
        self._subscription_id = 0
        self._key = self._path_arg()[: subs.MAX_LINK_KEY + 1]
        self.login_href = routes.login_url(self.router.url.path)
        actor = self._actor()
        cards: list[SavedCardOption] = []
        try:
            with session_scope() as db:
                self._company_id = subs.link_company_id(db, key=self._key)
                here = actor is not None and actor.company_id == self._company_id
                if here:
                    self._load_shell(actor)
                    cards = co.saved_cards(db, actor=actor)
                else:
                    self._choose_visitor_language(db)
                # The plan's words (its frequency) in the page's language.
                set_language(self.lang)
                self.plan = subs.plan_view(db, key=self._key)
                if not here and self.plan.allow_registration:
                    info = registration.registration_info(db, company=self._company_id)
                    self.show_register = info.open
                    self.reg_required = list(info.required_fields)
                    self.reg_terms = info.terms
        except NotFoundError:
            self.not_found = True
            self.loaded = True
            return None
        self.signed_here = here
        self._offer_cards(cards)
        self.loaded = True
        if here and self.plan.card_at_signup:
            return self._mount_card()
        return None

    def _choose_visitor_language(self, db) -> None:
        """A visitor's language, the plan's company's as the fallback (as on the sign-in page)."""
        company = registration.registration_company(db, company=self._company_id)
        self._apply_visitor_language(company.locale if company is not None else "")

    @rx.event(background=True)
    async def subscribe(self):
        """Make the subscription, then take the first period's payment (or start the trial)."""
        async with self:
            if self.processing:
                return
            actor = self._actor()
            if actor is None or actor.company_id != self._company_id:
                return rx.redirect(self.login_href)
            set_language(self.lang)
            self._begin_processing(gettext("Setting up your subscription…"))
            key = self._key
            method_id = self._chosen_method_id()
            plan = self.plan
            card_first = bool(plan and plan.trial_days > 0 and plan.card_at_signup)
        if card_first and method_id is None:
            # The trial's card is saved first; the trial starts once it is on file.
            return await self._save_new_card(actor, "trial")
        try:
            start = await asyncio.to_thread(_subscribe, actor, key)
        except (ValidationError, NotFoundError, ReadOnlyError) as exc:
            async with self:
                self._stop()
                self.form_error = gettext(error_message(exc, CANNOT_SUBSCRIBE))
            return
        async with self:
            self._subscription_id = start.subscription_id
            # Renewals charge the card: a new one is kept.
            self._keep_card = True
            if start.trialing:
                self._stop()
                return rx.redirect(self._subscription_target(), replace=True)
        return await self._pay_with_card(actor, method_id, f"subscription-{start.subscription_id}")

    def _keep_new_card_call(self, actor: Actor, setup_intent_ref: str):
        return functools.partial(_keep_trial_card, actor, setup_intent_ref)

    async def _card_kept(self, actor: Actor):
        """The trial's card is on file: start the trial."""
        async with self:
            key = self._key
        try:
            start = await asyncio.to_thread(_subscribe, actor, key)
        except STEP_ERRORS as exc:
            async with self:
                self._fail_card(error_message(exc, NOT_USABLE))
            return None
        async with self:
            self._subscription_id = start.subscription_id
            self._stop()
            return rx.redirect(self._subscription_target(), replace=True)

    def _card_flow_open(self) -> bool:
        # The checkout is made with the first charge; until then the subscription is the flow.
        return bool(self._subscription_id)

    def _charge_call(self, actor: Actor, method_ref: str, method_id: int | None):
        return functools.partial(_pay_first, actor, self._subscription_id, method_ref, method_id)

    def _confirm_call(self, actor: Actor):
        return functools.partial(_finish, actor, self._subscription_id, self._checkout_id)

    def _paid_url(self, outcome: co.ChargeOutcome) -> str:
        return self._subscription_target()

    def _pending_note(self) -> str:
        return gettext("Your subscription starts when it completes.")

    def _subscription_target(self) -> str:
        return f"{routes.subscription_url(self._subscription_id)}?new=1"

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
            # The refusals and the confirmation e-mail in the page's language.
            language = self.lang
            # Signing in after confirming the e-mail leads back to this plan.
            back = routes.subscribe_url(self._key)
        try:
            message = await asyncio.to_thread(
                _register, company_id, form, password, accepted, ip, back, language
            )
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
            with i18n.use_language(language):
                back_note = gettext("The link brings you back to this plan to subscribe.")
            self.reg_done = f"{message} {back_note}"
            self.reg_busy = False


def _subscribe(actor: Actor, key: str) -> signup.SignupStart:
    with session_scope() as db:
        return signup.subscribe(db, actor=actor, key=key, today=date.today())


def _keep_trial_card(actor: Actor, setup_intent: str) -> int:
    return signup.keep_card_for_trial(
        session_scope, actor=actor, gateway=get_gateway(), setup_intent_ref=setup_intent
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


def _register(
    company_id: int, form: dict, password: str, accepted: bool, ip: str, back: str, language: str
) -> str:
    with i18n.use_language(language), session_scope() as db:
        return registration.register(
            db,
            company=company_id,
            form=form,
            password=password,
            accepted_terms=accepted,
            ip=ip,
            next_path=back,
            language=language,
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
                rx.cond(
                    plan.card_at_signup,
                    fill(
                        _(
                            "Free for %(days)s days. Your card is saved now and charged when "
                            "the trial ends."
                        ),
                        days=plan.trial_days.to_string(),
                    ),
                    fill(
                        _(
                            "Free for %(days)s days, no card needed. Add a card before the "
                            "trial ends to keep the plan."
                        ),
                        days=plan.trial_days.to_string(),
                    ),
                ),
                icon="gift",
                color_scheme="green",
                width="100%",
                id="trial-terms",
            ),
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _subscribe_block() -> rx.Component:
    plan = SubscribeState.plan
    return rx.vstack(
        rx.text(
            fill(_("Signed in as %(name)s"), name=SubscribeState.contact_name),
            size="2",
        ),
        rx.cond(plan.card_at_signup, card_choice(SubscribeState)),
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
                rx.text(_("Sign in with your password to subscribe."), size="2"),
                rx.link(_("Sign in"), href=SubscribeState.login_href),
            ),
            rx.button(
                rx.cond(SubscribeState.processing, rx.spinner(size="2")),
                rx.cond(
                    SubscribeState.processing,
                    SubscribeState.progress,
                    rx.cond(plan.trial_days > 0, _("Start free trial"), _("Subscribe and pay")),
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
        rx.el.label(_(label), html_for=f"reg-{name}", style={"font_weight": "500"}),
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
            SubscribeState.reg_done,
            icon="mail-check",
            color_scheme="green",
            role="status",
            width="100%",
            id="register-done",
        ),
        rx.form(
            rx.vstack(
                rx.heading(_("New here? Register"), size="4", as_="h2"),
                _reg_field(
                    N_("Organisation (optional)"), "organisation", autocomplete="organization"
                ),
                _reg_field(N_("First name"), "first_name", autocomplete="given-name"),
                _reg_field(N_("Last name"), "last_name", autocomplete="family-name"),
                _reg_field(N_("E-mail"), "email", "email", "email"),
                _reg_field(N_("Password"), "password", "password", "new-password"),
                rx.cond(required.contains("phone"), _reg_field(N_("Phone"), "phone", "tel", "tel")),
                rx.cond(
                    required.contains("address"),
                    rx.vstack(
                        _reg_field(N_("Street address"), "address1", autocomplete="address-line1"),
                        _reg_field(N_("City"), "city", autocomplete="address-level2"),
                        _reg_field(N_("Postal code"), "postal_code", autocomplete="postal-code"),
                        _reg_field(N_("Country"), "country", autocomplete="country-name"),
                        width="100%",
                    ),
                ),
                rx.cond(
                    required.contains("vat_number"), _reg_field(N_("VAT number"), "vat_number")
                ),
                rx.cond(
                    SubscribeState.reg_terms != "",
                    rx.vstack(
                        rx.text(SubscribeState.reg_terms, size="2", white_space="pre-wrap"),
                        rx.el.label(
                            rx.hstack(
                                rx.checkbox(name="terms", aria_label=_("I accept the terms")),
                                rx.text(_("I accept the terms"), size="2"),
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
                    _("Register"),
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
        rx.text(_("Sign in to subscribe with your account."), size="2"),
        rx.button(
            rx.link(_("Sign in"), href=SubscribeState.login_href, underline="none"),
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
    return rx.fragment(
        # <html lang dir> follow the page's language (no shell on this public page).
        document_language(SubscribeState.html_lang, SubscribeState.text_dir),
        _subscribe_main(),
    )


def _subscribe_main() -> rx.Component:
    return rx.el.main(
        rx.card(
            rx.cond(
                SubscribeState.not_found,
                rx.vstack(
                    rx.heading(_("This link does not work"), size="6", as_="h1"),
                    rx.text(_("The sign-up link is unknown or no longer offered.")),
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
