"""/staff/clients: the company's clients with open balances, search, paging and "New client"."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import empty_state, page_heading
from portal_app.components.records import paged_rows
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import ReadOnlyError, ValidationError
from portal_app.core.i18n import N_
from portal_app.schemas.staff import ClientForm, ClientRowView
from portal_app.services.company import staff_clients
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.staff import StaffState
from portal_app.state.translate import _

# (field, label): labels are English msgids, shown through _().
CLIENT_FIELDS = (
    ("name", N_("Name")),
    ("number", N_("Client number")),
    ("email", N_("E-mail")),
    ("phone", N_("Phone")),
    ("address1", N_("Street address")),
    ("city", N_("City")),
    ("postal_code", N_("Postal code")),
    ("country", N_("Country")),
    ("vat_number", N_("VAT number")),
    ("country_code", N_("Country code (ISO, e.g. DE)")),
    ("buyer_reference", N_("Buyer reference (e.g. Leitweg-ID)")),
    ("currency", N_("Currency (e.g. USD)")),
    ("locale", N_("Locale (empty: the company's)")),
)


def client_form_from(form_data: dict) -> ClientForm:
    """The typed client form (only the known fields, as strings)."""
    return ClientForm(
        **{name: str(form_data.get(name, "") or "")[:300] for name, _ in CLIENT_FIELDS}
    )


class StaffClientsState(PagedListMixin, StaffState):
    """The clients list; every change reloads through the service, which checks the session."""

    rows: list[ClientRowView] = []
    search: str = ""
    create_open: bool = False
    create_errors: dict[str, str] = {}

    def _reload(self):
        search = self.search
        return self._reload_with(
            lambda db, actor: staff_clients.list_clients(
                db, actor=actor, search=search, page=self.page, page_size=self.page_size
            )
        )

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        self.search = str(self.router.url.query_parameters.get("q", ""))[:100]
        return self._reload()

    @rx.event
    def run_search(self, form_data: dict):
        self.search = str(form_data.get("q", "") or "")[:100]
        self.page = 1
        return self._reload()

    @rx.event
    def set_page_size(self, size: str):
        self._choose_page_size(size)
        return self._reload()

    @rx.event
    def next_page(self):
        self._turn_page(1)
        return self._reload()

    @rx.event
    def previous_page(self):
        self._turn_page(-1)
        return self._reload()

    @rx.event
    def set_create_open(self, value: bool):
        self.create_open = bool(value)
        self.create_errors = {}

    @rx.event
    def create(self, form_data: dict):
        """Add the client and open its page (where contacts are added)."""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        try:
            with session_scope() as db:
                client = staff_clients.create_client(
                    db, actor=actor, form=client_form_from(form_data)
                )
                client_id = client.id
        except ValidationError as exc:
            self.create_errors = {exc.field: exc.message}
            return None
        except ReadOnlyError as exc:
            self.create_errors = {"name": str(exc)}
            return None
        self.create_open = False
        return rx.redirect(routes.staff_client_url(client_id))


def form_field(
    name: str, label: str, errors, value=None, prefix: str = "field", **props
) -> rx.Component:
    """A labelled input whose error (from an errors dict var) sits right under it.

    `prefix` keeps ids unique when two forms on one page share field names.
    """
    field_id = f"{prefix}-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font_weight": "500", "font_size": "14px"}),
        rx.input(
            id=field_id,
            name=name,
            default_value=value if value is not None else "",
            width="100%",
            aria_invalid=rx.cond(errors.contains(name), "true", "false"),
            aria_describedby=f"{field_id}-error",
            **props,
        ),
        rx.cond(
            errors.contains(name),
            rx.text(
                errors[name], id=f"{field_id}-error", color_scheme="red", size="2", role="alert"
            ),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


def _create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("plus", size=16, aria_hidden="true"), _("New client"), id="new-client"
            )
        ),
        rx.dialog.content(
            rx.dialog.title(_("New client")),
            rx.dialog.description(_("Add contacts and portal access on the client's page next.")),
            rx.form(
                rx.grid(
                    *[
                        form_field(name, _(label), StaffClientsState.create_errors)
                        for name, label in CLIENT_FIELDS
                    ],
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.hstack(
                    rx.dialog.close(rx.button(_("Cancel"), variant="soft", type="button")),
                    rx.button(_("Create client"), type="submit", id="create-client"),
                    justify="end",
                    spacing="3",
                    margin_top="1em",
                ),
                on_submit=StaffClientsState.create,
                reset_on_submit=False,
            ),
            max_width="40em",
        ),
        open=StaffClientsState.create_open,
        on_open_change=StaffClientsState.set_create_open,
    )


def _row(row: ClientRowView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(row.name, href="/staff/clients/" + row.id.to_string(), weight="medium"),
            rx.text(row.number, size="1", color_scheme="gray"),
        ),
        rx.table.cell(row.email, display=["none", "table-cell"]),
        rx.table.cell(row.contacts, display=["none", "table-cell"]),
        rx.table.cell(rx.cond(row.balances != "", row.balances, "—"), text_align="end"),
        data_testid="client-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(_("Client")),
                rx.table.column_header_cell(_("E-mail"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("Contacts"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("Open balance"), text_align="end"),
            )
        ),
        rx.table.body(rx.foreach(StaffClientsState.rows, _row)),
        width="100%",
        variant="surface",
    )


def _search() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="q",
                placeholder=_("Name, number or e-mail"),
                default_value=StaffClientsState.search,
                aria_label=_("Search clients"),
                max_length=100,
                type="search",
                width="18em",
            ),
            rx.button(_("Search"), type="submit", variant="soft"),
            spacing="2",
        ),
        on_submit=StaffClientsState.run_search,
        reset_on_submit=False,
    )


def staff_clients_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(page_heading(_("Clients")), rx.spacer(), _create_dialog(), width="100%"),
        _search(),
        rx.cond(
            StaffClientsState.unavailable,
            callout(_("Clients could not be loaded."), icon="triangle-alert", color_scheme="red"),
        ),
        paged_rows(
            StaffClientsState,
            _table(),
            _("Clients"),
            empty_state(_("No clients"), _("Clients you add will be listed here."), icon="users"),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
