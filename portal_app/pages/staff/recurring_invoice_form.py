"""/staff/recurring_invoices/new and /staff/recurring_invoices/[id]/edit: a schedule and its
lines. The line table and fields are the staff invoice form's (components/staff_documents.py)."""

from __future__ import annotations

from datetime import date

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import empty_state, field_error, loading_block, page_heading
from portal_app.components.staff_documents import (
    _area,
    _field,
    _line_row,
    _text_input,
    labelled_select,
)
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.money import SUPPORTED_CURRENCIES
from portal_app.core.schedule import FREQUENCIES, FREQUENCY_LABELS
from portal_app.models.recurring import AUTO_BILL_MODES
from portal_app.schemas.staff_documents import OptionView
from portal_app.services.billing import staff_lists, staff_recurring
from portal_app.services.billing.document_forms import MAX_LINES, FormErrors, LineForm
from portal_app.services.billing.staff_recurring import AUTO_BILL_LABELS, RecurringForm
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import LINE_FIELDS, _blank_line, _path_segments

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
        segments = _path_segments(self)
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
        self.form_lines = [
            {**_blank_line(), **{name: str(getattr(line, name) or "") for name in LINE_FIELDS}}
            for line in form.lines
        ] or [_blank_line()]
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
        if name in LINE_FIELDS and isinstance(index, int) and 0 <= index < len(self.form_lines):
            lines = [dict(line) for line in self.form_lines]
            lines[index][name] = str(value)[:MAX_VALUE]
            self.form_lines = lines

    @rx.event
    def add_line(self):
        if len(self.form_lines) < MAX_LINES:
            self.form_lines = [*self.form_lines, _blank_line()]

    @rx.event
    def remove_line(self, index: int):
        # The last line stays: a schedule needs at least one.
        if (
            isinstance(index, int)
            and len(self.form_lines) > 1
            and 0 <= index < len(self.form_lines)
        ):
            self.form_lines = [line for i, line in enumerate(self.form_lines) if i != index]

    def _typed_form(self) -> RecurringForm:
        return RecurringForm(
            **{name: getattr(self, f"form_{name}") for name in FORM_FIELDS},
            endless=self.form_endless,
            lines=[
                LineForm(**{name: line.get(name, "") for name in LINE_FIELDS})
                for line in self.form_lines
            ],
        )

    @rx.event
    def save(self):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        if self.form_saving:
            return None
        self.form_saving = True
        errors = _blank_errors()
        lines = [{**line, **{f"err_{n}": "" for n in LINE_FIELDS}} for line in self.form_lines]
        try:
            with session_scope() as db:
                if self.form_is_edit:
                    row = staff_recurring.update_schedule(
                        db, actor=actor, schedule_id=self._record_id, form=self._typed_form()
                    )
                else:
                    row = staff_recurring.create_schedule(db, actor=actor, form=self._typed_form())
                target = f"{routes.STAFF_RECURRING_INVOICES}/{row.id}"
        except FormErrors as exc:
            for key, message in exc.errors.items():
                parts = key.split(".")
                if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
                    index = int(parts[1])
                    if index < len(lines):
                        lines[index][f"err_{parts[2]}"] = message
                else:
                    errors[key if key in errors else "form"] = message
            self.form_errors = errors
            self.form_lines = lines
            self.form_saving = False
            return None
        except (ValidationError, ReadOnlyError) as exc:
            errors["form"] = getattr(exc, "message", str(exc))
            self.form_errors = errors
            self.form_saving = False
            return None
        except NotFoundError:
            self.form_not_found = True
            self.form_saving = False
            return None
        self.form_saving = False
        return rx.redirect(target)


def _select_field(state, name: str, label: str, options: list[tuple[str, str]]) -> rx.Component:
    return _field(
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
    lines_table = rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label)
                    for label in ("Description", "Qty", "Unit price", "Tax", "Rate %", "")
                ]
            )
        ),
        rx.table.body(
            rx.foreach(state.form_lines, lambda line, index: _line_row(state, line, index))
        ),
        width="100%",
        variant="surface",
    )
    return rx.vstack(
        rx.cond(
            state.form_errors["form"] != "",
            callout(
                state.form_errors["form"], icon="triangle-alert", color_scheme="red", role="alert"
            ),
        ),
        rx.grid(
            _field(
                "Client",
                rx.select.root(
                    rx.select.trigger(aria_label="Client"),
                    rx.select.content(
                        rx.foreach(
                            state.client_choices,
                            lambda option: rx.select.item(option.label, value=option.value),
                        )
                    ),
                    value=state.form_client_id,
                    on_change=lambda value: state.set_field("client_id", value),
                    disabled=state.form_is_edit,
                    name="client_id",
                ),
                state.form_errors["client_id"],
            ),
            _field(
                "Currency",
                labelled_select(
                    [("default", "The client's currency")]
                    + [(code, code) for code in SUPPORTED_CURRENCIES],
                    value=rx.cond(state.form_currency == "", "default", state.form_currency),
                    on_change=lambda value: state.set_field("currency", value),
                    label="Currency",
                ),
                state.form_errors["currency"],
            ),
            _select_field(
                state, "frequency", "Frequency", [(f, FREQUENCY_LABELS[f]) for f in FREQUENCIES]
            ),
            _text_input(state, "start_date", "Start date", type="date"),
            _field(
                "Number of invoices",
                rx.vstack(
                    rx.checkbox(
                        "Endless: until stopped",
                        checked=state.form_endless,
                        on_change=state.set_endless,
                        id="field-endless",
                    ),
                    rx.input(
                        value=state.form_cycles,
                        on_change=lambda value: state.set_field("cycles", value),
                        disabled=state.form_endless,
                        aria_label="Number of invoices",
                        id="field-cycles",
                        input_mode="numeric",
                    ),
                    spacing="1",
                    width="100%",
                ),
                state.form_errors["cycles"],
            ),
            _select_field(
                state, "auto_bill", "Auto-bill", [(m, AUTO_BILL_LABELS[m]) for m in AUTO_BILL_MODES]
            ),
            _text_input(state, "due_days", "Days until due", input_mode="numeric"),
            _text_input(state, "po_number", "PO number"),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        rx.heading("Lines", size="4", as_="h2"),
        field_error(state.form_errors["lines"]),
        rx.box(lines_table, width="100%", overflow_x="auto"),
        rx.button(
            rx.icon("plus", size=16, aria_hidden="true"),
            "Add line",
            on_click=state.add_line,
            variant="soft",
            type="button",
            id="add-line",
        ),
        rx.grid(
            _area(state, "public_notes", "Notes for the client"),
            _area(state, "terms", "Terms"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        rx.hstack(
            rx.button(
                rx.cond(state.form_saving, rx.spinner(size="2"), rx.icon("save", size=16)),
                "Save",
                on_click=state.save,
                disabled=state.form_saving,
                id="save-recurring",
            ),
            rx.link("Cancel", href=routes.STAFF_RECURRING_INVOICES),
            align="center",
            spacing="4",
        ),
        rx.text(
            "Saving starts the schedule: the first invoice is issued on the start date. "
            "Totals are worked out from the lines; invoices already issued keep theirs.",
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
            rx.cond(state.form_is_edit, "Edit recurring invoice", "New recurring invoice")
        ),
        rx.cond(
            state.form_not_found,
            empty_state("Recurring invoice not found", "This recurring invoice does not exist."),
            rx.cond(state.form_loading, loading_block(), _form_body(state)),
        ),
        width="100%",
    )
