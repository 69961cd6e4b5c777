"""Route constants and URL builders. Routes are stable: users bookmark them."""

from __future__ import annotations

from urllib.parse import quote, urlencode

# The default logo on web pages (assets/logo-80.png: twice the 32-40 px the pages show it at);
# PDFs use the 256 px assets/logo.png.
DEFAULT_LOGO = "/logo-80.png"

CLIENT_LOGIN = "/client/login"
CLIENT_LOGOUT = "/client/logout"
CLIENT_PASSWORD_RESET = "/client/password/reset"
CLIENT_DASHBOARD = "/client/dashboard"
CLIENT_INVOICES = "/client/invoices"
CLIENT_INVOICE_DETAIL = "/client/invoices/[id]"
CLIENT_INVOICE_LINK = "/client/invoice/[key]"
CLIENT_RECURRING_INVOICES = "/client/recurring_invoices"
CLIENT_RECURRING_INVOICE_DETAIL = "/client/recurring_invoices/[id]"
CLIENT_PAY = "/client/pay"
# "Pay an amount": one sum applied to the oldest due invoices first (issue 22 item 8).
CLIENT_PAY_AMOUNT = "/client/pay_amount"
CLIENT_PAYMENTS = "/client/payments"
CLIENT_PAYMENT_DETAIL = "/client/payments/[id]"
CLIENT_QUOTES = "/client/quotes"
CLIENT_QUOTE_DETAIL = "/client/quotes/[id]"
CLIENT_QUOTE_LINK = "/client/quote/[key]"
CLIENT_CREDITS = "/client/credits"
CLIENT_CREDIT_DETAIL = "/client/credits/[id]"
CLIENT_PAYMENT_METHODS = "/client/payment_methods"
CLIENT_DOCUMENTS = "/client/documents"
CLIENT_STATEMENT = "/client/statement"
CLIENT_ACTIVITY = "/client/activity"
CLIENT_SUBSCRIPTIONS = "/client/subscriptions"
CLIENT_SUBSCRIPTION_DETAIL = "/client/subscriptions/[id]"
CLIENT_PREPAYMENT = "/client/prepayment"
CLIENT_PROFILE = "/client/profile"
# The link e-mailed to a new address: following it (and pressing its button) makes the change.
CLIENT_EMAIL_CHANGE = "/client/profile/email"
SUBSCRIBE = "/subscribe/[key]"
# Reflex's page for every address with no page of its own (its route "404").
NOT_FOUND = "/404"

CLIENT_REGISTER = "/client/register"
CLIENT_REGISTER_CONFIRM = "/client/register/confirm"

STAFF_HOME = "/staff"
STAFF_LOGIN = "/staff/login"
STAFF_LOGOUT = "/staff/logout"
STAFF_CLIENTS = "/staff/clients"
STAFF_CLIENT_DETAIL = "/staff/clients/[id]"
STAFF_INVOICES = "/staff/invoices"
STAFF_QUOTES = "/staff/quotes"
STAFF_CREDITS = "/staff/credits"
STAFF_PAYMENTS = "/staff/payments"
# Staff document pages: list, new, one record, edit its draft (kind = invoices|quotes|credits).
STAFF_INVOICE_NEW = "/staff/invoices/new"
STAFF_INVOICE_DETAIL = "/staff/invoices/[id]"
STAFF_INVOICE_EDIT = "/staff/invoices/[id]/edit"
STAFF_QUOTE_NEW = "/staff/quotes/new"
STAFF_QUOTE_DETAIL = "/staff/quotes/[id]"
STAFF_QUOTE_EDIT = "/staff/quotes/[id]/edit"
STAFF_CREDIT_NEW = "/staff/credits/new"
STAFF_CREDIT_DETAIL = "/staff/credits/[id]"
STAFF_CREDIT_EDIT = "/staff/credits/[id]/edit"
# Recurring invoices: list, new schedule, one schedule (with the invoices it issued), edit it.
STAFF_RECURRING_INVOICES = "/staff/recurring_invoices"
STAFF_RECURRING_INVOICE_NEW = "/staff/recurring_invoices/new"
STAFF_RECURRING_INVOICE_DETAIL = "/staff/recurring_invoices/[id]"
STAFF_RECURRING_INVOICE_EDIT = "/staff/recurring_invoices/[id]/edit"
# Subscription plans (with their payment links), a new plan, editing one; clients' subscriptions.
STAFF_PLANS = "/staff/plans"
STAFF_PLAN_NEW = "/staff/plans/new"
STAFF_PLAN_EDIT = "/staff/plans/[id]/edit"
STAFF_SUBSCRIPTIONS = "/staff/subscriptions"
STAFF_SETTINGS = "/staff/settings"
STAFF_AUDIT = "/staff/audit"
# The e-mail outbox: every message and its delivery; a failed one can be retried.
STAFF_OUTBOX = "/staff/outbox"
STAFF_PREVIEW = "/staff/preview/[contact_id]"

API_HEALTH = "/api/health"
API_STAFF_AUTH_HANDOFF = "/api/staff/auth/handoff"
API_STAFF_AUTH_LOGOUT = "/api/staff/auth/logout"
API_STAFF_PREVIEW_END = "/api/staff/preview/end"
API_AUTH_HANDOFF = "/api/auth/handoff"
API_AUTH_LOGOUT = "/api/auth/logout"
API_AUTH_BINDING = "/api/auth/binding"
API_INVOICE_PDF = "/api/invoices/{invoice_id}/pdf"
# The invoice as a UBL 2.1 (EN 16931) e-invoice, for accounting software that imports XML.
API_INVOICE_UBL = "/api/invoices/{invoice_id}/ubl"
API_INVOICES_ZIP = "/api/invoices/zip"
API_PAYMENT_RECEIPT = "/api/payments/{payment_id}/receipt"
API_CREDIT_PDF = "/api/credits/{credit_id}/pdf"
API_QUOTE_PDF = "/api/quotes/{quote_id}/pdf"
API_QUOTES_ZIP = "/api/quotes/zip"
API_STRIPE_WEBHOOK = "/api/webhooks/stripe"
API_FILE = "/api/files/{token}"
API_STATEMENT_PDF = "/api/statement.pdf"
# An invoice page's QR codes as images: "pay" (the pay link) or "bank" (the EPC transfer).
API_INVOICE_QR = "/api/invoices/{invoice_id}/qr/{kind}.svg"
API_EXPORT = "/api/export/{kind}"
API_BRANDING_LOGO = "/api/branding/logo/{name}"
# The unsubscribe link of an optional e-mail (a signed token naming the contact and the kind of
# e-mail; GET asks, POST unsubscribes). The reminders' path is that of links already sent.
API_EMAIL_UNSUBSCRIBE = "/api/email/unsubscribe/{token}"
API_REMINDERS_UNSUBSCRIBE = "/api/reminders/unsubscribe/{token}"
# Staff-only (the staff cookie): documents as the client gets them, a quote's signature.
API_STAFF_INVOICE_PDF = "/api/staff/invoices/{record_id}/pdf"
API_STAFF_QUOTE_PDF = "/api/staff/quotes/{record_id}/pdf"
API_STAFF_CREDIT_PDF = "/api/staff/credits/{record_id}/pdf"
API_STAFF_QUOTE_SIGNATURE = "/api/staff/quotes/{record_id}/signature"


def invoice_url(invoice_id: int) -> str:
    return f"/client/invoices/{invoice_id}"


def recurring_invoice_url(recurring_id: int) -> str:
    return f"/client/recurring_invoices/{recurring_id}"


def payment_url(payment_id: int) -> str:
    return f"/client/payments/{payment_id}"


def credit_url(credit_id: int) -> str:
    return f"/client/credits/{credit_id}"


def quote_url(quote_id: int) -> str:
    return f"/client/quotes/{quote_id}"


def quote_link_url(key: str) -> str:
    return f"/client/quote/{quote(key, safe='')}"


def invoice_qr_url(invoice_id: int, kind: str, version: str) -> str:
    """The image of an invoice page's QR code; `version` changes with what the code holds, so
    a browser's cached image never shows an older amount."""
    return f"{API_INVOICE_QR.format(invoice_id=invoice_id, kind=kind)}?{urlencode({'v': version})}"


def quote_pdf_url(quote_id: int) -> str:
    return API_QUOTE_PDF.format(quote_id=quote_id)


def quotes_zip_url(quote_ids: list[int]) -> str:
    return f"{API_QUOTES_ZIP}?{urlencode({'ids': ','.join(str(i) for i in quote_ids)})}"


def payment_receipt_url(payment_id: int) -> str:
    return API_PAYMENT_RECEIPT.format(payment_id=payment_id)


def credit_pdf_url(credit_id: int) -> str:
    return API_CREDIT_PDF.format(credit_id=credit_id)


def subscription_url(subscription_id: int) -> str:
    return f"/client/subscriptions/{subscription_id}"


def subscribe_url(key: str) -> str:
    """The public sign-up page of a payment link."""
    return f"/subscribe/{quote(key, safe='')}"


def pay_url(invoice_ids: list[int]) -> str:
    return f"{CLIENT_PAY}?{urlencode({'invoices': ','.join(str(i) for i in invoice_ids)})}"


# "Pay all due" in one currency: /client/pay?all=USD (the invoices are
# services/payments/checkout.payable_ids; the button's total is payable_groups).
PAY_ALL_PARAM = "all"


def invoice_link_url(key: str) -> str:
    return f"/client/invoice/{quote(key, safe='')}"


def invoice_pdf_url(invoice_id: int) -> str:
    return API_INVOICE_PDF.format(invoice_id=invoice_id)


def invoice_ubl_url(invoice_id: int) -> str:
    """The download address of an invoice's UBL e-invoice."""
    return API_INVOICE_UBL.format(invoice_id=invoice_id)


def invoices_zip_url(invoice_ids: list[int]) -> str:
    return f"{API_INVOICES_ZIP}?{urlencode({'ids': ','.join(str(i) for i in invoice_ids)})}"


def file_url(token: str, *, inline: bool = False) -> str:
    """The short-lived download URL of a signed document token (inline: preview in the page)."""
    return API_FILE.format(token=quote(token, safe="")) + ("?inline=1" if inline else "")


def login_url(next_path: str | None = None) -> str:
    if not next_path or not is_safe_next(next_path):
        return CLIENT_LOGIN
    return f"{CLIENT_LOGIN}?{urlencode({'next': next_path})}"


def password_reset_url(token: str) -> str:
    return f"{CLIENT_PASSWORD_RESET}?{urlencode({'token': token})}"


def email_unsubscribe_url(token: str) -> str:
    """The unsubscribe link of an optional e-mail (the token is URL-safe base64)."""
    return API_EMAIL_UNSUBSCRIBE.replace("{token}", quote(token, safe=""))


def email_change_url(token: str) -> str:
    """The page confirming a new e-mail address from the link sent to it."""
    return f"{CLIENT_EMAIL_CHANGE}?{urlencode({'token': token})}"


def is_safe_next(path: str) -> bool:
    """Only local portal paths (and payment-link pages) may be used as a post-sign-in
    destination (no open redirect)."""
    return (
        (path.startswith("/client/") or path.startswith("/subscribe/"))
        and not path.startswith("//")
        and "\\" not in path
        and "://" not in path
        and not path.startswith(CLIENT_LOGIN)
        and not path.startswith(CLIENT_LOGOUT)
    )


# Pages that start a sign-in (services/signin_binding.py): the only places the binding route
# sends the browser back to.
_BINDING_PAGES = (CLIENT_LOGIN, STAFF_LOGIN)
_BINDING_PAGE_PREFIXES = ("/client/invoice/", "/client/quote/", "/staff/preview/")


def is_binding_target(path: str) -> bool:
    """Whether /api/auth/binding may send the browser back to this local path."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path or "://" in path:
        return False
    page = path.split("?", 1)[0].split("#", 1)[0].rstrip("/") or "/"
    if page in _BINDING_PAGES:
        return True
    for prefix in _BINDING_PAGE_PREFIXES:
        rest = page.removeprefix(prefix)
        if rest != page and rest and all(c.isalnum() or c in "-_" for c in rest):
            return True
    return False


def staff_client_url(client_id: int) -> str:
    return f"/staff/clients/{client_id}"


def staff_record_url(kind: str, record_id: int) -> str:
    """/staff/invoices/12 for kind "invoice" (also "quote", "credit")."""
    return f"/staff/{kind}s/{record_id}"


def staff_record_edit_url(kind: str, record_id: int) -> str:
    return f"/staff/{kind}s/{record_id}/edit"


def staff_pdf_url(kind: str, record_id: int, *, inline: bool = False) -> str:
    """The staff download (inline: shown in the browser) of an invoice, quote or credit PDF."""
    return f"/api/staff/{kind}s/{record_id}/pdf" + ("?inline=1" if inline else "")


def staff_quote_signature_url(quote_id: int) -> str:
    return API_STAFF_QUOTE_SIGNATURE.format(record_id=quote_id)


def staff_preview_url(contact_id: int) -> str:
    return f"/staff/preview/{contact_id}"


def staff_login_url(next_path: str | None = None) -> str:
    if not next_path or not is_safe_staff_next(next_path):
        return STAFF_LOGIN
    return f"{STAFF_LOGIN}?{urlencode({'next': next_path})}"


def is_safe_staff_next(path: str) -> bool:
    """Only local staff console paths may follow a staff sign-in (no open redirect)."""
    return (
        path.startswith("/staff/")
        and not path.startswith("//")
        and "\\" not in path
        and "://" not in path
        and not path.startswith(STAFF_LOGIN)
        and not path.startswith(STAFF_LOGOUT)
    )


def export_url(kind: str, start: str, end: str, fmt: str, **filters: str) -> str:
    """The CSV/XLSX export of `kind` (invoices, payments, credits) for a date range, with the
    list's filters (status, q, sort, desc) when given; checked again by the route."""
    query = {"start": start, "end": end, "format": fmt, **{k: v for k, v in filters.items() if v}}
    return f"{API_EXPORT.format(kind=kind)}?{urlencode(query)}"


def statement_pdf_url(
    start: str,
    end: str,
    status: str = "all",
    *,
    payments: bool = True,
    credits: bool = True,
    aging: bool = True,
) -> str:
    """The statement download for this range and these choices (checked again by the route)."""
    query = {
        "start": start,
        "end": end,
        "status": status,
        "payments": int(payments),
        "credits": int(credits),
        "aging": int(aging),
    }
    return f"{API_STATEMENT_PDF}?{urlencode(query)}"
