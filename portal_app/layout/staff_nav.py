"""The staff console's sidebar entries; a module the company switched off is not listed."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.core import routes


@dataclass(frozen=True, slots=True)
class StaffNavItem:
    """One link in the staff console's sidebar.

    `module` is the company setting it follows (models.company.ALL_MODULES), as in the
    client navigation (layout/nav.py); None means it is always shown.
    """

    label: str
    route: str
    icon: str
    module: str | None = None


STAFF_NAV_ITEMS: list[StaffNavItem] = [
    StaffNavItem("Clients", routes.STAFF_CLIENTS, "users"),
    StaffNavItem("Invoices", routes.STAFF_INVOICES, "file-text", module="invoices"),
    StaffNavItem("Quotes", routes.STAFF_QUOTES, "file-pen", module="quotes"),
    StaffNavItem("Credits", routes.STAFF_CREDITS, "piggy-bank", module="credits"),
    StaffNavItem(
        "Recurring",
        routes.STAFF_RECURRING_INVOICES,
        "repeat",
        module="recurring_invoices",
    ),
    StaffNavItem("Payments", routes.STAFF_PAYMENTS, "banknote", module="payments"),
    StaffNavItem("Plans", routes.STAFF_PLANS, "package", module="subscriptions"),
    StaffNavItem(
        "Subscriptions", routes.STAFF_SUBSCRIPTIONS, "calendar-sync", module="subscriptions"
    ),
    StaffNavItem("Settings", routes.STAFF_SETTINGS, "settings"),
    StaffNavItem("E-mails", routes.STAFF_OUTBOX, "mail"),
    StaffNavItem("Audit log", routes.STAFF_AUDIT, "scroll-text"),
]


def visible_staff_nav_items(enabled_modules: list[str]) -> list[StaffNavItem]:
    """The entries staff of a company with these enabled modules see."""
    enabled = set(enabled_modules)
    return [item for item in STAFF_NAV_ITEMS if item.module is None or item.module in enabled]
