"""Client sign-in at /client/login: by password, or by a code e-mailed on request."""

from __future__ import annotations

import reflex as rx

from portal_app.components.sign_in_form import sign_in_card
from portal_app.core import i18n, routes
from portal_app.core.db import session_scope
from portal_app.core.errors import AuthError
from portal_app.core.i18n import N_, gettext
from portal_app.reflex_ext.document_language import document_language
from portal_app.services.identity import registration, signin_codes
from portal_app.state.portal import PortalState
from portal_app.state.sign_in_form import MAX_EMAIL, SignInFormMixin
from portal_app.state.signin_binding import COOKIES_NEEDED, signin_binding
from portal_app.state.translate import _

SIGNED_OUT = N_("You have signed out.")
PASSWORD_CHANGED = N_("Your password was changed. Sign in with the new one.")


class LoginState(SignInFormMixin, PortalState):
    """The sign-in form, and the e-mailed code's two steps (ask, then type it)."""

    # Whether to offer "Create an account" (the company allows self-registration).
    registration_open: bool = False
    # "password", or "other" while signing in by e-mailed code.
    mode: str = "password"
    # The address a code was asked for ("" until then: the code field is shown after).
    code_email: str = ""
    code_error: str = ""
    # The notice's English msgid, translated again when the visitor switches language.
    _notice_msgid: str = ""

    def _page_language(self) -> str:
        return self.lang

    @rx.event
    def on_load(self):
        params = self.router.url.query_parameters
        company = params.get("company") or None
        with session_scope() as db:
            self.registration_open = registration.registration_info(db, company=company).open
            row = registration.registration_company(db, company=company)
        # Nobody is known yet: ?lang= or the visitor's choice, else the browser's, else the
        # company's.
        self._apply_visitor_language(row.locale if row is not None else "")
        self.mode, self.code_email, self.code_error = "password", "", ""
        actor = self._actor()
        self._notice_msgid = (
            SIGNED_OUT
            if params.get("signed_out")
            else PASSWORD_CHANGED
            if params.get("reset")
            else ""
        )
        return self._open_page(
            notice=gettext(self._notice_msgid) if self._notice_msgid else "",
            # An e-mailed-link session may still sign in with a password (or a code) to get a
            # full session.
            signed_in=actor is not None and not actor.is_link_session,
        )

    @rx.event
    def choose_visitor_language(self, lang: str):
        """The sign-in page's switcher: this browser's language, kept in a cookie (nobody is
        signed in to save it for); the page's texts follow without a reload."""
        if lang not in i18n.SHIPPED_LANGUAGES:
            return
        self.visitor_lang = lang
        self._apply_language(lang)
        self.notice = gettext(self._notice_msgid) if self._notice_msgid else ""
        # Messages of an earlier attempt were in the old language: the next attempt says again.
        had_error = self.form_error != ""
        self.email_error = self.password_error = self.form_error = self.code_error = ""
        if had_error and not self.binding_ready:
            self.form_error = gettext(COOKIES_NEEDED)

    @rx.event
    def use_code(self):
        """Switch to signing in by e-mailed code."""
        self._reset_form()
        self.mode, self.code_email, self.code_error, self.notice = "other", "", "", ""
        self._notice_msgid = ""

    @rx.event
    def use_password(self):
        """Back to the password form."""
        self._reset_form()
        self.mode, self.code_error, self.notice = "password", "", ""
        self._notice_msgid = ""

    @rx.event
    def send_code(self, form_data: dict):
        """E-mail a code to the address typed; the same answer whether it has an account."""
        i18n.set_language(self.lang)
        email = str(form_data.get("code_email", "")).strip()[: MAX_EMAIL + 1]
        self.form_error = ""
        if not email or "@" not in email or len(email) > MAX_EMAIL:
            self.code_error = gettext("Enter a valid e-mail address.")
            return
        with session_scope() as db:
            signin_codes.request_code(db, email=email, ip=self._client_ip())
        self.code_email, self.code_error = email, ""
        self._notice_msgid = ""
        self.notice = gettext(signin_codes.NEUTRAL_MESSAGE) % {"minutes": signin_codes.CODE_MINUTES}

    @rx.event
    def submit_code(self, form_data: dict):
        """Sign in with the e-mailed code; the session goes to this browser's cookie."""
        i18n.set_language(self.lang)
        code = str(form_data.get("code", ""))[:20]
        binding = signin_binding(self)
        if binding is None:
            return self._ensure_binding()
        if not code.strip():
            self.code_error = gettext("Enter the code from the e-mail.")
            return
        self.code_error = ""
        try:
            with session_scope() as db:
                try:
                    opened = signin_codes.sign_in_with_code(
                        db,
                        email=self.code_email,
                        code=code,
                        ip=self._client_ip(),
                        user_agent=self.router.headers.user_agent or "",
                        binding=binding,
                    )
                except AuthError:
                    # Keep the counted wrong guess (and its audit row).
                    db.commit()
                    raise
        except AuthError as exc:
            self.code_error = gettext(str(exc))
            return
        return self._handoff_script(opened.handoff_code, self._next_path())


def _error(message, name: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, id=f"{name}-error", color_scheme="red", size="2", role="alert"),
    )


def _code_field(label, name: str, kind: str, autocomplete: str, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"font_weight": "500"}),
        rx.input(
            id=name,
            name=name,
            type=kind,
            auto_complete=autocomplete,
            size="3",
            width="100%",
            aria_invalid=rx.cond(LoginState.code_error != "", "true", "false"),
            aria_describedby=f"{name}-error",
            **props,
        ),
        _error(LoginState.code_error, name),
        spacing="1",
        width="100%",
        align="start",
    )


def _code_forms() -> rx.Component:
    """Ask for a code, then type it."""
    return rx.vstack(
        rx.cond(
            LoginState.code_email == "",
            rx.form(
                rx.vstack(
                    _code_field(_("E-mail"), "code_email", "email", "username", max_length=254),
                    rx.button(_("E-mail me a code"), type="submit", size="3", width="100%"),
                    spacing="4",
                    width="100%",
                ),
                on_submit=LoginState.send_code,
                reset_on_submit=False,
                width="100%",
            ),
            rx.form(
                rx.vstack(
                    _code_field(
                        _("Code from the e-mail"),
                        "code",
                        "text",
                        "one-time-code",
                        input_mode="numeric",
                        max_length=12,
                    ),
                    rx.button(_("Sign in"), type="submit", size="3", width="100%"),
                    rx.button(
                        _("Send a new code"),
                        type="button",
                        variant="ghost",
                        on_click=LoginState.use_code,
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=LoginState.submit_code,
                reset_on_submit=False,
                width="100%",
            ),
        ),
        rx.button(
            _("Sign in with a password instead"),
            type="button",
            variant="ghost",
            on_click=LoginState.use_password,
        ),
        spacing="3",
        width="100%",
    )


def _language_switcher() -> rx.Component:
    # Each language named in itself, so a visitor who landed in the wrong one finds theirs.
    return rx.el.label(
        rx.text(_("Language"), size="1", color_scheme="gray"),
        rx.el.select(
            *[
                rx.el.option(name, value=code, lang=i18n.html_lang(code))
                for code, name in i18n.language_choices()
            ],
            value=LoginState.lang,
            on_change=LoginState.choose_visitor_language,
            id="signin-language",
            style={
                "padding": "0.3em 0.4em",
                "border_radius": "var(--radius-2)",
                "border": f"1px solid {rx.color('gray', 7)}",
                "background": rx.color("gray", 1),
                "color": rx.color("gray", 12),
            },
        ),
        style={"display": "flex", "flex_direction": "column", "gap": "0.25em"},
    )


def login_page() -> rx.Component:
    return rx.fragment(
        document_language(LoginState.html_lang, LoginState.text_dir),
        _card(),
    )


def _card() -> rx.Component:
    return sign_in_card(
        LoginState,
        _("Sign in to your portal"),
        rx.cond(
            LoginState.mode == "password",
            rx.button(
                _("E-mail me a code"),
                type="button",
                variant="outline",
                size="3",
                width="100%",
                on_click=LoginState.use_code,
                # In its place from the start (nothing under it moves), usable with the form.
                visibility=rx.cond(LoginState.binding_ready, "visible", "hidden"),
            ),
        ),
        rx.link(_("Forgot your password?"), href=routes.CLIENT_PASSWORD_RESET, size="2"),
        _language_switcher(),
        # Last: the page learns whether the company takes registrations from its load event,
        # and what shows then must move nothing already on screen.
        rx.cond(
            LoginState.registration_open,
            rx.link(_("New here? Create an account"), href=routes.CLIENT_REGISTER, size="2"),
        ),
        other_form=_code_forms(),
        show=LoginState.mode,
        translate=_,
    )
