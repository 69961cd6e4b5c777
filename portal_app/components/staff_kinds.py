"""How the staff pages name invoices, quotes and credits."""

from __future__ import annotations

from portal_app.components.staff_documents import KindWords
from portal_app.core import routes
from portal_app.services.billing.staff_lists import STATUS_FILTERS

INVOICE_WORDS = KindWords(
    "invoice",
    "Invoice",
    "Invoices",
    routes.STAFF_INVOICES,
    routes.STAFF_INVOICE_NEW,
    STATUS_FILTERS["invoice"],
)
QUOTE_WORDS = KindWords(
    "quote",
    "Quote",
    "Quotes",
    routes.STAFF_QUOTES,
    routes.STAFF_QUOTE_NEW,
    STATUS_FILTERS["quote"],
    due_label="Valid until",
)
CREDIT_WORDS = KindWords(
    "credit",
    "Credit",
    "Credits",
    routes.STAFF_CREDITS,
    routes.STAFF_CREDIT_NEW,
    STATUS_FILTERS["credit"],
    due_label="",  # a credit has no due date
)
