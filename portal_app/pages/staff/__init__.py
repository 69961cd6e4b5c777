"""Staff console pages, one module per page; pages/route_table.py registers them."""

from portal_app.pages.staff import (  # noqa: F401
    audit,
    client_detail,
    clients,
    credit_detail,
    credit_form,
    credits,
    home,
    invoice_detail,
    invoice_form,
    invoices,
    login,
    logout,
    outbox,
    payments,
    preview,
    quote_detail,
    quote_form,
    quotes,
    settings,
)
