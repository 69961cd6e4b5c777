"""The billed organisation and the people who sign in for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from portal_app.core.db import utcnow


class Client(SQLModel, table=True):
    """An organisation the company bills."""

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    name: str = Field(max_length=200)
    number: str = Field(default="", max_length=50)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=50)
    address1: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=100)
    vat_number: str = Field(default="", max_length=50)
    # E-invoicing: ISO 3166 country code of the address, and the reference some buyers (e.g.
    # German public bodies, their Leitweg-ID) require on every invoice.
    country_code: str = Field(default="", max_length=2)
    buyer_reference: str = Field(default="", max_length=100)
    # How the client gets invoices and credit notes (downloads and e-mail attachments): "pdf"
    # (a plain PDF), "hybrid" (Factur-X: the XML inside the PDF) or "xml" (hybrid and UBL).
    einvoice_format: str = Field(default="hybrid", max_length=10)
    currency: str = Field(default="USD", max_length=3)
    # Empty means the company's locale.
    locale: str = Field(default="", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class ClientContact(SQLModel, table=True):
    """A person who signs in to the portal on behalf of a client."""

    __table_args__ = (UniqueConstraint("company_id", "email", name="uq_contact_company_email"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    # Stored lower-cased so look-ups are case-insensitive on every database.
    email: str = Field(max_length=254)
    # The person's own number (the client's is Client.phone), set on /client/profile.
    phone: str = Field(default="", max_length=50)
    password_hash: str | None = Field(default=None, max_length=255)
    is_primary: bool = Field(default=False)
    portal_enabled: bool = Field(default=True)
    last_login_at: datetime | None = None
    # Self-registered contacts: when they accepted the terms and confirmed their e-mail.
    terms_accepted_at: datetime | None = None
    email_confirmed_at: datetime | None = None
    # The portal language the contact chose (a code of core.i18n.SHIPPED_LANGUAGES); None
    # means their browser's language, else the company's (core.i18n.choose_language).
    language: str | None = Field(default=None, max_length=10)
    # The contact's own sign-in preference: e-mailed codes only, the password refused (as the
    # company's codes_only does for everyone).
    codes_only: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email


class EmailOptOut(SQLModel, table=True):
    """A kind of optional e-mail a contact does not want (services/identity/email_choices.py):
    switched off on /client/profile or by the e-mail's unsubscribe link. No row: they get it."""

    __tablename__ = "email_opt_out"
    __table_args__ = (UniqueConstraint("contact_id", "kind", name="uq_email_opt_out_contact_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    contact_id: int = Field(foreign_key="clientcontact.id", index=True)
    kind: str = Field(max_length=50)
    created_at: datetime = Field(default_factory=utcnow)
