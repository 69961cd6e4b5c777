"""/staff/plans: the company's subscription plans (offer or withdraw each) and their payment
links (create, copy the public /subscribe address, disable or enable)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import empty_state, link_button, loading_block, page_heading
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.services.subscriptions import staff_plans
from portal_app.services.subscriptions.staff_plans import LinkRow, PlanRow
from portal_app.state.staff import StaffState
from portal_app.state.translate import _, fill


class StaffPlansState(StaffState):
    """Plans and links; every action goes through services.staff_plans (which re-checks the
    staff session and the company whatever the browser sends)."""

    plans: list[PlanRow] = []
    links: list[LinkRow] = []
    plan_choices: list[list[str]] = []
    link_plan: str = ""
    origin: str = ""
    notice: str = ""
    error: str = ""
    loading: bool = True

    def _reload(self, actor) -> None:
        with session_scope() as db:
            self.plans = staff_plans.list_plans(db, actor=actor)
            self.links = staff_plans.list_links(db, actor=actor)
        self.plan_choices = [[str(p.id), p.name] for p in self.plans if p.active]
        if not any(choice[0] == self.link_plan for choice in self.plan_choices):
            self.link_plan = self.plan_choices[0][0] if self.plan_choices else ""

    @rx.event
    def load(self):
        self.loading = True
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        self.notice = self.error = ""
        self.origin = self.router.url.origin or ""
        self._reload(actor)
        self.loading = False
        return None

    def _act(self, action, done: str):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        self.notice = self.error = ""
        try:
            with session_scope() as db:
                action(db, actor)
            self.notice = done
        except (ValidationError, ReadOnlyError) as exc:
            self.error = getattr(exc, "message", "") or str(exc)
        except NotFoundError:
            self.error = gettext("This plan or link no longer exists.")
        self._reload(actor)
        return None

    @rx.event
    def set_link_plan(self, value: str):
        self.link_plan = str(value)[:20]

    @rx.event
    def create_link(self):
        plan_id = self.link_plan
        return self._act(
            lambda db, actor: staff_plans.create_link(db, actor=actor, plan_id=plan_id),
            gettext("Payment link created. Copy it to share it."),
        )

    @rx.event
    def set_link_active(self, link_id: int, active: bool):
        return self._act(
            lambda db, actor: staff_plans.set_link_active(
                db, actor=actor, link_id=link_id, active=bool(active)
            ),
            gettext("Link enabled.")
            if active
            else gettext("Link disabled: it no longer accepts sign-ups."),
        )

    @rx.event
    def set_plan_active(self, plan_id: int, active: bool):
        return self._act(
            lambda db, actor: staff_plans.set_plan_active(
                db, actor=actor, plan_id=plan_id, active=bool(active)
            ),
            gettext("Plan offered again.")
            if active
            else gettext("Plan withdrawn: its links refuse sign-ups."),
        )

    @rx.event
    def copy_link(self, path: str):
        self.notice = gettext("Link copied.")
        self.error = ""
        return rx.set_clipboard(self.origin + str(path))


def _may_manage():
    # Owners and admins (services.identity.staff_roles, "manage_plans"); the service refuses
    # other roles whatever they send, so this only spares them buttons that cannot work.
    return StaffPlansState.staff_allowed.contains("manage_plans")


def _plan_row(item: PlanRow) -> rx.Component:
    state = StaffPlansState
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(
                item.name,
                href="/staff/plans/" + item.id.to_string() + "/edit",
                weight="medium",
            )
        ),
        rx.table.cell(item.price, white_space="nowrap"),
        rx.table.cell(item.period, white_space="nowrap"),
        rx.table.cell(item.trial),
        rx.table.cell(item.subscribers),
        rx.table.cell(
            rx.cond(
                _may_manage(),
                rx.cond(
                    item.active,
                    rx.button(
                        _("Withdraw"),
                        size="1",
                        variant="soft",
                        color_scheme="gray",
                        on_click=state.set_plan_active(item.id, False),
                        aria_label=fill(_("Withdraw plan %(name)s"), name=item.name),
                    ),
                    rx.button(
                        _("Offer again"),
                        size="1",
                        variant="soft",
                        on_click=state.set_plan_active(item.id, True),
                        aria_label=fill(_("Offer plan %(name)s again"), name=item.name),
                    ),
                ),
                rx.cond(item.active, _("Offered"), _("Withdrawn")),
            )
        ),
    )


def _link_row(item: LinkRow) -> rx.Component:
    state = StaffPlansState
    return rx.table.row(
        rx.table.row_header_cell(item.plan_name),
        rx.table.cell(
            rx.code(state.origin + item.path, class_name="link-url"),
            word_break="break-all",
        ),
        rx.table.cell(rx.cond(item.active, _("Active"), _("Disabled"))),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    rx.icon("copy", size=14, aria_hidden="true"),
                    _("Copy"),
                    size="1",
                    variant="soft",
                    on_click=state.copy_link(item.path),
                    aria_label=fill(_("Copy link for %(plan)s"), plan=item.plan_name),
                ),
                rx.cond(
                    _may_manage(),
                    rx.cond(
                        item.active,
                        rx.button(
                            _("Disable"),
                            size="1",
                            variant="soft",
                            color_scheme="red",
                            on_click=state.set_link_active(item.id, False),
                            aria_label=fill(_("Disable link for %(plan)s"), plan=item.plan_name),
                        ),
                        rx.button(
                            _("Enable"),
                            size="1",
                            variant="soft",
                            on_click=state.set_link_active(item.id, True),
                            aria_label=fill(_("Enable link for %(plan)s"), plan=item.plan_name),
                        ),
                    ),
                ),
                spacing="2",
            )
        ),
    )


def _header(*labels) -> rx.Component:
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(x) for x in labels]))


def staff_plans_page() -> rx.Component:
    state = StaffPlansState
    plans_table = rx.table.root(
        _header(_("Plan"), _("Price"), _("Period"), _("Trial"), _("Subscribers"), _("Offered")),
        rx.table.body(rx.foreach(state.plans, _plan_row)),
        width="100%",
        variant="surface",
        id="plans-table",
    )
    links_table = rx.table.root(
        _header(_("Plan"), _("Address"), _("Status"), _("Actions")),
        rx.table.body(rx.foreach(state.links, _link_row)),
        width="100%",
        variant="surface",
        id="links-table",
    )
    return rx.vstack(
        rx.flex(
            page_heading(_("Plans")),
            rx.spacer(),
            rx.cond(
                _may_manage(),
                link_button(
                    rx.icon("plus", size=16, aria_hidden="true"),
                    _("New plan"),
                    href=routes.STAFF_PLAN_NEW,
                    link_props={"id": "new-plan"},
                ),
                rx.text(
                    _("Only an owner or admin can change plans and payment links."),
                    size="2",
                    color_scheme="gray",
                    id="plans-read-only",
                ),
            ),
            width="100%",
            align="start",
            wrap="wrap",
            gap="3",
        ),
        rx.cond(
            state.notice != "",
            callout(
                state.notice, icon="check", color_scheme="green", role="status", id="plans-notice"
            ),
        ),
        rx.cond(
            state.error != "",
            callout(
                state.error,
                icon="triangle-alert",
                color_scheme="red",
                role="alert",
                id="plans-error",
            ),
        ),
        rx.cond(
            state.loading,
            loading_block(),
            rx.vstack(
                rx.cond(
                    state.plans.length() > 0,
                    rx.box(plans_table, width="100%", overflow_x="auto"),
                    empty_state(_("No plans"), _("Create a plan clients can subscribe to.")),
                ),
                rx.heading(_("Payment links"), as_="h2", size="4"),
                rx.text(
                    _("Anyone with a link can sign up to its plan from the portal."),
                    size="2",
                    color_scheme="gray",
                ),
                rx.cond(
                    (state.plan_choices.length() > 0) & _may_manage(),
                    rx.hstack(
                        rx.select.root(
                            rx.select.trigger(aria_label=_("Plan for the new link")),
                            rx.select.content(
                                rx.foreach(
                                    state.plan_choices,
                                    lambda c: rx.select.item(c[1], value=c[0]),
                                )
                            ),
                            value=state.link_plan,
                            on_change=state.set_link_plan,
                        ),
                        rx.button(_("Create link"), on_click=state.create_link, id="create-link"),
                        spacing="3",
                        wrap="wrap",
                    ),
                ),
                rx.cond(
                    state.links.length() > 0,
                    rx.box(links_table, width="100%", overflow_x="auto"),
                    rx.text(_("No payment links yet."), size="2"),
                ),
                width="100%",
                spacing="4",
            ),
        ),
        width="100%",
        spacing="4",
    )
