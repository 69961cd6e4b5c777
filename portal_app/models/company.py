"""The business that runs the portal, with its portal settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from portal_app.db import utcnow

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
    logo_path: str = Field(default="", max_length=500)
    primary_color: str = Field(default="#4f46e5", max_length=7)
    locale: str = Field(default="en_US", max_length=20)
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
    # May the client's contacts upload files to the Documents tab (staff see them)?
    allow_client_uploads: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)

    def module_list(self) -> list[str]:
        return [m for m in self.enabled_modules.split(",") if m in ALL_MODULES]
