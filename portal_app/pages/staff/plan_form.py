"""/staff/plans/new and /staff/plans/[id]/edit: a subscription plan's price, period, trial,
cancellation, refund, plan-change and pause rules."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import empty_state, field_error, loading_block, page_heading
from portal_app.components.staff_documents import (
    area_field,
    labelled_field,
    labelled_select,
    text_field,
)
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.money import SUPPORTED_CURRENCIES
from portal_app.core.schedule import FREQUENCIES, FREQUENCY_LABELS
from portal_app.services.billing.document_forms import FormErrors
from portal_app.services.subscriptions import staff_plans
from portal_app.services.subscriptions.staff_plans import DOWNGRADE_LABELS, PlanForm
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import path_segments
from portal_app.state.translate import _

MAX_VALUE = 2000
TEXT_FIELDS = (
    "name",
    "description",
    "price",
    "currency",
    "frequency",
    "trial_days",
    "downgrade_mode",
    "refund_period_days",
    "max_pause_periods",
)


def _blank_errors() -> dict[str, str]:
    return {name: "" for name in (*TEXT_FIELDS, "change_to", "form")}


class StaffPlanFormState(StaffState):
    """The plan form; saving goes through services.staff_plans (amounts converted there)."""

    form_name: str = ""
    form_description: str = ""
    form_price: str = ""
    form_currency: str = "USD"
    form_frequency: str = "monthly"
    form_trial_days: str = "0"
    form_downgrade_mode: str = "period_end"
    form_refund_period_days: str = "0"
    form_allow_cancellation: bool = True
    form_allow_plan_change: bool = False
    form_allow_pause: bool = False
    form_trial_without_card: bool = False
    form_max_pause_periods: str = "3"
    form_change_to: list[str] = []
    change_choices: list[list[str]] = []
    form_errors: dict[str, str] = {}
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
            try:
                if self.form_is_edit:
                    row = staff_plans.get_plan(db, actor=actor, plan_id=segments[-2])
                    form = staff_plans.edit_form(db, actor=actor, plan_id=row.id)
                    self._record_id = row.id
                else:
                    form = staff_plans.new_form(db, actor=actor)
                    self._record_id = 0
            except NotFoundError:
                self.form_not_found = True
                self.form_loading = False
                return None
            options = staff_plans.plan_options(db, actor=actor)
        self.change_choices = [[v, label] for v, label in options if v != str(self._record_id)]
        for name in TEXT_FIELDS:
            setattr(self, f"form_{name}", str(getattr(form, name) or ""))
        self.form_allow_cancellation = bool(form.allow_cancellation)
        self.form_allow_plan_change = bool(form.allow_plan_change)
        self.form_allow_pause = bool(form.allow_pause)
        self.form_trial_without_card = bool(form.trial_without_card)
        self.form_change_to = list(form.change_to)
        self.form_loading = False
        return None

    @rx.event
    def set_field(self, name: str, value: str):
        if name in TEXT_FIELDS:
            setattr(self, f"form_{name}", str(value)[:MAX_VALUE])

    @rx.event
    def set_allow_cancellation(self, value: bool):
        self.form_allow_cancellation = bool(value)

    @rx.event
    def set_allow_plan_change(self, value: bool):
        self.form_allow_plan_change = bool(value)

    @rx.event
    def set_trial_without_card(self, value: bool):
        self.form_trial_without_card = bool(value)

    @rx.event
    def set_allow_pause(self, value: bool):
        self.form_allow_pause = bool(value)

    @rx.event
    def toggle_change_to(self, plan_id: str, value: bool):
        plan_id = str(plan_id)[:20]
        chosen = [p for p in self.form_change_to if p != plan_id]
        if value:
            chosen.append(plan_id)
        self.form_change_to = chosen[: staff_plans.MAX_PLANS]

    @rx.event
    def save(self):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        if self.form_saving:
            return None
        self.form_saving = True
        errors = _blank_errors()
        form = PlanForm(
            **{name: getattr(self, f"form_{name}") for name in TEXT_FIELDS},
            allow_cancellation=self.form_allow_cancellation,
            allow_plan_change=self.form_allow_plan_change,
            allow_pause=self.form_allow_pause,
            trial_without_card=self.form_trial_without_card,
            change_to=list(self.form_change_to),
        )
        try:
            with session_scope() as db:
                if self.form_is_edit:
                    staff_plans.update_plan(db, actor=actor, plan_id=self._record_id, form=form)
                else:
                    staff_plans.create_plan(db, actor=actor, form=form)
        except FormErrors as exc:
            for key, message in exc.errors.items():
                errors[key if key in errors else "form"] = message
            self.form_errors = errors
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
        return rx.redirect(routes.STAFF_PLANS)


def _select(state, name: str, label: str, options: list[tuple[str, str]]) -> rx.Component:
    return labelled_field(
        label,
        labelled_select(
            options,
            value=getattr(state, f"form_{name}"),
            on_change=lambda value: state.set_field(name, value),
            label=label,
            id=f"field-{name.replace('_', '-')}",
        ),
        state.form_errors[name],
    )


def _change_option(choice) -> rx.Component:
    state = StaffPlanFormState
    return rx.checkbox(
        choice[1],
        checked=state.form_change_to.contains(choice[0]),
        on_change=lambda value: state.toggle_change_to(choice[0], value),
    )


def staff_plan_form_page() -> rx.Component:
    state = StaffPlanFormState
    form = rx.vstack(
        rx.cond(
            state.form_errors["form"] != "",
            callout(
                state.form_errors["form"], icon="triangle-alert", color_scheme="red", role="alert"
            ),
        ),
        rx.grid(
            text_field(state, "name", _("Name")),
            text_field(state, "price", _("Price"), inputmode="decimal", placeholder="12.50"),
            _select(state, "currency", _("Currency"), [(c, c) for c in SUPPORTED_CURRENCIES]),
            _select(
                state,
                "frequency",
                _("Billed"),
                [(f, _(FREQUENCY_LABELS.get(f, f))) for f in FREQUENCIES],
            ),
            text_field(state, "trial_days", _("Trial days"), inputmode="numeric"),
            text_field(
                state,
                "refund_period_days",
                _("Refund period (days after a payment; 0 = no refunds)"),
                inputmode="numeric",
            ),
            _select(
                state,
                "downgrade_mode",
                _("A downgrade"),
                [(mode, _(label)) for mode, label in DOWNGRADE_LABELS.items()],
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        area_field(state, "description", _("Description")),
        rx.checkbox(
            _(
                "No card needed for the trial (else sign-up asks for one; a trial ending without a "
                "card ends the subscription)"
            ),
            checked=state.form_trial_without_card,
            on_change=state.set_trial_without_card,
            id="field-trial-without-card",
        ),
        rx.checkbox(
            _("Clients may cancel from the portal"),
            checked=state.form_allow_cancellation,
            on_change=state.set_allow_cancellation,
            id="field-allow-cancellation",
        ),
        rx.checkbox(
            _("Clients may change to another plan"),
            checked=state.form_allow_plan_change,
            on_change=state.set_allow_plan_change,
            id="field-allow-plan-change",
        ),
        rx.cond(
            state.form_allow_plan_change,
            rx.vstack(
                rx.text(_("Plans they may change to (same currency and period)"), size="2"),
                rx.foreach(state.change_choices, _change_option),
                field_error(state.form_errors["change_to"]),
                spacing="1",
            ),
        ),
        rx.checkbox(
            _("Clients may pause their subscription"),
            checked=state.form_allow_pause,
            on_change=state.set_allow_pause,
            id="field-allow-pause",
        ),
        rx.cond(
            state.form_allow_pause,
            rx.box(
                text_field(
                    state,
                    "max_pause_periods",
                    _("For at most (periods at a time)"),
                    inputmode="numeric",
                ),
                max_width="20em",
            ),
        ),
        rx.hstack(
            rx.button(
                _("Save plan"), on_click=state.save, loading=state.form_saving, id="save-plan"
            ),
            rx.link(_("Cancel"), href=routes.STAFF_PLANS),
            align="center",
            spacing="4",
        ),
        width="100%",
        spacing="4",
    )
    return rx.vstack(
        rx.link(_("← All plans"), href=routes.STAFF_PLANS),
        page_heading(rx.cond(state.form_is_edit, _("Edit plan"), _("New plan"))),
        rx.cond(
            state.form_not_found,
            empty_state(_("Plan not found"), _("This plan does not exist.")),
            rx.cond(state.form_loading, loading_block(), form),
        ),
        width="100%",
        spacing="4",
    )
