"""Views of the staff console sent to the UI: formatted strings, never Decimal."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_app.core.pickling import positional_pickle


@positional_pickle
@dataclass(frozen=True, slots=True)
class ClientRowView:
    """One row of the staff clients list."""

    id: int
    name: str
    number: str
    email: str
    contacts: int
    # "$1,200.00 · €80.00": the open invoice balance per currency, "" when nothing is owed.
    balances: str


@dataclass(frozen=True, slots=True)
class ClientPage:
    """One page of the clients list."""

    rows: list[ClientRowView]
    page: int
    page_size: int
    total: int
    total_is_capped: bool
    has_next: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class ClientForm:
    """A client's editable fields as typed (strings; checked by the service)."""

    name: str = ""
    number: str = ""
    email: str = ""
    phone: str = ""
    address1: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""
    vat_number: str = ""
    country_code: str = ""
    buyer_reference: str = ""
    currency: str = ""
    locale: str = ""


@dataclass(frozen=True, slots=True)
class ContactForm:
    """A contact's editable fields as typed."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    is_primary: bool = False
    portal_enabled: bool = True


@positional_pickle
@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact on the staff client page."""

    id: int
    name: str
    first_name: str
    last_name: str
    email: str
    is_primary: bool
    portal_enabled: bool
    has_password: bool
    last_login: str
    email_confirmed: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class RecordRowView:
    """An invoice, quote, credit, payment, document or subscription in a client page's tab."""

    id: int
    number: str
    date: str
    status: str
    amount: str
    balance: str = ""
    extra: str = ""


@positional_pickle
@dataclass(frozen=True, slots=True)
class AuditRowView:
    """One audit event, readable."""

    id: int
    when: str
    who: str
    action: str
    record: str
    client: str
    ip: str
    details: str
    # One sentence saying it all ("Olive Owner refunded Payment PAY-3: $12.00.").
    sentence: str = ""
    kind: str = ""


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of the audit log."""

    rows: list[AuditRowView]
    page: int
    page_size: int
    total: int
    total_is_capped: bool
    has_next: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class ClientDetailView:
    """Everything the staff client page shows."""

    id: int
    form: ClientForm
    balances: str
    contacts: list[ContactView] = field(default_factory=list)
    invoices: list[RecordRowView] = field(default_factory=list)
    quotes: list[RecordRowView] = field(default_factory=list)
    credits: list[RecordRowView] = field(default_factory=list)
    payments: list[RecordRowView] = field(default_factory=list)
    documents: list[RecordRowView] = field(default_factory=list)
    subscriptions: list[RecordRowView] = field(default_factory=list)
    activity: list[AuditRowView] = field(default_factory=list)
