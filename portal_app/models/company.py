"""The business that runs the portal, with its portal settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow
from portal_app.models.base import enum_field
from portal_app.models.statuses import SubscriptionCancelMode

# Every module a company may enable; the navigation shows only those enabled AND built.
ALL_MODULES = (
    "invoices",
    "recurring_invoices",
    "payments",
    "quotes",
    "credits",
    "payment_methods",
    "documents",
    "statement",
    "subscriptions",
    "prepayment",
)


class Company(SQLModel, table=True):
    """A business; every other row carries its id."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=50)
    address1: str = Field(default="", max_length=200)
    address2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=100)
    vat_number: str = Field(default="", max_length=50)
    # E-invoicing (EN 16931): the registered name when it differs from `name`, the ISO 3166
    # country code (`country` stays free text for the address block), the bank account clients
    # pay to (IBAN/BIC stored compact, checked with schwifty) and the payment terms text.
    legal_name: str = Field(default="", max_length=200)
    country_code: str = Field(default="", max_length=2)
    iban: str = Field(default="", max_length=34)
    bic: str = Field(default="", max_length=11)
    payment_terms: str = Field(default="", max_length=1000)
    logo_path: str = Field(default="", max_length=500)
    primary_color: str = Field(default="#4f46e5", max_length=7)
    locale: str = Field(default="en_US", max_length=20)
    # IANA time zone staff pages show times in (stored times stay UTC), e.g. Europe/Berlin.
    time_zone: str = Field(default="UTC", max_length=64)
    currency: str = Field(default="USD", max_length=3)
    # Comma-separated subset of ALL_MODULES.
    enabled_modules: str = Field(default=",".join(ALL_MODULES), max_length=500)
    invoice_terms: str = Field(default="", max_length=4000)
    invoice_footer: str = Field(default="", max_length=2000)
    link_lifetime_days: int = Field(default=30)
    link_session_minutes: int = Field(default=60)
    due_soon_days: int = Field(default=7)
    # Checkout rules: may a client pay less than due (not below the minimum) or more than due?
    allow_under_payment: bool = Field(default=False)
    minimum_under_payment_minor: int = Field(default=0, sa_type=BigInteger)
    allow_over_payment: bool = Field(default=False)
    # May staff add a card for a client from its staff page (the client agreed; audited)?
    staff_may_add_cards: bool = Field(default=False)
    # May the client's contacts upload files to the Documents tab (staff see them)?
    allow_client_uploads: bool = Field(default=False)
    # May the client's contacts change the client's billing address and tax number on
    # /client/profile (each change is audited for staff)?
    allow_client_detail_edits: bool = Field(default=False)
    # Self-registration at /client/register: on/off, extra required fields (comma-separated of
    # phone, address, vat_number) and the terms a registrant accepts.
    allow_registration: bool = Field(default=False)
    registration_required_fields: str = Field(default="", max_length=200)
    registration_terms: str = Field(default="", max_length=4000)
    # Clients sign in with e-mailed codes only: passwords are refused (signin_codes.py).
    codes_only: bool = Field(default=False)
    # Client-initiated payments (the "prepayment" module): limits in the company's currency.
    prepayment_min_minor: int = Field(default=100, sa_type=BigInteger)
    prepayment_max_minor: int = Field(default=10_000_000, sa_type=BigInteger)
    # Quote approval: terms shown first (versioned), a drawn signature, conversion to invoice.
    quote_terms: str = Field(default="", max_length=4000)
    quote_terms_version: int = Field(default=1)
    require_quote_terms: bool = Field(default=False)
    require_quote_signature: bool = Field(default=False)
    convert_approved_quotes: bool = Field(default=True)
    allow_quote_decline: bool = Field(default=True)
    # Subscriptions: may clients cancel themselves, or only ask staff to?
    subscription_cancel_mode: SubscriptionCancelMode = enum_field(
        SubscriptionCancelMode, default=SubscriptionCancelMode.SELF, length=10
    )
    # Days after a failed renewal at which to retry (comma-separated); after the last, cancel
    # when cancel_after_failed_retries, else stay past due.
    renewal_retry_days: str = Field(default="1,3,7", max_length=50)
    cancel_after_failed_retries: bool = Field(default=True)
    # Payment reminders: days relative to an open invoice's due date (negative: before it),
    # comma-separated and increasing, e.g. "-3,7,14"; empty sends none (services/billing/
    # reminders.py, the payment_reminders job).
    reminder_days: str = Field(default="", max_length=50)
    # Next numbers handed out by services.numbering.
    next_invoice_number: int = Field(default=1)
    next_quote_number: int = Field(default=1)
    next_credit_number: int = Field(default=1)
    next_recurring_number: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)

    def module_list(self) -> list[str]:
        return parse_modules(self.enabled_modules)


def parse_modules(enabled_modules: str) -> list[str]:
    """The known module names in a comma-separated `Company.enabled_modules` value."""
    return [m for m in enabled_modules.split(",") if m in ALL_MODULES]
