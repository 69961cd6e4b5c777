"""/client/register (when the company allows it) and /client/register/confirm (the e-mailed
confirmation link). Which company: ?company=<id>, else the deployment's first one. Both pages
are in the visitor's language as the sign-in page chooses it (?lang=, the portal_lang cookie,
Accept-Language, the company's); the registration e-mails follow it."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.core import i18n, routes
from portal_app.core.db import session_scope
from portal_app.core.errors import ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.reflex_ext.document_language import document_language
from portal_app.services.identity import registration
from portal_app.state.event_address import event_client_address
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill

# Labels are English msgids (N_), translated where shown.
FIELDS = (
    ("organisation", N_("Organisation (optional)"), "organization"),
    ("first_name", N_("First name"), "given-name"),
    ("last_name", N_("Last name"), "family-name"),
    ("email", N_("E-mail"), "email"),
)
OPTIONAL = {
    "phone": (("phone", N_("Phone"), "tel"),),
    "address": (
        ("address1", N_("Street address"), "street-address"),
        ("city", N_("City"), "address-level2"),
        ("postal_code", N_("Postal code"), "postal-code"),
        ("country", N_("Country"), "country-name"),
    ),
    "vat_number": (("vat_number", N_("VAT number"), "off"),),
}


def _choose_visitor_language(state: PortalState) -> None:
    """The page's language for a visitor of the ?company= company (nobody signed in)."""
    company = state.router.url.query_parameters.get("company") or None
    with session_scope() as db:
        row = registration.registration_company(db, company=company)
    state._apply_visitor_language(row.locale if row is not None else "")


class RegisterState(PortalState):
    """The registration form; the service decides everything (open, fields, duplicates)."""

    is_open: bool = False
    checked: bool = False
    company_name: str = ""
    required: list[str] = []
    terms: str = ""
    errors: dict[str, str] = {}
    form_error: str = ""
    done_message: str = ""
    submitting: bool = False
    _company: str = ""

    @rx.event
    def on_load(self):
        self.errors = {}
        self.form_error = self.done_message = ""
        self.submitting = False
        self._company = str(self.router.url.query_parameters.get("company", ""))[:12]
        _choose_visitor_language(self)
        with session_scope() as db:
            info = registration.registration_info(db, company=self._company or None)
        self.is_open = info.open
        self.company_name = info.company_name
        self.required = info.required_fields
        self.terms = info.terms
        self.checked = True

    @rx.event(background=True)
    async def submit(self, form_data: dict):
        async with self:
            if self.submitting:
                return
            self.submitting = True
            self.errors = {}
            self.form_error = ""
            company = self._company or None
            ip = event_client_address(self.router)
            # The refusals on the page and the e-mails are in the page's language.
            language = self.lang
        password = str(form_data.get("password", "") or "")[:300]
        accepted = form_data.get("accept_terms") == "on"
        try:
            message = await asyncio.to_thread(
                _register, company, form_data, password, accepted, ip, language
            )
        except registration.RegistrationErrors as exc:
            async with self:
                self.errors = exc.errors
                self.submitting = False
            return
        except ValidationError as exc:
            async with self:
                self.form_error = exc.message
                self.submitting = False
            return
        async with self:
            self.done_message = message
            self.submitting = False


def _register(
    company, form_data: dict, password: str, accepted: bool, ip: str, language: str
) -> str:
    with i18n.use_language(language), session_scope() as db:
        return registration.register(
            db,
            company=company,
            form=dict(form_data),
            password=password,
            accepted_terms=accepted,
            ip=ip,
            language=language,
        )


def _field(name: str, label: str, autocomplete: str, kind: str = "text") -> rx.Component:
    return rx.vstack(
        rx.el.label(_(label), html_for=name, style={"font_weight": "500"}),
        rx.input(
            id=name,
            name=name,
            type=kind,
            auto_complete=autocomplete,
            width="100%",
            max_length=254,
            aria_invalid=rx.cond(RegisterState.errors.contains(name), "true", "false"),
            aria_describedby=f"{name}-error",
        ),
        rx.cond(
            RegisterState.errors.contains(name),
            rx.text(
                RegisterState.errors[name],
                id=f"{name}-error",
                color_scheme="red",
                size="2",
                role="alert",
            ),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


def _form() -> rx.Component:
    optional = [
        rx.cond(
            RegisterState.required.contains(key),
            rx.fragment(*[_field(*spec) for spec in specs]),
        )
        for key, specs in OPTIONAL.items()
    ]
    return rx.form(
        rx.vstack(
            *[_field(*spec, kind="email" if spec[0] == "email" else "text") for spec in FIELDS],
            *optional,
            _field("password", N_("Password (at least 10 characters)"), "new-password", "password"),
            rx.cond(
                RegisterState.terms != "",
                rx.vstack(
                    rx.scroll_area(
                        rx.text(RegisterState.terms, size="2", white_space="pre-wrap"),
                        max_height="10em",
                        type="auto",
                    ),
                    rx.text(
                        rx.flex(
                            rx.checkbox(name="accept_terms", aria_label=_("I accept these terms")),
                            _("I accept these terms"),
                            spacing="2",
                        ),
                        as_="label",
                        size="2",
                    ),
                    rx.cond(
                        RegisterState.errors.contains("terms"),
                        rx.text(
                            RegisterState.errors["terms"],
                            color_scheme="red",
                            size="2",
                            role="alert",
                        ),
                    ),
                    width="100%",
                ),
            ),
            rx.button(
                _("Create account"),
                type="submit",
                size="3",
                width="100%",
                disabled=RegisterState.submitting,
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=RegisterState.submit,
        reset_on_submit=False,
        width="100%",
    )


def register_page() -> rx.Component:
    return rx.fragment(
        # <html lang dir> follow the page's language, as on the sign-in page.
        document_language(RegisterState.html_lang, RegisterState.text_dir),
        _register_card(),
    )


def _register_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(
                rx.cond(
                    RegisterState.company_name != "",
                    fill(
                        _("Register for the %(company)s portal"),
                        company=RegisterState.company_name,
                    ),
                    _("Register"),
                ),
                size="6",
                as_="h1",
            ),
            rx.cond(
                ~RegisterState.checked,
                rx.center(rx.spinner(), padding="2em", role="status"),
                rx.cond(
                    ~RegisterState.is_open,
                    callout(
                        _(registration.CLOSED_MESSAGE),
                        icon="lock",
                        color_scheme="gray",
                        id="registration-closed",
                    ),
                    rx.cond(
                        RegisterState.done_message != "",
                        callout(
                            RegisterState.done_message,
                            icon="mail-check",
                            color_scheme="green",
                            role="status",
                            id="registration-done",
                        ),
                        rx.vstack(
                            rx.cond(
                                RegisterState.form_error != "",
                                callout(
                                    RegisterState.form_error,
                                    icon="triangle-alert",
                                    color_scheme="red",
                                    role="alert",
                                ),
                            ),
                            _form(),
                            width="100%",
                        ),
                    ),
                ),
            ),
            rx.link(_("Already registered? Sign in"), href=routes.CLIENT_LOGIN, size="2"),
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
    )


class ConfirmState(PortalState):
    """The e-mailed confirmation link: opening it changes nothing, the button confirms (a
    mail scanner or a link from elsewhere that opens the URL does not activate the account)."""

    message: str = ""
    ok: bool = False
    confirming: bool = False
    # Where "Sign in" leads: with the page the visitor registered from (a plan) as next.
    signin_href: str = routes.CLIENT_LOGIN

    @rx.event
    def on_load(self):
        self.message, self.ok, self.confirming = "", False, False
        self.signin_href = routes.CLIENT_LOGIN
        _choose_visitor_language(self)

    @rx.event
    def confirm(self):
        """The "Confirm my e-mail address" click."""
        token = str(self.router.url.query_parameters.get("token", ""))[:400]
        i18n.set_language(self.lang)  # the refusal and the notice in the page's language
        try:
            with session_scope() as db:
                registration.confirm_email(db, token=token, ip=event_client_address(self.router))
        except ValidationError as exc:
            self.ok = False
            self.message = exc.message
            return
        self.ok = True
        self.signin_href = registration.signin_url_after(token)
        if self.signin_href == routes.CLIENT_LOGIN:
            self.message = gettext("Your e-mail address is confirmed. You can sign in now.")
        else:
            self.message = gettext(
                "Your e-mail address is confirmed. Sign in to go back where you were."
            )


def register_confirm_page() -> rx.Component:
    return rx.fragment(
        document_language(ConfirmState.html_lang, ConfirmState.text_dir),
        _confirm_card(),
    )


def _confirm_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Confirm your e-mail"), size="6", as_="h1"),
            rx.cond(
                ConfirmState.message == "",
                rx.button(
                    _("Confirm my e-mail address"),
                    on_click=ConfirmState.confirm,
                    id="confirm-email",
                ),
                rx.cond(
                    ConfirmState.ok,
                    callout(
                        ConfirmState.message,
                        icon="check",
                        color_scheme="green",
                        id="confirm-message",
                    ),
                    callout(
                        ConfirmState.message,
                        icon="triangle-alert",
                        color_scheme="red",
                        id="confirm-message",
                    ),
                ),
            ),
            rx.link(_("Sign in"), href=ConfirmState.signin_href, id="confirm-sign-in"),
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
    )
