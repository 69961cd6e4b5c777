"""How the staff pages name invoices, quotes and credits (English msgids, marked with N_ and
translated where shown)."""

from __future__ import annotations

from portal_app.components.staff_documents import KindWords
from portal_app.core import routes
from portal_app.core.i18n import N_
from portal_app.services.billing.staff_lists import STATUS_FILTERS

INVOICE_WORDS = KindWords(
    "invoice",
    N_("Invoice"),
    N_("Invoices"),
    routes.STAFF_INVOICES,
    routes.STAFF_INVOICE_NEW,
    STATUS_FILTERS["invoice"],
    new_label=N_("New invoice"),
    edit_label=N_("Edit invoice"),
    empty_title=N_("No invoices"),
    not_found_title=N_("Invoice not found"),
    not_found_text=N_("This invoice does not exist."),
    email_label=N_("E-mail invoice"),
    pdf_preview_label=N_("Preview the invoice PDF (opens in a new tab)"),
    back_label=N_("← All invoices"),
    heading=N_("Invoice %(number)s"),
)
QUOTE_WORDS = KindWords(
    "quote",
    N_("Quote"),
    N_("Quotes"),
    routes.STAFF_QUOTES,
    routes.STAFF_QUOTE_NEW,
    STATUS_FILTERS["quote"],
    due_label=N_("Valid until"),
    new_label=N_("New quote"),
    edit_label=N_("Edit quote"),
    empty_title=N_("No quotes"),
    not_found_title=N_("Quote not found"),
    not_found_text=N_("This quote does not exist."),
    email_label=N_("E-mail quote"),
    pdf_preview_label=N_("Preview the quote PDF (opens in a new tab)"),
    back_label=N_("← All quotes"),
    heading=N_("Quote %(number)s"),
)
CREDIT_WORDS = KindWords(
    "credit",
    N_("Credit"),
    N_("Credits"),
    routes.STAFF_CREDITS,
    routes.STAFF_CREDIT_NEW,
    STATUS_FILTERS["credit"],
    due_label="",  # a credit has no due date
    new_label=N_("New credit"),
    edit_label=N_("Edit credit"),
    empty_title=N_("No credits"),
    not_found_title=N_("Credit not found"),
    not_found_text=N_("This credit does not exist."),
    email_label=N_("E-mail credit"),
    pdf_preview_label=N_("Preview the credit PDF (opens in a new tab)"),
    back_label=N_("← All credits"),
    heading=N_("Credit %(number)s"),
)
