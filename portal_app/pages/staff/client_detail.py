"""/staff/clients/[id]: edit a client and its contacts (portal access, passwords, preview),
and see its invoices, quotes, credits, payments, documents, subscriptions and activity."""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import empty_state, link_button, page_heading
from portal_app.components.einvoice_notice import client_einvoice_format
from portal_app.components.staff_cancellations import cancellation_requests
from portal_app.components.staff_client_cards import client_cards
from portal_app.components.staff_uploads import client_uploads
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.pages.staff.clients import CLIENT_FIELDS, client_form_from, form_field
from portal_app.schemas.staff import AuditRowView, ClientDetailView, ContactForm, ContactView
from portal_app.services.company import staff_client_detail, staff_clients
from portal_app.state.staff import StaffState
from portal_app.state.translate import _, fill

# (field, label): labels are English msgids, shown through _().
CONTACT_FIELDS = (
    ("first_name", N_("First name")),
    ("last_name", N_("Last name")),
    ("email", N_("E-mail")),
)


class StaffClientState(StaffState):
    """One client's page. Every handler resolves the staff session and re-checks the client."""

    detail: ClientDetailView | None = None
    loading: bool = True
    not_found: bool = False
    notice: str = ""
    error: str = ""
    client_errors: dict[str, str] = {}
    # The contact dialog: 0 adds a contact, an id edits that one.
    contact_open: bool = False
    contact_id: int = 0
    contact_values: dict[str, str] = {}
    contact_primary: bool = False
    contact_enabled: bool = True
    contact_errors: dict[str, str] = {}
    password_open: bool = False
    password_error: str = ""
    _client_id: int = 0

    def _refresh(self, actor) -> None:
        with session_scope() as db:
            self.detail = staff_client_detail.client_detail(
                db, actor=actor, client_id=self._client_id
            )

    @rx.event
    def load(self):
        self.loading = True
        self.detail = None
        self.not_found = False
        self.notice = self.error = ""
        self.client_errors = {}
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        try:
            with session_scope() as db:
                client = staff_clients.get_client(db, actor=actor, client_id=self._path_arg())
                self._client_id = client.id
            self._refresh(actor)
        except NotFoundError:
            self.not_found = True
        self.loading = False
        return None

    def _actor_or_redirect(self):
        actor = self._staff_actor()
        if actor is None or not self._client_id:
            return None, self._staff_login_redirect()
        return actor, None

    @rx.event
    def save_client(self, form_data: dict):
        actor, redirect = self._actor_or_redirect()
        if redirect:
            return redirect
        self.client_errors = {}
        self.notice = self.error = ""
        try:
            with session_scope() as db:
                staff_clients.update_client(
                    db, actor=actor, client_id=self._client_id, form=client_form_from(form_data)
                )
        except ValidationError as exc:
            self.client_errors = {exc.field: exc.message}
            return None
        except NotFoundError:
            self.not_found = True
            return None
        self.notice = gettext("Client saved.")
        self._refresh(actor)
        return None

    @rx.event
    def open_contact(self, contact_id: int):
        """Open the contact dialog: 0 for a new contact, else the contact's current values."""
        self.contact_errors = {}
        self.contact_id = 0
        self.contact_values = {"first_name": "", "last_name": "", "email": ""}
        self.contact_primary = False
        self.contact_enabled = True
        for contact in self.detail.contacts if self.detail else []:
            if contact.id == contact_id:
                self.contact_id = contact.id
                self.contact_values = {
                    "first_name": contact.first_name,
                    "last_name": contact.last_name,
                    "email": contact.email,
                }
                self.contact_primary = contact.is_primary
                self.contact_enabled = contact.portal_enabled
        self.contact_open = True

    @rx.event
    def set_contact_open(self, value: bool):
        self.contact_open = bool(value)

    @rx.event
    def set_contact_primary(self, value: bool):
        self.contact_primary = bool(value)

    @rx.event
    def set_contact_enabled(self, value: bool):
        self.contact_enabled = bool(value)

    @rx.event
    def save_contact(self, form_data: dict):
        actor, redirect = self._actor_or_redirect()
        if redirect:
            return redirect
        form = ContactForm(
            first_name=str(form_data.get("first_name", "") or ""),
            last_name=str(form_data.get("last_name", "") or ""),
            email=str(form_data.get("email", "") or ""),
            is_primary=self.contact_primary,
            portal_enabled=self.contact_enabled,
        )
        try:
            with session_scope() as db:
                if self.contact_id:
                    staff_clients.update_contact(
                        db, actor=actor, contact_id=self.contact_id, form=form
                    )
                else:
                    staff_clients.add_contact(db, actor=actor, client_id=self._client_id, form=form)
        except ValidationError as exc:
            field = "email" if exc.field == "contact_email" else exc.field
            self.contact_errors = {field: exc.message}
            return None
        except NotFoundError:
            self.contact_errors = {"email": gettext("This contact no longer exists.")}
            return None
        self.contact_open = False
        self.notice = gettext("Contact saved.")
        self._refresh(actor)
        return None

    @rx.event
    def open_password(self, contact_id: int):
        self.contact_id = int(contact_id) if isinstance(contact_id, int) else 0
        self.password_error = ""
        self.password_open = True

    @rx.event
    def set_password_open(self, value: bool):
        self.password_open = bool(value)

    @rx.event
    def set_password(self, form_data: dict):
        actor, redirect = self._actor_or_redirect()
        if redirect:
            return redirect
        try:
            with session_scope() as db:
                staff_clients.set_contact_password(
                    db,
                    actor=actor,
                    contact_id=self.contact_id,
                    password=str(form_data.get("new_password", "") or "")[:300],
                )
        except (ValidationError, ReadOnlyError) as exc:
            self.password_error = str(getattr(exc, "message", "") or exc)
            return None
        except NotFoundError:
            self.password_error = gettext("This contact no longer exists.")
            return None
        self.password_open = False
        self.notice = gettext("Password set. The contact's open sessions were signed out.")
        self._refresh(actor)
        return None

    @rx.event(background=True)
    async def send_link(self, contact_id: int):
        """E-mail the contact a link to choose a password (SMTP off the event loop)."""
        async with self:
            actor, redirect = self._actor_or_redirect()
            if redirect:
                return redirect
            self.notice = self.error = ""
        try:
            await asyncio.to_thread(_send_link, actor, contact_id)
        except (ValidationError, NotFoundError, ReadOnlyError) as exc:
            async with self:
                self.error = getattr(exc, "message", "") or gettext(
                    "This contact no longer exists."
                )
            return
        async with self:
            self.notice = gettext(
                "A password link for the contact is queued. Follow its delivery under E-mails."
            )


def _send_link(actor, contact_id) -> None:
    with session_scope() as db:
        staff_clients.send_password_link(db, actor=actor, contact_id=contact_id)


S = StaffClientState


def _contact_row(contact: ContactView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.text(contact.name, weight="medium"),
            rx.cond(
                contact.is_primary,
                rx.badge(_("Primary"), variant="soft", margin_inline_start="0.5em"),
            ),
        ),
        rx.table.cell(contact.email),
        rx.table.cell(
            rx.cond(
                contact.portal_enabled,
                rx.cond(contact.has_password, _("Portal access"), _("Access, no password yet")),
                _("No portal access"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button(_("Edit"), size="1", variant="soft", on_click=S.open_contact(contact.id)),
                # Owners and admins only (services.staff_clients.set_contact_password).
                rx.cond(
                    S.staff_allowed.contains("set_contact_password"),
                    rx.button(
                        _("Set password"),
                        size="1",
                        variant="soft",
                        on_click=S.open_password(contact.id),
                    ),
                ),
                rx.button(
                    _("Send password link"),
                    size="1",
                    variant="soft",
                    on_click=S.send_link(contact.id),
                    disabled=~contact.portal_enabled,
                ),
                rx.cond(
                    contact.portal_enabled,
                    link_button(
                        _("Preview as client"),
                        href="/staff/preview/" + contact.id.to_string(),
                        link_props={"data_testid": "preview-link"},
                        size="1",
                        variant="outline",
                    ),
                ),
                spacing="2",
                wrap="wrap",
            )
        ),
        data_testid="contact-row",
    )


def _contacts() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(_("Contacts"), size="4", as_="h2"),
            rx.spacer(),
            rx.button(
                rx.icon("user-plus", size=16, aria_hidden="true"),
                _("Add contact"),
                on_click=S.open_contact(0),
                size="2",
                id="add-contact",
            ),
            width="100%",
        ),
        rx.cond(
            S.detail.contacts.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(_("Name")),
                        rx.table.column_header_cell(_("E-mail")),
                        rx.table.column_header_cell(_("Portal")),
                        rx.table.column_header_cell(_("Actions")),
                    )
                ),
                rx.table.body(rx.foreach(S.detail.contacts, _contact_row)),
                width="100%",
                variant="surface",
            ),
            rx.text(_("No contacts yet. Add one to give portal access."), color_scheme="gray"),
        ),
        width="100%",
        spacing="3",
    )


def _contact_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.contact_id == 0, _("Add contact"), _("Edit contact"))),
            rx.dialog.description(_("Contacts sign in to the portal for this client.")),
            rx.form(
                rx.vstack(
                    *[
                        form_field(
                            name,
                            _(label),
                            S.contact_errors,
                            S.contact_values[name],
                            prefix="contact",
                            max_length=254,
                        )
                        for name, label in CONTACT_FIELDS
                    ],
                    rx.checkbox(
                        _("Primary contact"),
                        checked=S.contact_primary,
                        on_change=S.set_contact_primary,
                    ),
                    rx.checkbox(
                        _("Portal access"),
                        checked=S.contact_enabled,
                        on_change=S.set_contact_enabled,
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button(_("Cancel"), variant="soft", type="button")),
                        rx.button(_("Save contact"), type="submit", id="save-contact"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=S.save_contact,
                reset_on_submit=False,
                key=S.contact_id.to_string() + S.contact_open.to_string(),
            ),
            max_width="30em",
        ),
        open=S.contact_open,
        on_open_change=S.set_contact_open,
    )


def _password_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Set a password")),
            rx.dialog.description(
                _("Tell the contact the password through a safe channel, or send a link instead.")
            ),
            rx.form(
                rx.vstack(
                    rx.el.label(_("New password"), html_for="new_password"),
                    rx.input(
                        id="new_password",
                        name="new_password",
                        type="password",
                        auto_complete="new-password",
                        max_length=256,
                        width="100%",
                    ),
                    rx.cond(
                        S.password_error != "",
                        rx.text(S.password_error, color_scheme="red", size="2", role="alert"),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button(_("Cancel"), variant="soft", type="button")),
                        rx.button(_("Set password"), type="submit", id="set-password"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=S.set_password,
                reset_on_submit=True,
            ),
            max_width="26em",
        ),
        open=S.password_open,
        on_open_change=S.set_password_open,
    )


def _client_form() -> rx.Component:
    return rx.form(
        rx.grid(
            *[
                form_field(name, _(label), S.client_errors, getattr(S.detail.form, name))
                for name, label in CLIENT_FIELDS
            ],
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="3",
            width="100%",
        ),
        rx.button(_("Save client"), type="submit", margin_top="1em", id="save-client"),
        on_submit=S.save_client,
        reset_on_submit=False,
        key=S.detail.id.to_string(),
        width="100%",
    )


def _records(
    rows, columns: list, empty, with_balance: bool = False, href: str = ""
) -> rx.Component:
    """A small table of one kind of record; `href` + id links each to its staff page;
    `columns` and `empty` (the sentence shown without rows) are translated texts."""

    def row(item) -> rx.Component:
        number = rx.link(item.number, href=href + item.id.to_string()) if href else item.number
        cells = [
            rx.table.row_header_cell(number),
            rx.table.cell(item.date),
            rx.table.cell(item.status),
            rx.table.cell(item.amount, text_align="end"),
        ]
        if with_balance:
            cells.append(rx.table.cell(item.balance, text_align="end"))
        cells.append(rx.table.cell(item.extra))
        return rx.table.row(*cells)

    return rx.cond(
        rows.length() > 0,
        rx.table.root(
            rx.table.header(
                rx.table.row(*[rx.table.column_header_cell(c) for c in columns]),
            ),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
            variant="surface",
            size="1",
        ),
        rx.text(empty, color_scheme="gray", padding="1em 0"),
    )


def _activity_row(row: AuditRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.when, white_space="nowrap"),
        rx.table.cell(row.sentence, style={"overflow_wrap": "anywhere"}),
    )


def _tabs() -> rx.Component:
    d = S.detail
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger(_("Invoices"), value="invoices"),
            rx.tabs.trigger(_("Quotes"), value="quotes"),
            rx.tabs.trigger(_("Credits"), value="credits"),
            rx.tabs.trigger(_("Payments"), value="payments"),
            rx.tabs.trigger(_("Documents"), value="documents"),
            rx.tabs.trigger(_("Subscriptions"), value="subscriptions"),
            rx.tabs.trigger(_("Activity"), value="activity"),
            wrap="wrap",
        ),
        rx.tabs.content(
            _records(
                d.invoices,
                [_("Number"), _("Date"), _("Status"), _("Amount"), _("Balance"), _("Due")],
                _("No invoices yet."),
                with_balance=True,
                href="/staff/invoices/",
            ),
            value="invoices",
        ),
        rx.tabs.content(
            _records(
                d.quotes,
                [_("Number"), _("Date"), _("Status"), _("Amount"), _("Valid until")],
                _("No quotes yet."),
                href="/staff/quotes/",
            ),
            value="quotes",
        ),
        rx.tabs.content(
            _records(
                d.credits,
                [_("Number"), _("Date"), _("Status"), _("Amount"), _("Remaining"), ""],
                _("No credit notes yet."),
                with_balance=True,
                href="/staff/credits/",
            ),
            value="credits",
        ),
        rx.tabs.content(
            _records(
                d.payments,
                [_("Number"), _("Date"), _("Status"), _("Amount"), _("Unapplied"), _("Method")],
                _("No payments yet."),
                with_balance=True,
            ),
            value="payments",
        ),
        rx.tabs.content(
            # Upload box and every file of the client, with the visible-to-client switch.
            client_uploads(d.id),
            value="documents",
        ),
        rx.tabs.content(
            _records(
                d.subscriptions,
                [_("Plan"), _("Period from"), _("Status"), _("Price"), _("Until")],
                _("No subscriptions yet."),
            ),
            value="subscriptions",
        ),
        rx.tabs.content(
            rx.cond(
                d.activity.length() > 0,
                rx.vstack(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(c)
                                    for c in (_("When"), _("What happened"))
                                ]
                            )
                        ),
                        rx.table.body(rx.foreach(d.activity, _activity_row)),
                        width="100%",
                        variant="surface",
                        size="1",
                    ),
                    rx.cond(
                        S.staff_allowed.contains("view_audit"),
                        rx.link(
                            _("Full activity log"), href="/staff/audit?client=" + d.id.to_string()
                        ),
                    ),
                    width="100%",
                ),
                rx.text(_("No activity yet."), color_scheme="gray", padding="1em 0"),
            ),
            value="activity",
        ),
        default_value="invoices",
        width="100%",
    )


def staff_client_page() -> rx.Component:
    return rx.cond(
        S.not_found,
        empty_state(
            _("Client not found"), _("It does not exist or is not yours."), icon="search-x"
        ),
        rx.cond(
            S.detail,
            rx.vstack(
                rx.link(_("← All clients"), href=routes.STAFF_CLIENTS, size="2"),
                page_heading(
                    S.detail.form.name,
                    rx.cond(
                        S.detail.balances != "",
                        fill(_("Open balance: %(amount)s"), amount=S.detail.balances),
                        _("Nothing owed"),
                    ),
                ),
                rx.cond(
                    S.notice != "",
                    callout(S.notice, icon="check", color_scheme="green", role="status"),
                ),
                rx.cond(
                    S.error != "",
                    callout(S.error, icon="triangle-alert", color_scheme="red", role="alert"),
                ),
                # Open cancellation requests of recurring invoices and subscriptions.
                cancellation_requests(S.detail.id),
                _contacts(),
                _contact_dialog(),
                _password_dialog(),
                rx.heading(_("Details"), size="4", as_="h2"),
                _client_form(),
                client_einvoice_format(S.detail.id),
                client_cards(S.detail.id),
                rx.heading(_("Records"), size="4", as_="h2"),
                _tabs(),
                width="100%",
                spacing="4",
                align="start",
            ),
            rx.center(rx.spinner(size="3"), padding="3em", role="status"),
        ),
    )
