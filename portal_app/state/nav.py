"""The portal navigation: one entry per built module, shown only when the company enables it."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.core import routes
from portal_app.core.i18n import N_


@dataclass(frozen=True, slots=True)
class NavItem:
    """One link in the portal's navigation.

    `module` is the company setting that switches it on (see models.company.ALL_MODULES);
    None means it is always shown to signed-in contacts. `label` is the English msgid (marked
    with N_ for extraction); the shell shows it translated.
    """

    label: str
    route: str
    icon: str
    module: str | None = None


# Only modules that are built appear here; a module that is not built is never listed.
NAV_ITEMS: list[NavItem] = [
    NavItem(N_("Dashboard"), routes.CLIENT_DASHBOARD, "layout-dashboard"),
    NavItem(N_("Invoices"), routes.CLIENT_INVOICES, "file-text", module="invoices"),
    NavItem(N_("Payments"), routes.CLIENT_PAYMENTS, "banknote", module="payments"),
    NavItem(N_("Quotes"), routes.CLIENT_QUOTES, "file-pen-line", module="quotes"),
    NavItem(
        N_("Recurring invoices"),
        routes.CLIENT_RECURRING_INVOICES,
        "repeat",
        module="recurring_invoices",
    ),
    NavItem(N_("Credits"), routes.CLIENT_CREDITS, "piggy-bank", module="credits"),
    NavItem(
        N_("Payment methods"), routes.CLIENT_PAYMENT_METHODS, "wallet", module="payment_methods"
    ),
    NavItem(N_("Documents"), routes.CLIENT_DOCUMENTS, "folder", module="documents"),
    NavItem(N_("Statement"), routes.CLIENT_STATEMENT, "scroll-text", module="statement"),
    NavItem(N_("Activity"), routes.CLIENT_ACTIVITY, "activity"),
    NavItem(N_("Subscriptions"), routes.CLIENT_SUBSCRIPTIONS, "repeat", module="subscriptions"),
    NavItem(N_("Pre-payment"), routes.CLIENT_PREPAYMENT, "coins", module="prepayment"),
    NavItem(N_("Profile"), routes.CLIENT_PROFILE, "user-round"),
]


def register_nav_item(item: NavItem) -> NavItem:
    """Add a page to the navigation (used by extension pages; see docs/extending.md)."""
    if all(existing.route != item.route for existing in NAV_ITEMS):
        NAV_ITEMS.append(item)
    return item


def visible_nav_items(enabled_modules: list[str]) -> list[NavItem]:
    """The entries a contact of a company with these enabled modules sees."""
    enabled = set(enabled_modules)
    return [item for item in NAV_ITEMS if item.module is None or item.module in enabled]
