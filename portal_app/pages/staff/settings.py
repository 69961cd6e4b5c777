"""/staff/settings: the company's portal settings. Owners and admins change them; the staff
role sees them read-only (and the service refuses its saves anyway). Below them: the staff
users (owners change roles and deactivate) and what each role may do, rendered from the one
table in services/identity/staff_roles.py."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout, labelled_upload
from portal_app.components.common import page_heading
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.core.money import SUPPORTED_CURRENCIES
from portal_app.models import ALL_MODULES
from portal_app.models.statuses import StaffRole
from portal_app.services.company import branding, company_settings
from portal_app.services.company.company_settings import (
    FLAG_FIELDS,
    REGISTRATION_FIELDS,
    SettingsErrors,
)
from portal_app.services.identity import staff_users
from portal_app.services.identity.staff_roles import (
    PERMISSIONS,
    ROLE_LABELS,
    ROLE_ORDER,
    StaffAction,
    may,
)
from portal_app.services.identity.staff_users import StaffUserRow
from portal_app.state.staff import StaffState
from portal_app.state.translate import _, fill

MANAGE_STAFF = str(StaffAction.MANAGE_STAFF)
LOGO_UPLOAD_ID = "logo-upload"
MODULE_LABELS = {
    "invoices": N_("Invoices"),
    "recurring_invoices": N_("Recurring invoices"),
    "payments": N_("Payments"),
    "quotes": N_("Quotes"),
    "credits": N_("Credits"),
    "payment_methods": N_("Payment methods"),
    "documents": N_("Documents"),
    "statement": N_("Statement"),
    "subscriptions": N_("Subscriptions"),
    "prepayment": N_("Client-initiated payments (pre-payments)"),
}
REQUIRED_LABELS = {
    "phone": N_("Phone"),
    "address": N_("Address"),
    "vat_number": N_("VAT number"),
}


class StaffSettingsState(StaffState):
    values: dict[str, str] = {}
    flags: dict[str, bool] = {}
    modules: list[str] = []
    required_fields: list[str] = []
    quote_terms_version: int = 1
    logo_url: str = ""
    errors: dict[str, str] = {}
    notice: str = ""
    loaded: bool = False
    form_key: int = 0
    team: list[StaffUserRow] = []
    team_notice: str = ""
    team_error: str = ""

    def _fill(self, actor) -> None:
        with session_scope() as db:
            view = company_settings.load_settings(db, actor=actor)
            self.team = staff_users.list_staff(db, actor=actor)
        self.values = view.values
        self.flags = view.flags
        self.modules = view.modules
        self.required_fields = view.required_fields
        self.quote_terms_version = view.quote_terms_version
        self.logo_url = view.logo_url
        self.loaded = True
        self.form_key += 1

    @rx.event
    def load(self):
        self.errors = {}
        self.notice = ""
        self.team_notice = self.team_error = ""
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        self._fill(actor)
        return None

    @rx.event
    def save(self, form_data: dict):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        self.errors = {}
        self.notice = ""
        values = {
            name: str(form_data.get(name, "") or "")[:5000] for name in company_settings.TEXT_FIELDS
        }
        flags = {name: form_data.get(f"flag_{name}") == "on" for name in FLAG_FIELDS}
        modules = [m for m in ALL_MODULES if form_data.get(f"module_{m}") == "on"]
        required = [f for f in REGISTRATION_FIELDS if form_data.get(f"required_{f}") == "on"]
        try:
            with session_scope() as db:
                changed = company_settings.save_settings(
                    db,
                    actor=actor,
                    values=values,
                    flags=flags,
                    modules=modules,
                    required_fields=required,
                )
        except SettingsErrors as exc:
            self.errors = exc.errors
            # Keep what was typed on screen: refill from the form, not the database.
            self.values = values
            self.flags = flags
            self.modules = modules
            self.required_fields = required
            self.form_key += 1
            return None
        except ReadOnlyError as exc:
            self.errors = {"form": str(exc)}
            return None
        self.notice = gettext("Settings saved.") if changed else gettext("Nothing changed.")
        self._fill(actor)
        # The sidebar follows the modules (and name) just saved, without a reload.
        self._load_staff_shell(actor)
        return None

    def _change_team(self, change) -> None:
        """Run one staff-user change (services.identity.staff_users) and show its outcome."""
        actor = self._staff_actor()
        if actor is None:
            return
        self.team_notice = self.team_error = ""
        try:
            with session_scope() as db:
                self.team_notice = change(db, actor)
        except (ValidationError, ReadOnlyError) as exc:
            self.team_error = exc.user_message
        except NotFoundError:
            self.team_error = gettext("This staff user no longer exists.")
        with session_scope() as db:
            self.team = staff_users.list_staff(db, actor=actor)

    @rx.event
    def change_role(self, staff_user_id: int, role: str):
        def change(db, actor) -> str:
            user = staff_users.set_staff_role(
                db, actor=actor, staff_user_id=staff_user_id, role=role
            )
            now = {
                StaffRole.OWNER: gettext("%(name)s is now owner."),
                StaffRole.ADMIN: gettext("%(name)s is now admin."),
            }.get(StaffRole(user.role), gettext("%(name)s is now staff."))
            return now % {"name": user.name or user.email}

        self._change_team(change)

    @rx.event
    def set_active(self, staff_user_id: int, active: bool):
        def change(db, actor) -> str:
            user = staff_users.set_staff_active(
                db, actor=actor, staff_user_id=staff_user_id, active=active
            )
            done = (
                gettext("%(name)s is reactivated.")
                if user.is_active
                else gettext("%(name)s is deactivated.")
            )
            return done % {"name": user.name or user.email}

        self._change_team(change)

    @rx.event
    async def upload_logo(self, files: list[rx.UploadFile]):
        """Check and store a new logo (read in memory; never kept in Reflex's upload folder)."""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        self.errors = {}
        self.notice = ""
        if not files:
            self.errors = {"logo": gettext("Choose an image file.")}
            return None
        data = await files[0].read(branding.MAX_LOGO_BYTES + 1)
        try:
            with session_scope() as db:
                self.logo_url = branding.store_logo(db, actor=actor, data=data)
        except (ValidationError, ReadOnlyError) as exc:
            self.errors = {"logo": getattr(exc, "message", str(exc))}
            return rx.clear_selected_files(LOGO_UPLOAD_ID)
        self.notice = gettext("Logo saved.")
        return rx.clear_selected_files(LOGO_UPLOAD_ID)


S = StaffSettingsState


def _error(name: str) -> rx.Component:
    return rx.cond(
        S.errors.contains(name),
        rx.text(S.errors[name], id=f"{name}-error", color_scheme="red", size="2", role="alert"),
    )


def _text(name: str, label, hint="", **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"font_weight": "500", "font_size": "14px"}),
        rx.input(
            id=name,
            name=name,
            default_value=S.values[name],
            width="100%",
            read_only=~S.staff_can_admin,
            aria_invalid=rx.cond(S.errors.contains(name), "true", "false"),
            aria_describedby=f"{name}-error",
            **props,
        ),
        # `hint` is a translated text (a var) or "" for none.
        rx.fragment()
        if isinstance(hint, str) and not hint
        else rx.text(hint, size="1", color_scheme="gray"),
        _error(name),
        spacing="1",
        width="100%",
        align="start",
    )


def _area(name: str, label: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"font_weight": "500", "font_size": "14px"}),
        rx.text_area(
            id=name,
            name=name,
            default_value=S.values[name],
            width="100%",
            rows="4",
            read_only=~S.staff_can_admin,
        ),
        _error(name),
        spacing="1",
        width="100%",
        align="start",
    )


def _check(name: str, label: str, checked) -> rx.Component:
    return rx.text(
        rx.flex(
            # No id: a control's id makes Reflex submit its ref value in place of "on".
            rx.checkbox(
                name=name,
                default_checked=checked,
                disabled=~S.staff_can_admin,
                aria_label=label,
            ),
            label,
            spacing="2",
            align="center",
        ),
        as_="label",
        size="2",
    )


def _flag(name: str, label: str) -> rx.Component:
    return _check(f"flag_{name}", label, S.flags[name])


def _section(title: str, *children) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="3", width="100%"),
        width="100%",
    )


def _grid(*children) -> rx.Component:
    return rx.grid(
        *children, columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"
    )


def _logo_section() -> rx.Component:
    return rx.hstack(
        rx.image(
            src=rx.cond(S.logo_url != "", S.logo_url, "/logo.png"),
            alt=_("Current logo"),
            height="48px",
            id="current-logo",
        ),
        labelled_upload(
            rx.button(_("Choose logo (PNG or JPEG, up to 1 MB)"), variant="soft", type="button"),
            label=_("Logo file"),
            id=LOGO_UPLOAD_ID,
            accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"]},
            max_files=1,
            disabled=~S.staff_can_admin,
        ),
        rx.foreach(rx.selected_files(LOGO_UPLOAD_ID), lambda n: rx.badge(n, variant="outline")),
        rx.button(
            _("Upload logo"),
            type="button",
            on_click=S.upload_logo(rx.upload_files(upload_id=LOGO_UPLOAD_ID)),
            disabled=~S.staff_can_admin,
            id="upload-logo",
        ),
        _error("logo"),
        spacing="3",
        align="center",
        wrap="wrap",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _section(
                _("Portal modules"),
                rx.text(
                    _(
                        "Switched-off modules leave the clients' navigation at once and their "
                        "pages answer not found."
                    ),
                    size="2",
                    color_scheme="gray",
                ),
                _grid(
                    *[
                        _check(f"module_{m}", _(MODULE_LABELS.get(m, m)), S.modules.contains(m))
                        for m in ALL_MODULES
                    ]
                ),
                _error("modules"),
            ),
            _section(
                _("Self-registration"),
                _flag("allow_registration", _("Visitors may register at /client/register")),
                rx.text(_("Required fields"), weight="medium", size="2"),
                rx.hstack(
                    *[
                        _check(
                            f"required_{f}", _(REQUIRED_LABELS[f]), S.required_fields.contains(f)
                        )
                        for f in REGISTRATION_FIELDS
                    ],
                    spacing="4",
                ),
                _area("registration_terms", _("Terms a registrant accepts (empty: none)")),
            ),
            _section(
                _("Client sign-in"),
                _flag(
                    "codes_only",
                    _("Clients sign in with e-mailed codes only (passwords are refused)"),
                ),
            ),
            _section(
                _("Client payments"),
                rx.text(
                    _("Client-initiated payments are on while the pre-payments module is on."),
                    size="2",
                    color_scheme="gray",
                ),
                _grid(
                    _text("prepayment_min", _("Pre-payment minimum")),
                    _text("prepayment_max", _("Pre-payment maximum")),
                ),
                _flag("allow_under_payment", _("Clients may pay less than due")),
                _text("minimum_under_payment", _("Smallest partial payment")),
                _flag("allow_over_payment", _("Clients may pay more than due")),
                _flag(
                    "staff_may_add_cards",
                    _("Staff may add a card for a client who agreed to it (audited)"),
                ),
                _flag("allow_client_uploads", _("Clients may upload documents")),
                _flag(
                    "allow_client_detail_edits",
                    _("Clients may edit their billing address and tax number (audited)"),
                ),
            ),
            _section(
                _("Quotes"),
                _area("quote_terms", _("Quote terms")),
                rx.text(
                    fill(_("Terms version %(version)s"), version=S.quote_terms_version.to_string()),
                    size="1",
                    color_scheme="gray",
                ),
                _flag("require_quote_terms", _("Clients must accept the terms to approve")),
                _flag("require_quote_signature", _("Clients must sign to approve")),
                _flag("convert_approved_quotes", _("Turn approved quotes into invoices")),
                _flag("allow_quote_decline", _("Clients may decline quotes")),
            ),
            _section(
                _("Subscriptions"),
                rx.vstack(
                    rx.el.label(_("Cancellation"), html_for="subscription_cancel_mode"),
                    rx.select(
                        ["self", "request"],
                        name="subscription_cancel_mode",
                        default_value=S.values["subscription_cancel_mode"],
                        disabled=~S.staff_can_admin,
                        id="subscription_cancel_mode",
                    ),
                    rx.text(
                        _("self: clients cancel themselves; request: they ask and staff decide."),
                        size="1",
                        color_scheme="gray",
                    ),
                    _error("subscription_cancel_mode"),
                    spacing="1",
                ),
                _text("renewal_retry_days", _("Retry a failed renewal after (days, e.g. 1,3,7)")),
                _flag("cancel_after_failed_retries", _("Cancel after the last failed retry")),
            ),
            _section(
                _("E-mailed links"),
                _grid(
                    _text("link_lifetime_days", _("Link lifetime (days)")),
                    _text("link_session_minutes", _("Session from a link (minutes)")),
                    _text("due_soon_days", _("'Due soon' means within (days)")),
                ),
            ),
            _section(
                _("Payment reminders"),
                _text(
                    "reminder_days",
                    _("Remind about open invoices (days from the due date, e.g. -3,7,14)"),
                    _("Negative: before the due date. Up to 5 steps; empty sends no reminders."),
                ),
            ),
            _section(
                _("Branding and company details (shown in the portal and on PDFs)"),
                _logo_section(),
                _grid(
                    _text("primary_color", _("Primary colour (#rrggbb)"), max_length=7),
                    _text("name", _("Company name")),
                    _text("email", _("E-mail")),
                    _text("phone", _("Phone")),
                    _text("address1", _("Address line 1")),
                    _text("address2", _("Address line 2")),
                    _text("city", _("City")),
                    _text("postal_code", _("Postal code")),
                    _text("country", _("Country")),
                    _text("vat_number", _("VAT number")),
                ),
                _area("invoice_terms", _("Default invoice terms")),
                _area("invoice_footer", _("Invoice footer")),
            ),
            _section(
                _("E-invoicing and bank transfer (EN 16931, payment QR codes)"),
                rx.text(
                    _(
                        "Without the legal name or address, the VAT number and the country code, "
                        "invoices carry the lighter Factur-X profile (BASIC-WL)."
                    ),
                    size="2",
                    color_scheme="gray",
                ),
                _grid(
                    _text("legal_name", _("Legal name (empty: the company name)")),
                    _text("country_code", _("Country code (ISO, e.g. DE)"), max_length=2),
                    _text("iban", _("IBAN")),
                    _text("bic", _("BIC")),
                ),
                _area("payment_terms", _("Payment terms (e.g. 30 days net)")),
            ),
            _section(
                _("Currency, locale and time zone"),
                _grid(
                    rx.vstack(
                        rx.el.label(_("Default currency"), html_for="currency"),
                        rx.select(
                            list(SUPPORTED_CURRENCIES),
                            name="currency",
                            default_value=S.values["currency"],
                            disabled=~S.staff_can_admin,
                            id="currency",
                        ),
                        _error("currency"),
                        spacing="1",
                    ),
                    _text("locale", _("Locale (e.g. en_US, de_DE)")),
                    _text(
                        "time_zone",
                        _("Time zone (e.g. Europe/Berlin)"),
                        _("Staff pages show times in it (empty: UTC)."),
                        max_length=64,
                    ),
                ),
            ),
            _error("form"),
            rx.cond(
                S.staff_can_admin,
                rx.button(_("Save settings"), type="submit", size="3", id="save-settings"),
                callout(
                    _("Only an owner or admin can change settings."),
                    icon="lock",
                    color_scheme="gray",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        key=S.form_key.to_string(),
        width="100%",
    )


def _team_row(user: StaffUserRow) -> rx.Component:
    may_manage = S.staff_allowed.contains(MANAGE_STAFF) & ~user.is_you
    return rx.table.row(
        rx.table.row_header_cell(
            rx.text(user.name, weight="medium"),
            rx.cond(user.is_you, rx.badge(_("you"), variant="soft", margin_inline_start="0.5em")),
        ),
        rx.table.cell(user.email, word_break="break-all"),
        rx.table.cell(
            rx.cond(
                may_manage,
                rx.select.root(
                    rx.select.trigger(aria_label=fill(_("Role of %(name)s"), name=user.name)),
                    rx.select.content(
                        *[
                            rx.select.item(_(ROLE_LABELS[role]), value=str(role))
                            for role in ROLE_ORDER
                        ]
                    ),
                    value=user.role,
                    on_change=lambda value: S.change_role(user.id, value),
                    size="1",
                ),
                user.role_label,
            )
        ),
        rx.table.cell(
            rx.cond(
                may_manage,
                rx.cond(
                    user.active,
                    rx.button(
                        _("Deactivate"),
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=S.set_active(user.id, False),
                        aria_label=fill(_("Deactivate %(name)s"), name=user.name),
                    ),
                    rx.button(
                        _("Reactivate"),
                        size="1",
                        variant="soft",
                        on_click=S.set_active(user.id, True),
                        aria_label=fill(_("Reactivate %(name)s"), name=user.name),
                    ),
                ),
                rx.cond(user.active, _("Active"), _("Deactivated")),
            )
        ),
        data_testid="staff-user",
    )


def _team_section() -> rx.Component:
    return _section(
        _("Staff users"),
        rx.text(
            _(_manage_staff_sentence()),
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            S.team_notice != "",
            callout(S.team_notice, icon="check", color_scheme="green", role="status"),
        ),
        rx.cond(
            S.team_error != "",
            callout(S.team_error, icon="triangle-alert", color_scheme="red", role="alert"),
        ),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(x) for x in ("Name", "E-mail", "Role", "")]
                    )
                ),
                rx.table.body(rx.foreach(S.team, _team_row)),
                width="100%",
                variant="surface",
                size="1",
                id="staff-users",
            ),
            width="100%",
            overflow_x="auto",
        ),
    )


# Who changes roles, from the roles the table lets manage staff (whole sentences, msgids).
_MANAGE_STAFF_SENTENCES = {
    (StaffRole.OWNER,): N_(
        "New staff users are added with the command line (create-staff). Owners change roles "
        "and deactivate staff users."
    ),
    (StaffRole.OWNER, StaffRole.ADMIN): N_(
        "New staff users are added with the command line (create-staff). Owners and admins "
        "change roles and deactivate staff users."
    ),
}


def _manage_staff_sentence() -> str:
    roles = tuple(role for role in ROLE_ORDER if may(role, MANAGE_STAFF))
    return _MANAGE_STAFF_SENTENCES.get(roles, _MANAGE_STAFF_SENTENCES[(StaffRole.OWNER,)])


def _roles_section() -> rx.Component:
    # Built from the table itself at compile time: the page cannot disagree with the checks.
    header = rx.table.row(
        rx.table.column_header_cell(_("What")),
        *[rx.table.column_header_cell(_(ROLE_LABELS[role])) for role in ROLE_ORDER],
    )
    rows = [
        rx.table.row(
            rx.table.row_header_cell(_(p.label), font_weight="normal"),
            *[
                rx.table.cell(
                    rx.badge(_("yes"), color_scheme="green", variant="soft")
                    if may(role, p.action)
                    else rx.text(_("no"), color_scheme="gray", size="2"),
                    text_align="center",
                )
                for role in ROLE_ORDER
            ],
            data_testid=f"role-row-{p.action}",
        )
        for p in PERMISSIONS
    ]
    return _section(
        _("What each role may do"),
        rx.text(
            fill(
                _(
                    "Every role reads the console; these are the actions not every role may "
                    "do. Your role: %(role)s."
                ),
                role=S.staff_role_label,
            ),
            size="2",
            color_scheme="gray",
        ),
        rx.box(
            rx.table.root(
                rx.table.header(header),
                rx.table.body(*rows),
                width="100%",
                variant="surface",
                size="1",
                id="roles-table",
            ),
            width="100%",
            overflow_x="auto",
        ),
    )


def staff_settings_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Portal settings")),
        rx.cond(S.notice != "", callout(S.notice, icon="check", color_scheme="green")),
        rx.cond(
            S.errors.length() > 0,
            callout(
                _("Some settings need attention; nothing was saved."),
                icon="triangle-alert",
                color_scheme="red",
                role="alert",
            ),
        ),
        rx.cond(
            S.loaded,
            rx.vstack(_form(), _team_section(), _roles_section(), spacing="4", width="100%"),
            rx.center(rx.spinner(size="3"), padding="3em"),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
