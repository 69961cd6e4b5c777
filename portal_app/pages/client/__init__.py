"""Client portal pages; importing this package registers every page."""

from portal_app.pages.client import (  # noqa: F401
    credit_detail,
    credits,
    dashboard,
    documents,
    invoice_detail,
    invoice_link,
    invoices,
    login,
    logout,
    password_reset,
    pay,
    payment_detail,
    payment_methods,
    payments,
    quote_detail,
    quote_link,
    quotes,
    recurring_invoice_detail,
    recurring_invoices,
    statement,
)
