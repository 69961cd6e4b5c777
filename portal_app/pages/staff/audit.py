"""/staff/audit: the company's audit log, one sentence per event, paged on the server.

Filters (client, staff user, kind, date range) and a search narrow it; ?client=<id> opens it
filtered (the client page links here). "Export CSV" downloads the filtered rows.
"""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import empty_state, page_heading
from portal_app.components.records import paged_rows
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.schemas.staff import AuditPage, AuditRowView
from portal_app.services.company import audit_log
from portal_app.services.company.audit_log import AuditFilters
from portal_app.services.identity.staff_roles import StaffAction, permission
from portal_app.state.paged_list import PagedListMixin
from portal_app.state.staff import StaffState
from portal_app.state.translate import _

ANY = "all"


def _empty(page_size: int) -> AuditPage:
    return AuditPage(
        rows=[], page=1, page_size=page_size, total=0, total_is_capped=False, has_next=False
    )


class StaffAuditState(PagedListMixin, StaffState):
    rows: list[AuditRowView] = []
    # Set when the role may not read the log (services.identity.staff_roles).
    refusal: str = ""
    client_filter: str = ""
    staff_filter: str = ANY
    kind_filter: str = ANY
    date_from: str = ""
    date_to: str = ""
    search: str = ""
    filter_error: str = ""
    client_options: list[tuple[str, str]] = []
    staff_options: list[tuple[str, str]] = []
    kind_options: list[tuple[str, str]] = []

    def _filters(self) -> AuditFilters:
        return AuditFilters(
            client_id=self.client_filter or None,
            staff_user_id=None if self.staff_filter == ANY else self.staff_filter,
            kind="" if self.kind_filter == ANY else self.kind_filter,
            date_from=self.date_from,
            date_to=self.date_to,
            search=self.search,
        )

    def _reload(self):
        filters = self._filters()

        def fetch(db, actor) -> AuditPage:
            if not actor.may(StaffAction.VIEW_AUDIT):
                # The service refuses it too; say so on the page instead of an empty log.
                self.refusal = gettext(permission(StaffAction.VIEW_AUDIT).refusal)
                return _empty(self.page_size)
            self.refusal = ""
            options = audit_log.filter_options(db, actor=actor)
            self.client_options = [(ANY, gettext("Every client")), *options["clients"]]
            self.staff_options = [(ANY, gettext("Everyone")), *options["staff"]]
            self.kind_options = [(ANY, gettext("Every kind")), *options["kinds"]]
            try:
                page = audit_log.list_events(
                    db, actor=actor, filters=filters, page=self.page, page_size=self.page_size
                )
                self.filter_error = ""
                return page
            except ValidationError as exc:
                self.filter_error = exc.message
                return _empty(self.page_size)

        return self._reload_with(fetch)

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        self.client_filter = str(self.router.url.query_parameters.get("client", ""))[:12]
        self.staff_filter = self.kind_filter = ANY
        self.date_from = self.date_to = self.search = ""
        return self._reload()

    @rx.event
    def apply_filters(self, form_data: dict):
        self.search = str(form_data.get("search", "")).strip()[: audit_log.MAX_SEARCH]
        self.date_from = str(form_data.get("date_from", ""))[:10]
        self.date_to = str(form_data.get("date_to", ""))[:10]
        self.page = 1
        return self._reload()

    @rx.event
    def choose_client(self, value: str):
        self.client_filter = "" if value == ANY else str(value)[:12]
        self.page = 1
        return self._reload()

    @rx.event
    def choose_staff(self, value: str):
        self.staff_filter = str(value)[:12] or ANY
        self.page = 1
        return self._reload()

    @rx.event
    def choose_kind(self, value: str):
        self.kind_filter = str(value)[:50] or ANY
        self.page = 1
        return self._reload()

    @rx.event
    def clear_filters(self):
        self.client_filter = self.date_from = self.date_to = self.search = ""
        self.staff_filter = self.kind_filter = ANY
        self.page = 1
        return self._reload()

    @rx.event
    def export_csv(self):
        """The filtered rows as a CSV download (scoped to the staff user's company)."""
        filters = self._filters()
        try:
            with session_scope() as db:
                actor = self._staff_actor(db)
                if actor is None:
                    return self._staff_login_redirect()
                text = audit_log.export_csv(db, actor=actor, filters=filters)
        except (ValidationError, NotFoundError) as exc:
            self.filter_error = getattr(exc, "message", "") or gettext("Check the filters.")
            return None
        return rx.download(data=text, filename="audit-log.csv")

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


S = StaffAuditState
# Long e-mail addresses and numbers wrap inside their cell instead of widening the table.
_WRAP = {"overflow_wrap": "anywhere"}


def _row(row: AuditRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.when, white_space="nowrap"),
        rx.table.cell(row.sentence, style=_WRAP, data_testid="audit-sentence"),
        rx.table.cell(row.client, display=["none", "table-cell"], style=_WRAP),
        rx.table.cell(row.ip, display=["none", "none", "table-cell"], style=_WRAP),
        data_testid="audit-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(_("When"), width="13em"),
                rx.table.column_header_cell(_("What happened")),
                rx.table.column_header_cell(_("Client"), display=["none", "table-cell"]),
                rx.table.column_header_cell(_("From"), display=["none", "none", "table-cell"]),
            )
        ),
        rx.table.body(rx.foreach(S.rows, _row)),
        width="100%",
        variant="surface",
        size="1",
        style={"table_layout": "fixed"},
    )


def _select(options, *, value, on_change, label: str) -> rx.Component:
    # The options come from the company's data, so they are a Var, not a Python list.
    return rx.select.root(
        rx.select.trigger(aria_label=label, min_width="12em"),
        rx.select.content(
            rx.foreach(options, lambda option: rx.select.item(option[1], value=option[0]))
        ),
        value=value,
        on_change=on_change,
    )


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium"), control, spacing="1")


def _filters() -> rx.Component:
    return rx.vstack(
        rx.flex(
            _labelled(
                _("Client"),
                _select(
                    S.client_options,
                    value=rx.cond(S.client_filter != "", S.client_filter, ANY),
                    on_change=S.choose_client,
                    label=_("Client"),
                ),
            ),
            _labelled(
                _("Staff user"),
                _select(
                    S.staff_options,
                    value=S.staff_filter,
                    on_change=S.choose_staff,
                    label=_("Staff user"),
                ),
            ),
            _labelled(
                _("Kind"),
                _select(
                    S.kind_options, value=S.kind_filter, on_change=S.choose_kind, label=_("Kind")
                ),
            ),
            wrap="wrap",
            spacing="3",
        ),
        rx.form(
            rx.flex(
                _labelled(
                    _("From"),
                    rx.input(
                        name="date_from",
                        type="date",
                        default_value=S.date_from,
                        aria_label=_("From"),
                        key=S.date_from,
                    ),
                ),
                _labelled(
                    _("To"),
                    rx.input(
                        name="date_to",
                        type="date",
                        default_value=S.date_to,
                        aria_label=_("To"),
                        key=S.date_to,
                    ),
                ),
                _labelled(
                    _("Search"),
                    rx.input(
                        name="search",
                        default_value=S.search,
                        placeholder=_("Number, name, text"),
                        aria_label=_("Search"),
                        max_length=100,
                        key=S.search,
                    ),
                ),
                rx.button(_("Apply"), type="submit"),
                rx.button(_("Clear"), type="button", variant="soft", on_click=S.clear_filters),
                rx.button(
                    rx.icon("download", size=16, aria_hidden="true"),
                    _("Export CSV"),
                    type="button",
                    variant="outline",
                    on_click=S.export_csv,
                ),
                wrap="wrap",
                spacing="3",
                align="end",
            ),
            on_submit=S.apply_filters,
            reset_on_submit=False,
        ),
        rx.cond(
            S.filter_error != "",
            rx.text(S.filter_error, color_scheme="red", role="alert", size="2"),
        ),
        spacing="3",
        width="100%",
    )


def staff_audit_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Audit log"), _("Who did what to which record, when and from where.")),
        rx.cond(
            S.refusal != "",
            callout(S.refusal, icon="lock", color_scheme="gray", id="audit-refused"),
            _log(),
        ),
        width="100%",
        spacing="4",
        align="start",
    )


def _log() -> rx.Component:
    return rx.vstack(
        _filters(),
        rx.cond(
            S.unavailable,
            empty_state(
                _("Not found"), _("This client does not exist or is not yours."), icon="search-x"
            ),
            paged_rows(
                S,
                _table(),
                _("Events"),
                empty_state(
                    _("No events"), _("Nothing matches these filters."), icon="scroll-text"
                ),
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
