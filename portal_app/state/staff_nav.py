"""The staff console's sidebar entries; a module the company switched off is not listed."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.core import routes
from portal_app.core.i18n import N_

# The work queue's kinds (services.console.work_queue.KINDS; layout imports no services).
QUEUE_KINDS = (
    "recurring_cancellation",
    "subscription_cancellation",
    "unapplied_payment",
    "failed_charge",
    "quote_answered",
    "client_upload",
    "client_message",
)


@dataclass(frozen=True, slots=True)
class StaffNavItem:
    """One link in the staff console's sidebar.

    `module` is the company setting it follows (models.company.ALL_MODULES), as in the
    client navigation (layout/nav.py); None means it is always shown. `queue` names the work
    queue kinds (services.console.work_queue.KINDS) its badge counts; `exact` marks it current
    only on its own route (the console's home, a prefix of every other route). `action`
    (services.identity.staff_roles.StaffAction) hides it from roles that may not do that.
    """

    label: str  # an English msgid (N_), translated where it is shown
    route: str
    icon: str
    module: str | None = None
    queue: tuple[str, ...] = ()
    exact: bool = False
    action: str | None = None


STAFF_NAV_ITEMS: list[StaffNavItem] = [
    StaffNavItem(N_("Work queue"), routes.STAFF_HOME, "inbox", queue=QUEUE_KINDS, exact=True),
    StaffNavItem(N_("Clients"), routes.STAFF_CLIENTS, "users", queue=("client_upload",)),
    StaffNavItem(
        N_("Invoices"),
        routes.STAFF_INVOICES,
        "file-text",
        module="invoices",
        queue=("failed_charge", "client_message"),
    ),
    StaffNavItem(
        N_("Quotes"), routes.STAFF_QUOTES, "file-pen", module="quotes", queue=("quote_answered",)
    ),
    StaffNavItem(N_("Credits"), routes.STAFF_CREDITS, "piggy-bank", module="credits"),
    StaffNavItem(
        N_("Recurring"),
        routes.STAFF_RECURRING_INVOICES,
        "repeat",
        module="recurring_invoices",
        queue=("recurring_cancellation",),
    ),
    StaffNavItem(
        N_("Payments"),
        routes.STAFF_PAYMENTS,
        "banknote",
        module="payments",
        queue=("unapplied_payment",),
    ),
    StaffNavItem(N_("Plans"), routes.STAFF_PLANS, "package", module="subscriptions"),
    StaffNavItem(
        N_("Subscriptions"),
        routes.STAFF_SUBSCRIPTIONS,
        "calendar-sync",
        module="subscriptions",
        queue=("subscription_cancellation",),
    ),
    StaffNavItem(N_("Settings"), routes.STAFF_SETTINGS, "settings"),
    StaffNavItem(N_("E-mails"), routes.STAFF_OUTBOX, "mail"),
    StaffNavItem(N_("Audit log"), routes.STAFF_AUDIT, "scroll-text", action="view_audit"),
]


def visible_staff_nav_items(
    enabled_modules: list[str], allowed_actions: list[str] | None = None
) -> list[StaffNavItem]:
    """The entries staff of a company with these enabled modules see; with `allowed_actions`
    (the role's, staff_roles.allowed_actions), entries of other actions are left out."""
    enabled = set(enabled_modules)
    return [
        item
        for item in STAFF_NAV_ITEMS
        if (item.module is None or item.module in enabled)
        and (item.action is None or allowed_actions is None or item.action in allowed_actions)
    ]


def nav_counts(items: list[StaffNavItem], counts: dict[str, int]) -> dict[str, int]:
    """Each entry's badge number (route -> the sum of its queue kinds' counts); 0 is left out."""
    badges = {item.route: sum(counts.get(kind, 0) for kind in item.queue) for item in items}
    return {route: number for route, number in badges.items() if number > 0}
