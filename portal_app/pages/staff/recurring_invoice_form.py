"""/staff/recurring_invoices/new and /staff/recurring_invoices/[id]/edit: a schedule and its
lines. The line table and fields are the staff invoice form's (components/staff_documents.py)."""

from __future__ import annotations

from datetime import date

import reflex as rx

from portal_app.components.common import empty_state, loading_block, page_heading
from portal_app.components.staff_documents import (
    area_field,
    client_field,
    currency_field,
    form_error_callout,
    labelled_field,
    labelled_select,
    lines_editor,
    text_field,
)
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError
from portal_app.core.schedule import FREQUENCIES, FREQUENCY_LABELS
from portal_app.models.recurring import AUTO_BILL_MODES
from portal_app.schemas.staff_documents import OptionView
from portal_app.services.billing import staff_lists, staff_recurring
from portal_app.services.billing.document_forms import LineForm
from portal_app.services.billing.staff_recurring import AUTO_BILL_LABELS, RecurringForm
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import (
    line_forms,
    lines_from_forms,
    path_segments,
    save_form,
    with_line_added,
    with_line_value,
    without_line,
)
from portal_app.state.translate import _

MAX_VALUE = 4000
FORM_FIELDS = (
    "client_id",
    "currency",
    "frequency",
    "start_date",
    "cycles",
    "auto_bill",
    "due_days",
    "po_number",
    "terms",
    "public_notes",
)


def _blank_errors() -> dict[str, str]:
    return {name: "" for name in (*FORM_FIELDS, "lines", "form")}


class StaffRecurringFormState(StaffState):
    """The schedule form; saving goes through services.staff_recurring (totals computed
    there)."""

    form_client_id: str = ""
    form_currency: str = ""
    form_frequency: str = "monthly"
    form_start_date: str = ""
    form_endless: bool = True
    form_cycles: str = ""
    form_auto_bill: str = "off"
    form_due_days: str = "14"
    form_po_number: str = ""
    form_terms: str = ""
    form_public_notes: str = ""
    form_lines: list[dict[str, str]] = []
    form_errors: dict[str, str] = {}
    client_choices: list[OptionView] = []
    form_is_edit: bool = False
    form_not_found: bool = False
    form_saving: bool = False
    form_loading: bool = True
    _record_id: int = 0

    @rx.event
    def load(self):
        self.form_loading = True
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        self.form_errors = _blank_errors()
        self.form_saving = self.form_not_found = False
        segments = path_segments(self)
        self.form_is_edit = len(segments) >= 4 and segments[-1] == "edit"
        with session_scope() as db:
            self.client_choices = staff_lists.client_options(db, actor=actor)
            if self.form_is_edit:
                try:
                    row = staff_recurring.get_schedule(db, actor=actor, schedule_id=segments[-2])
                    form = staff_recurring.edit_form(db, actor=actor, schedule_id=row.id)
                except NotFoundError:
                    self.form_not_found = True
                    self.form_loading = False
                    return None
                if row.status in staff_recurring.FINAL_STATUSES:
                    return rx.redirect(f"{routes.STAFF_RECURRING_INVOICES}/{row.id}")
                self._record_id = row.id
            else:
                self._record_id = 0
                form = RecurringForm(lines=[LineForm()], start_date=date.today().isoformat())
                wanted = self.router.url.query_parameters.get("client", "")
                if any(option.value == wanted for option in self.client_choices):
                    form.client_id = wanted
        for name in FORM_FIELDS:
            setattr(self, f"form_{name}", str(getattr(form, name) or ""))
        self.form_endless = bool(form.endless)
        self.form_lines = lines_from_forms(form.lines)
        self.form_loading = False
        return None

    @rx.event
    def set_field(self, name: str, value: str):
        if name == "currency" and value == "default":
            value = ""  # the select's word for "the client's currency"
        if name in FORM_FIELDS:
            setattr(self, f"form_{name}", str(value)[:MAX_VALUE])

    @rx.event
    def set_endless(self, value: bool):
        self.form_endless = bool(value)

    @rx.event
    def set_line(self, index: int, name: str, value: str):
        lines = with_line_value(self.form_lines, index, name, value)
        if lines is not None:
            self.form_lines = lines

    @rx.event
    def add_line(self):
        lines = with_line_added(self.form_lines)
        if lines is not None:
            self.form_lines = lines

    @rx.event
    def remove_line(self, index: int):
        lines = without_line(self.form_lines, index)
        if lines is not None:
            self.form_lines = lines

    def _typed_form(self) -> RecurringForm:
        return RecurringForm(
            **{name: getattr(self, f"form_{name}") for name in FORM_FIELDS},
            endless=self.form_endless,
            lines=line_forms(self.form_lines),
        )

    @rx.event
    def save(self):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        if self.form_saving:
            return None
        self.form_saving = True

        def write(db) -> str:
            if self.form_is_edit:
                row = staff_recurring.update_schedule(
                    db, actor=actor, schedule_id=self._record_id, form=self._typed_form()
                )
            else:
                row = staff_recurring.create_schedule(db, actor=actor, form=self._typed_form())
            return f"{routes.STAFF_RECURRING_INVOICES}/{row.id}"

        return save_form(self, _blank_errors(), write)


def _select_field(state, name: str, label: str, options: list[tuple[str, str]]) -> rx.Component:
    return labelled_field(
        label,
        labelled_select(
            options,
            value=getattr(state, f"form_{name}"),
            on_change=lambda value: state.set_field(name, value),
            label=label,
        ),
        state.form_errors[name],
    )


def _form_body(state) -> rx.Component:
    return rx.vstack(
        form_error_callout(state),
        rx.grid(
            client_field(state),
            currency_field(state),
            _select_field(
                state,
                "frequency",
                _("Frequency"),
                [(f, _(FREQUENCY_LABELS[f])) for f in FREQUENCIES],
            ),
            text_field(state, "start_date", _("Start date"), type="date"),
            labelled_field(
                _("Number of invoices"),
                rx.vstack(
                    rx.checkbox(
                        _("Endless: until stopped"),
                        checked=state.form_endless,
                        on_change=state.set_endless,
                        id="field-endless",
                    ),
                    rx.input(
                        value=state.form_cycles,
                        on_change=lambda value: state.set_field("cycles", value),
                        disabled=state.form_endless,
                        aria_label=_("Number of invoices"),
                        id="field-cycles",
                        input_mode="numeric",
                    ),
                    spacing="1",
                    width="100%",
                ),
                state.form_errors["cycles"],
            ),
            _select_field(
                state,
                "auto_bill",
                _("Auto-bill"),
                [(m, _(AUTO_BILL_LABELS[m])) for m in AUTO_BILL_MODES],
            ),
            text_field(state, "due_days", _("Days until due"), input_mode="numeric"),
            text_field(state, "po_number", _("PO number")),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        *lines_editor(state),
        rx.grid(
            area_field(state, "public_notes", _("Notes for the client")),
            area_field(state, "terms", _("Terms")),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        rx.hstack(
            rx.button(
                rx.cond(state.form_saving, rx.spinner(size="2"), rx.icon("save", size=16)),
                _("Save"),
                on_click=state.save,
                disabled=state.form_saving,
                id="save-recurring",
            ),
            rx.link(_("Cancel"), href=routes.STAFF_RECURRING_INVOICES),
            align="center",
            spacing="4",
        ),
        rx.text(
            _(
                "Saving starts the schedule: the first invoice is issued on the start date. "
                "Totals are worked out from the lines; invoices already issued keep theirs."
            ),
            size="2",
            color_scheme="gray",
        ),
        spacing="4",
        width="100%",
    )


def staff_recurring_form_page() -> rx.Component:
    state = StaffRecurringFormState
    return rx.vstack(
        page_heading(
            rx.cond(state.form_is_edit, _("Edit recurring invoice"), _("New recurring invoice"))
        ),
        rx.cond(
            state.form_not_found,
            empty_state(
                _("Recurring invoice not found"), _("This recurring invoice does not exist.")
            ),
            rx.cond(state.form_loading, loading_block(), _form_body(state)),
        ),
        width="100%",
    )
