"""/client/profile: the contact's details, e-mail address, password, the client's billing
details (where the company allows it) and the preferences (language, formats, sign-in).

Each section is its own form; services/identity/profile.py checks and saves it and reports
wrong fields by name, shown under each field. A new e-mail address is confirmed from the link
sent to it (/client/profile/email, below): until then nothing changes.
"""

from __future__ import annotations

import asyncio

import reflex as rx
from babel import Locale

from portal_app.components.accessible import callout
from portal_app.components.common import field_error, page_heading
from portal_app.core import i18n, routes
from portal_app.core.db import session_scope
from portal_app.core.errors import FieldErrors, NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext, ngettext
from portal_app.schemas.profile import LOCALE_CHOICES
from portal_app.services.identity import profile
from portal_app.services.identity.actor import Actor
from portal_app.state import browser_js
from portal_app.state.event_address import event_client_address
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill

SECTIONS = ("details", "email", "password", "billing", "preferences", "emails")


def _locale_options(language: str) -> list[list[str]]:
    """(code, name in the viewer's language) of each format a client may pick."""
    options = []
    for code in LOCALE_CHOICES:
        name = Locale.parse(code).get_display_name(language) or code
        options.append([code, name[:1].upper() + name[1:]])
    return options


class ProfileState(PortalState):
    """The profile forms. Every handler re-checks the session; the service decides."""

    loaded: bool = False
    link_only: bool = False
    values: dict[str, str] = {}
    email: str = ""
    has_password: bool = False
    codes_only: bool = False
    company_codes_only: bool = False
    may_edit_billing: bool = False
    locale_options: list[list[str]] = []
    # The optional e-mails: [kind, name in the contact's language, "on" or ""].
    email_kinds: list[list[str]] = []
    errors: dict[str, str] = {}
    # The outcome of the last save, by section (shown in that section).
    notices: dict[str, str] = {}
    failures: dict[str, str] = {}
    busy: str = ""
    # Changed after a load or a save: the forms are drawn again from `values`.
    form_key: int = 0

    def _fill(self, actor: Actor) -> None:
        with session_scope() as db:
            view = profile.profile_view(db, actor=actor)
        self.values = view.values
        self.email = view.email
        self.has_password = view.has_password
        self.codes_only = view.codes_only
        self.company_codes_only = view.company_codes_only
        self.may_edit_billing = view.may_edit_billing
        self.locale_options = _locale_options(self.lang)
        with session_scope() as db:
            choices = profile.email_choice_list(db, actor=actor)
        self.email_kinds = [[c.kind, c.label, "on" if c.enabled else ""] for c in choices]
        self.form_key += 1

    @rx.event
    def load(self):
        self.loaded = self.link_only = False
        self.errors, self.notices, self.failures = {}, {}, {}
        self.busy = ""
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        try:
            self._fill(actor)
        except NotFoundError:
            # An e-mailed-link session: the profile asks for a password or code sign-in.
            self.link_only = True
        self.loaded = True
        return None

    def _start(self, section: str) -> Actor | None:
        actor = self._begin()
        if actor is not None:
            self.errors, self.notices, self.failures = {}, {}, {}
            self.busy = section
        return actor

    def _refused(self, section: str, exc: Exception) -> None:
        self.busy = ""
        if isinstance(exc, FieldErrors):
            self.errors = exc.errors
        elif isinstance(exc, ValidationError):
            self.errors = {exc.field: exc.message}
        elif isinstance(exc, NotFoundError | ReadOnlyError):
            self.failures = {section: exc.user_message}

    def _saved(self, actor: Actor, section: str, message: str) -> None:
        self.busy = ""
        self.notices = {section: message}
        self._fill(actor)

    def _save(self, section: str, service, form_data: dict):
        """Run `service` for `section` in one transaction; errors under their fields."""
        actor = self._start(section)
        if actor is None:
            return self._login_redirect()
        try:
            with session_scope() as db:
                changed = service(db, actor=actor, form=dict(form_data))
        except (ValidationError, NotFoundError, ReadOnlyError) as exc:
            self._refused(section, exc)
            return None
        message = gettext("Saved.") if changed else gettext("Nothing changed.")
        self._saved(actor, section, message)
        return actor, changed

    @rx.event
    def save_details(self, form_data: dict):
        """Name and phone."""
        done = self._save("details", profile.update_contact_details, form_data)
        if not isinstance(done, tuple):
            return done
        # The shell shows the new name at once.
        self._shell_key = ""
        self._begin()
        return None

    @rx.event
    def save_billing(self, form_data: dict):
        """The client's billing address and tax number."""
        done = self._save("billing", profile.update_billing_details, form_data)
        return None if isinstance(done, tuple) else done

    @rx.event
    def save_preferences(self, form_data: dict):
        """Language, formats and the sign-in preference; a new language reloads the page."""
        form = dict(form_data)
        form["codes_only"] = form_data.get("codes_only") == "on"
        done = self._save("preferences", profile.update_preferences, form)
        if not isinstance(done, tuple):
            return done
        actor, changed = done
        if "language" not in changed or actor.is_preview:
            return None
        chosen = str(form.get("language") or "")
        # This browser's sign-in page follows too, after signing out; "your browser's
        # language" forgets an earlier switcher choice, which would otherwise still win.
        self.visitor_lang = chosen if chosen in i18n.SHIPPED_LANGUAGES else ""
        self._shell_key = ""
        self._begin()
        # Texts the load built on the server follow the new language.
        return rx.call_script(browser_js.call(browser_js.NAVIGATION, "reload"))

    @rx.event
    def save_email_choices(self, form_data: dict):
        """Which optional e-mails the contact gets (unchecked boxes are not sent: off)."""
        done = self._save("emails", profile.update_email_choices, form_data)
        return None if isinstance(done, tuple) else done

    @rx.event
    def request_email(self, form_data: dict):
        """E-mail a confirmation link to the new address; nothing changes until it is used."""
        actor = self._start("email")
        if actor is None:
            return self._login_redirect()
        try:
            with session_scope() as db:
                profile.request_email_change(db, actor=actor, form=dict(form_data))
        except (ValidationError, NotFoundError, ReadOnlyError) as exc:
            self._refused("email", exc)
            return None
        new_email = str(form_data.get("email", "")).strip().lower()[:254]
        self._saved(
            actor,
            "email",
            gettext(
                "We have sent a link to %(email)s. Open it to confirm the new address; until "
                "then you sign in with %(current)s."
            )
            % {"email": new_email, "current": self.email},
        )
        return None

    @rx.event(background=True)
    async def change_password(self, form_data: dict):
        """Check the current password, set the new one, sign out the other sessions (in a
        thread: password hashing takes a moment)."""
        async with self:
            if self.busy:
                return None
            actor = self._start("password")
            if actor is None:
                return self._login_redirect()
            lang = self.lang
        try:
            revoked = await asyncio.to_thread(_change_password, actor, dict(form_data), lang)
        except (ValidationError, NotFoundError, ReadOnlyError) as exc:
            async with self:
                self._refused("password", exc)
            return None
        async with self:
            i18n.set_language(lang)
            message = ngettext(
                "Your password is changed. %(num)d other session was signed out.",
                "Your password is changed. %(num)d other sessions were signed out.",
                revoked,
            ) % {"num": revoked}
            self._saved(actor, "password", message)
        return None


def _change_password(actor: Actor, form: dict, lang: str) -> int:
    i18n.set_language(lang)
    with session_scope() as db:
        return profile.change_password(db, actor=actor, form=form)


class EmailChangeState(PortalState):
    """The link sent to a new address: opening it changes nothing, its button confirms (a
    mail scanner that opens the URL changes no account)."""

    message: str = ""
    ok: bool = False

    @rx.event
    def load(self):
        self.message, self.ok = "", False
        self._apply_language(
            i18n.choose_language(
                contact_choice=None,
                visitor_choice=self.visitor_lang,
                accept_language=self.router.headers.accept_language,
                company_locale="",
            )
        )

    @rx.event
    def confirm(self):
        """The "Confirm my new e-mail address" click."""
        i18n.set_language(self.lang)
        token = str(self.router.url.query_parameters.get("token", ""))[:2000]
        try:
            with session_scope() as db:
                profile.confirm_email_change(db, token=token, ip=event_client_address(self.router))
        except ValidationError as exc:
            self.ok = False
            self.message = exc.message
            return
        self.ok = True
        self.message = gettext("Your new e-mail address is confirmed. Use it to sign in.")


# -- page ------------------------------------------------------------------------------------


def _field(
    name: str, label, *, kind: str = "text", autocomplete: str = "off", limit: int = 254
) -> rx.Component:
    error = ProfileState.errors.get(name, "")
    return rx.vstack(
        rx.el.label(label, html_for=f"profile-{name}", style={"font_weight": "500"}),
        rx.input(
            id=f"profile-{name}",
            name=name,
            type=kind,
            default_value="" if kind == "password" else ProfileState.values.get(name, ""),
            auto_complete=autocomplete,
            max_length=limit,
            width="100%",
            disabled=ProfileState.is_preview,
            aria_invalid=rx.cond(error != "", "true", "false"),
            aria_describedby=f"profile-{name}-error",
        ),
        rx.el.div(field_error(error), id=f"profile-{name}-error"),
        spacing="1",
        width="100%",
        align="start",
    )


def _outcome(section: str) -> rx.Component:
    notice = ProfileState.notices.get(section, "")
    failure = ProfileState.failures.get(section, "")
    return rx.fragment(
        rx.cond(
            notice != "",
            callout(notice, icon="check", color_scheme="green", role="status", width="100%"),
        ),
        rx.cond(
            failure != "",
            callout(failure, icon="circle-alert", color_scheme="red", role="alert", width="100%"),
        ),
    )


def _save_button(section: str, label, element_id: str) -> rx.Component:
    return rx.button(
        rx.cond(ProfileState.busy == section, rx.spinner(size="2")),
        label,
        type="submit",
        id=element_id,
        disabled=ProfileState.is_preview | (ProfileState.busy != ""),
    )


def _section(title, form: rx.Component, section: str, *intro) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            *intro,
            _outcome(section),
            form,
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
    )


def _form(section: str, handler, *children) -> rx.Component:
    return rx.form(
        rx.vstack(*children, spacing="3", width="100%", align="start"),
        on_submit=handler,
        reset_on_submit=False,
        key=f"{section}-" + ProfileState.form_key.to_string(),
        width="100%",
    )


def _grid(*children) -> rx.Component:
    return rx.grid(
        *children, columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"
    )


def _details() -> rx.Component:
    return _section(
        _("Your details"),
        _form(
            "details",
            ProfileState.save_details,
            _grid(
                _field("first_name", _("First name"), autocomplete="given-name", limit=100),
                _field("last_name", _("Last name"), autocomplete="family-name", limit=100),
            ),
            _field("phone", _("Phone"), kind="tel", autocomplete="tel", limit=50),
            _save_button("details", _("Save details"), "save-details"),
        ),
        "details",
    )


def _email() -> rx.Component:
    return _section(
        _("E-mail address"),
        _form(
            "email",
            ProfileState.request_email,
            _field("email", _("New e-mail address"), kind="email", autocomplete="email"),
            _save_button("email", _("Send confirmation link"), "change-email"),
        ),
        "email",
        rx.text(
            fill(_("You sign in with %(email)s."), email=ProfileState.email),
            size="2",
            id="profile-current-email",
        ),
        rx.text(
            _("We send a link to the new address; the change is made when you open it."),
            size="2",
            color_scheme="gray",
        ),
    )


def _password() -> rx.Component:
    return _section(
        _("Password"),
        _form(
            "password",
            ProfileState.change_password,
            rx.cond(
                ProfileState.has_password,
                _field(
                    "current_password",
                    _("Current password"),
                    kind="password",
                    autocomplete="current-password",
                    limit=300,
                ),
            ),
            _field(
                "new_password",
                _("New password (at least 10 characters)"),
                kind="password",
                autocomplete="new-password",
                limit=300,
            ),
            _field(
                "repeat_password",
                _("New password again"),
                kind="password",
                autocomplete="new-password",
                limit=300,
            ),
            _save_button("password", _("Change password"), "change-password"),
        ),
        "password",
        rx.text(_("Changing it signs you out everywhere else."), size="2", color_scheme="gray"),
    )


def _billing_line(label, name: str) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray", min_width="9em"),
        rx.text(ProfileState.values.get(name, ""), size="2"),
        spacing="3",
        wrap="wrap",
    )


def _billing() -> rx.Component:
    labels = {
        "address1": _("Street address"),
        "city": _("City"),
        "postal_code": _("Postal code"),
        "country": _("Country"),
        "vat_number": _("Tax number (VAT)"),
    }
    return _section(
        _("Billing details"),
        rx.cond(
            ProfileState.may_edit_billing,
            _form(
                "billing",
                ProfileState.save_billing,
                _field("address1", labels["address1"], autocomplete="street-address", limit=200),
                _grid(
                    _field(
                        "postal_code", labels["postal_code"], autocomplete="postal-code", limit=20
                    ),
                    _field("city", labels["city"], autocomplete="address-level2", limit=100),
                ),
                _field("country", labels["country"], autocomplete="country-name", limit=100),
                _field("vat_number", labels["vat_number"], limit=50),
                _save_button("billing", _("Save billing details"), "save-billing"),
            ),
            rx.vstack(
                *[_billing_line(label, name) for name, label in labels.items()],
                rx.text(
                    fill(
                        _("%(company)s keeps your billing details: ask them to change these."),
                        company=ProfileState.company_name,
                    ),
                    size="2",
                    color_scheme="gray",
                ),
                spacing="2",
                width="100%",
            ),
        ),
        "billing",
        rx.text(
            fill(_("Invoices to %(client)s use these."), client=ProfileState.client_name),
            size="2",
            color_scheme="gray",
        ),
    )


def _select(name: str, label, first_label, options) -> rx.Component:
    error = ProfileState.errors.get(name, "")
    return rx.vstack(
        rx.el.label(label, html_for=f"profile-{name}", style={"font_weight": "500"}),
        rx.el.select(
            rx.el.option(first_label, value=""),
            options,
            id=f"profile-{name}",
            name=name,
            default_value=ProfileState.values.get(name, ""),
            disabled=ProfileState.is_preview,
            aria_describedby=f"profile-{name}-error",
            style={
                "width": "100%",
                "padding": "0.45em 0.5em",
                "border_radius": "var(--radius-2)",
                "border": f"1px solid {rx.color('gray', 7)}",
                "background": rx.color("gray", 1),
                "color": rx.color("gray", 12),
            },
        ),
        rx.el.div(field_error(error), id=f"profile-{name}-error"),
        spacing="1",
        width="100%",
        align="start",
    )


def _preferences() -> rx.Component:
    languages = rx.fragment(
        *[
            rx.el.option(name, value=code, lang=code.replace("_", "-"))
            for code, name in i18n.language_choices()
        ]
    )
    locales = rx.foreach(
        ProfileState.locale_options, lambda option: rx.el.option(option[1], value=option[0])
    )
    return _section(
        _("Language and formats"),
        _form(
            "preferences",
            ProfileState.save_preferences,
            _grid(
                _select("language", _("Language"), _("Your browser's language"), languages),
                _select(
                    "locale",
                    _("Formats of amounts and dates"),
                    _("The company's formats"),
                    locales,
                ),
            ),
            rx.cond(
                ~ProfileState.company_codes_only,
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(
                            name="codes_only",
                            id="profile-codes-only",
                            default_checked=ProfileState.codes_only,
                            disabled=ProfileState.is_preview,
                            # Radix draws a button: named by the text beside it.
                            aria_labelledby="profile-codes-only-label",
                        ),
                        rx.text(
                            _("Sign me in with e-mailed codes only (my password is refused)"),
                            size="2",
                            id="profile-codes-only-label",
                        ),
                        spacing="2",
                        align="center",
                    ),
                ),
            ),
            _save_button("preferences", _("Save preferences"), "save-preferences"),
        ),
        "preferences",
    )


def _email_choice(kind) -> rx.Component:
    box_id = "profile-email-" + kind[0].to(str)
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                name="email_" + kind[0].to(str),
                id=box_id,
                default_checked=kind[2] == "on",
                disabled=ProfileState.is_preview,
                # Radix draws a button: named by the text beside it.
                aria_labelledby=box_id + "-label",
            ),
            rx.text(kind[1], size="2", id=box_id + "-label"),
            spacing="2",
            align="center",
        ),
    )


def _email_choices() -> rx.Component:
    return _section(
        _("E-mails"),
        _form(
            "emails",
            ProfileState.save_email_choices,
            rx.foreach(ProfileState.email_kinds, _email_choice),
            _save_button("emails", _("Save e-mail choices"), "save-email-choices"),
        ),
        "emails",
        rx.text(
            _(
                "Choose the e-mails you want. Receipts, failed payments, documents sent to you "
                "and notices about your account always come."
            ),
            size="2",
        ),
    )


def profile_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Your profile")),
        rx.cond(
            ~ProfileState.loaded,
            rx.center(rx.spinner(size="3"), padding="3em", width="100%", role="status"),
            rx.cond(
                ProfileState.link_only,
                callout(
                    rx.text(
                        _("Sign in with your password or an e-mailed code to change your profile."),
                        " ",
                        rx.link(_("Sign in"), href=routes.CLIENT_LOGIN),
                    ),
                    icon="lock",
                    color_scheme="gray",
                    width="100%",
                ),
                rx.vstack(
                    rx.cond(
                        ProfileState.is_preview,
                        callout(
                            _("Staff preview: the profile cannot be changed here."),
                            icon="eye",
                            color_scheme="amber",
                            width="100%",
                        ),
                    ),
                    _details(),
                    _email(),
                    rx.cond(~ProfileState.company_codes_only, _password()),
                    _billing(),
                    _preferences(),
                    _email_choices(),
                    spacing="4",
                    width="100%",
                    max_width="46em",
                ),
            ),
        ),
        width="100%",
    )


def email_change_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Confirm your new e-mail address"), size="6", as_="h1"),
            rx.cond(
                EmailChangeState.message == "",
                rx.button(
                    _("Confirm my new e-mail address"),
                    on_click=EmailChangeState.confirm,
                    id="confirm-email-change",
                ),
                rx.cond(
                    EmailChangeState.ok,
                    callout(
                        EmailChangeState.message,
                        icon="check",
                        color_scheme="green",
                        role="status",
                        id="email-change-message",
                    ),
                    callout(
                        EmailChangeState.message,
                        icon="triangle-alert",
                        color_scheme="red",
                        role="alert",
                        id="email-change-message",
                    ),
                ),
            ),
            rx.link(_("Sign in"), href=routes.CLIENT_LOGIN),
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
    )
