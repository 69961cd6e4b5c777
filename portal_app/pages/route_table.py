"""The route table: every page of the portal and the staff console, registered in one place.

`portal_app.py` adds each entry with `app.add_page` (pages registered through `rx.page` are
re-applied on every compile, which printed a "Page ... is being redefined" warning per page).
A new page is one entry here; tests/pages/test_route_table.py fails when a route constant in
core/routes.py has no entry, or an entry's route is not a constant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import reflex as rx

from portal_app.core import routes
from portal_app.core.i18n import N_
from portal_app.layout.shell import portal_layout, public_layout, shell_or_public_layout
from portal_app.layout.staff_shell import staff_layout
from portal_app.pages import client, staff
from portal_app.state.translate import _

Layout = Literal["portal", "public", "staff", "any"]
_LAYOUTS: dict[str, Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]] = {
    "portal": portal_layout,
    "public": public_layout,
    "staff": staff_layout,
    "any": shell_or_public_layout,
}
# Titles are marked here (N_) and translated where the page is added: the browser tab reads
# in the page's language (the title is a var of the front-end catalog, hoisted by React).
_TITLE_SUFFIX = {
    "portal": N_("Client Portal"),
    "public": N_("Client Portal"),
    "staff": N_("Staff console"),
    "any": N_("Client Portal"),
}


@dataclass(frozen=True)
class Page:
    """One page: its route, the title in the browser tab, the function that builds it, what runs
    when it opens, and which layout wraps it."""

    route: str
    title: str
    component: Callable[[], rx.Component]
    on_load: Any = None
    layout: Layout = "portal"

    @classmethod
    def portal(cls, route: str, title: str, component, on_load=None) -> Page:
        """A signed-in client page inside the portal shell."""
        return cls(route, title, component, on_load, "portal")

    @classmethod
    def public(cls, route: str, title: str, component, on_load=None) -> Page:
        """A page for signed-out visitors (sign-in, password reset, e-mailed links)."""
        return cls(route, title, component, on_load, "public")

    @classmethod
    def staff(cls, route: str, title: str, component, on_load=None) -> Page:
        """A signed-in staff console page inside the staff shell."""
        return cls(route, title, component, on_load, "staff")

    @classmethod
    def anyone(cls, route: str, title: str, component, on_load=None) -> Page:
        """A page for signed-in contacts and visitors alike (the 404 page): the portal shell
        or the sign-in frame, whichever the session check found."""
        return cls(route, title, component, on_load, "any")


PAGES: tuple[Page, ...] = (
    Page.anyone(
        routes.NOT_FOUND,
        N_("Page not found"),
        client.not_found.not_found_page,
        on_load=client.not_found.NotFoundState.load,
    ),
    Page.portal(
        routes.CLIENT_CREDIT_DETAIL,
        N_("Credit"),
        client.credit_detail.credit_detail_page,
        on_load=client.credit_detail.CreditDetailState.load,
    ),
    Page.portal(
        routes.CLIENT_CREDITS,
        N_("Credits"),
        client.credits.credits_page,
        on_load=client.credits.CreditsState.load,
    ),
    Page.portal(
        routes.CLIENT_DASHBOARD,
        N_("Dashboard"),
        client.dashboard.dashboard_page,
        on_load=client.dashboard.DashboardState.load,
    ),
    Page.portal(
        routes.CLIENT_DOCUMENTS,
        N_("Documents"),
        client.documents.documents_page,
        on_load=client.documents.DocumentsState.load,
    ),
    Page.portal(
        routes.CLIENT_INVOICE_DETAIL,
        N_("Invoice"),
        client.invoice_detail.invoice_detail_page,
        on_load=client.invoice_detail.InvoiceDetailState.load,
    ),
    Page.public(
        routes.CLIENT_INVOICE_LINK,
        N_("Your invoice"),
        client.invoice_link.invoice_link_page,
        on_load=client.invoice_link.InvoiceLinkState.open_link,
    ),
    Page.portal(
        routes.CLIENT_INVOICES,
        N_("Invoices"),
        client.invoices.invoices_page,
        # Both in the one navigation event (reflex_ext/page_load.py); a handler chained from
        # `load` would be an event of its own.
        on_load=[
            client.invoices.InvoicesState.load,
            client.invoices.InvoiceSelectionState.clear_selection,
        ],
    ),
    Page.public(
        routes.CLIENT_LOGIN,
        N_("Sign in"),
        client.login.login_page,
        on_load=client.login.LoginState.on_load,
    ),
    Page.public(
        routes.CLIENT_LOGOUT,
        N_("Sign out"),
        client.logout.logout_page,
        on_load=client.logout.LogoutState.on_load,
    ),
    Page.public(
        routes.CLIENT_PASSWORD_RESET,
        N_("Reset password"),
        client.password_reset.password_reset_page,
        on_load=client.password_reset.PasswordResetState.on_load,
    ),
    Page.portal(
        routes.CLIENT_PAY, N_("Pay"), client.pay.pay_page, on_load=client.pay.PayState.load
    ),
    Page.portal(
        routes.CLIENT_PAY_AMOUNT,
        N_("Pay an amount"),
        client.pay_amount.pay_amount_page,
        on_load=client.pay_amount.S.load,
    ),
    Page.portal(
        routes.CLIENT_PAYMENT_DETAIL,
        N_("Payment"),
        client.payment_detail.payment_detail_page,
        on_load=client.payment_detail.PaymentDetailState.load,
    ),
    Page.portal(
        routes.CLIENT_PAYMENT_METHODS,
        N_("Payment methods"),
        client.payment_methods.payment_methods_page,
        on_load=client.payment_methods.S.load,
    ),
    Page.portal(
        routes.CLIENT_PAYMENTS,
        N_("Payments"),
        client.payments.payments_page,
        on_load=client.payments.PaymentsState.load,
    ),
    Page.portal(
        routes.CLIENT_PREPAYMENT,
        N_("Pre-payment"),
        client.prepayment.prepayment_page,
        on_load=client.prepayment.P.load,
    ),
    Page.portal(
        routes.CLIENT_PROFILE,
        N_("Profile"),
        client.profile.profile_page,
        on_load=client.profile.ProfileState.load,
    ),
    Page.public(
        routes.CLIENT_EMAIL_CHANGE,
        N_("Confirm new e-mail"),
        client.profile.email_change_page,
        on_load=client.profile.EmailChangeState.load,
    ),
    Page.portal(
        routes.CLIENT_QUOTE_DETAIL,
        N_("Quote"),
        client.quote_detail.quote_detail_page,
        on_load=client.quote_detail.QuoteDetailState.load,
    ),
    Page.public(
        routes.CLIENT_QUOTE_LINK,
        N_("Your quote"),
        client.quote_link.quote_link_page,
        on_load=client.quote_link.QuoteLinkState.open_link,
    ),
    Page.portal(
        routes.CLIENT_QUOTES,
        N_("Quotes"),
        client.quotes.quotes_page,
        on_load=client.quotes.QuotesState.load,
    ),
    Page.portal(
        routes.CLIENT_RECURRING_INVOICE_DETAIL,
        N_("Recurring invoice"),
        client.recurring_invoice_detail.recurring_invoice_detail_page,
        on_load=client.recurring_invoice_detail.S.load,
    ),
    Page.portal(
        routes.CLIENT_RECURRING_INVOICES,
        N_("Recurring invoices"),
        client.recurring_invoices.recurring_invoices_page,
        on_load=client.recurring_invoices.RecurringInvoicesState.load,
    ),
    Page.public(
        routes.CLIENT_REGISTER,
        N_("Register"),
        client.register.register_page,
        on_load=client.register.RegisterState.on_load,
    ),
    Page.public(
        routes.CLIENT_REGISTER_CONFIRM,
        N_("Confirm e-mail"),
        client.register.register_confirm_page,
        on_load=client.register.ConfirmState.on_load,
    ),
    Page.portal(
        routes.CLIENT_ACTIVITY,
        N_("Activity"),
        client.activity.activity_page,
        on_load=client.activity.ActivityState.load,
    ),
    Page.portal(
        routes.CLIENT_STATEMENT,
        N_("Statement"),
        client.statement.statement_page,
        on_load=client.statement.StatementState.load,
    ),
    Page.public(
        routes.SUBSCRIBE,
        N_("Subscribe"),
        client.subscribe.subscribe_page,
        on_load=client.subscribe.SubscribeState.load,
    ),
    Page.portal(
        routes.CLIENT_SUBSCRIPTION_DETAIL,
        N_("Subscription"),
        client.subscription_detail.subscription_detail_page,
        on_load=client.subscription_detail.S.load,
    ),
    Page.portal(
        routes.CLIENT_SUBSCRIPTIONS,
        N_("Subscriptions"),
        client.subscriptions.subscriptions_page,
        on_load=client.subscriptions.SubscriptionsState.load,
    ),
    Page.staff(
        routes.STAFF_AUDIT,
        N_("Audit log"),
        staff.audit.staff_audit_page,
        on_load=staff.audit.StaffAuditState.load,
    ),
    Page.staff(
        routes.STAFF_OUTBOX,
        N_("E-mails"),
        staff.outbox.staff_outbox_page,
        on_load=staff.outbox.StaffOutboxState.load,
    ),
    Page.staff(
        routes.STAFF_CLIENT_DETAIL,
        N_("Client"),
        staff.client_detail.staff_client_page,
        on_load=staff.client_detail.StaffClientState.load,
    ),
    Page.staff(
        routes.STAFF_CLIENTS,
        N_("Clients"),
        staff.clients.staff_clients_page,
        on_load=staff.clients.StaffClientsState.load,
    ),
    Page.staff(
        routes.STAFF_CREDIT_DETAIL,
        N_("Credit"),
        staff.credit_detail.staff_credit_detail_page,
        on_load=staff.credit_detail.StaffCreditDetailState.load,
    ),
    Page.staff(
        routes.STAFF_CREDIT_NEW,
        N_("New credit"),
        staff.credit_form.staff_new_credit_page,
        on_load=staff.credit_form.StaffCreditFormState.load,
    ),
    Page.staff(
        routes.STAFF_CREDIT_EDIT,
        N_("Edit credit"),
        staff.credit_form.staff_edit_credit_page,
        on_load=staff.credit_form.StaffCreditFormState.load,
    ),
    Page.staff(
        routes.STAFF_CREDITS,
        N_("Credits"),
        staff.credits.staff_credits_page,
        on_load=staff.credits.StaffCreditsState.load,
    ),
    Page.staff(
        routes.STAFF_HOME,
        N_("Staff console"),
        staff.home.staff_home_page,
        on_load=staff.home.StaffHomeState.on_load,
    ),
    Page.staff(
        routes.STAFF_INVOICE_DETAIL,
        N_("Invoice"),
        staff.invoice_detail.staff_invoice_detail_page,
        on_load=staff.invoice_detail.StaffInvoiceDetailState.load,
    ),
    Page.staff(
        routes.STAFF_INVOICE_NEW,
        N_("New invoice"),
        staff.invoice_form.staff_new_invoice_page,
        on_load=staff.invoice_form.StaffInvoiceFormState.load,
    ),
    Page.staff(
        routes.STAFF_INVOICE_EDIT,
        N_("Edit invoice"),
        staff.invoice_form.staff_edit_invoice_page,
        on_load=staff.invoice_form.StaffInvoiceFormState.load,
    ),
    Page.staff(
        routes.STAFF_INVOICES,
        N_("Invoices"),
        staff.invoices.staff_invoices_page,
        on_load=staff.invoices.StaffInvoicesState.load,
    ),
    Page.public(
        routes.STAFF_LOGIN,
        N_("Staff sign in"),
        staff.login.staff_login_page,
        on_load=staff.login.StaffLoginState.on_load,
    ),
    Page.public(
        routes.STAFF_LOGOUT,
        N_("Sign out"),
        staff.logout.staff_logout_page,
        on_load=staff.logout.StaffLogoutState.on_load,
    ),
    Page.staff(
        routes.STAFF_PAYMENTS,
        N_("Payments"),
        staff.payments.staff_payments_page,
        on_load=staff.payments.StaffPaymentsState.load,
    ),
    Page.staff(
        routes.STAFF_PREVIEW,
        N_("Preview as client"),
        staff.preview.staff_preview_page,
        on_load=staff.preview.StaffPreviewState.load,
    ),
    Page.staff(
        routes.STAFF_QUOTE_DETAIL,
        N_("Quote"),
        staff.quote_detail.staff_quote_detail_page,
        on_load=staff.quote_detail.StaffQuoteDetailState.load,
    ),
    Page.staff(
        routes.STAFF_QUOTE_NEW,
        N_("New quote"),
        staff.quote_form.staff_new_quote_page,
        on_load=staff.quote_form.StaffQuoteFormState.load,
    ),
    Page.staff(
        routes.STAFF_QUOTE_EDIT,
        N_("Edit quote"),
        staff.quote_form.staff_edit_quote_page,
        on_load=staff.quote_form.StaffQuoteFormState.load,
    ),
    Page.staff(
        routes.STAFF_QUOTES,
        N_("Quotes"),
        staff.quotes.staff_quotes_page,
        on_load=staff.quotes.StaffQuotesState.load,
    ),
    Page.staff(
        routes.STAFF_RECURRING_INVOICES,
        N_("Recurring invoices"),
        staff.recurring_invoices.staff_recurring_invoices_page,
        on_load=staff.recurring_invoices.StaffRecurringInvoicesState.load,
    ),
    Page.staff(
        routes.STAFF_RECURRING_INVOICE_NEW,
        N_("New recurring invoice"),
        staff.recurring_invoice_form.staff_recurring_form_page,
        on_load=staff.recurring_invoice_form.StaffRecurringFormState.load,
    ),
    Page.staff(
        routes.STAFF_RECURRING_INVOICE_DETAIL,
        N_("Recurring invoice"),
        staff.recurring_invoice_detail.staff_recurring_detail_page,
        on_load=staff.recurring_invoice_detail.StaffRecurringDetailState.load,
    ),
    Page.staff(
        routes.STAFF_RECURRING_INVOICE_EDIT,
        N_("Edit recurring invoice"),
        staff.recurring_invoice_form.staff_recurring_form_page,
        on_load=staff.recurring_invoice_form.StaffRecurringFormState.load,
    ),
    Page.staff(
        routes.STAFF_PLANS,
        N_("Plans"),
        staff.plans.staff_plans_page,
        on_load=staff.plans.StaffPlansState.load,
    ),
    Page.staff(
        routes.STAFF_PLAN_NEW,
        N_("New plan"),
        staff.plan_form.staff_plan_form_page,
        on_load=staff.plan_form.StaffPlanFormState.load,
    ),
    Page.staff(
        routes.STAFF_PLAN_EDIT,
        N_("Edit plan"),
        staff.plan_form.staff_plan_form_page,
        on_load=staff.plan_form.StaffPlanFormState.load,
    ),
    Page.staff(
        routes.STAFF_SUBSCRIPTIONS,
        N_("Subscriptions"),
        staff.subscriptions.staff_subscriptions_page,
        on_load=staff.subscriptions.StaffSubscriptionsState.load,
    ),
    Page.staff(
        routes.STAFF_SETTINGS,
        N_("Settings"),
        staff.settings.staff_settings_page,
        on_load=staff.settings.StaffSettingsState.load,
    ),
)


def add_pages(app: rx.App, pages: Sequence[Page]) -> None:
    """Register `pages` with the app, each wrapped in its layout."""
    for page in pages:
        app.add_page(
            _LAYOUTS[page.layout](page.component),
            route=page.route,
            title=_(page.title) + " · " + _(_TITLE_SUFFIX[page.layout]),
            on_load=page.on_load,
        )
