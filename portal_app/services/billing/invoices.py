"""Invoices as a client sees them: every query scoped to the actor's client and company."""

from __future__ import annotations

import hashlib
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Date, and_, bindparam, exists, func, or_, true, update
from sqlalchemy import select as select_columns
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, col, select

from portal_app.core import routes
from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError
from portal_app.core.i18n import gettext as _
from portal_app.core.i18n import pgettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.core.paging import (
    COUNT_CAP,
    MAX_RECORD_ID,
    PAGE_SIZES,
    KeysetOrder,
    constant_in,
    contains_pattern,
    contains_text,
    fetch_keyset_page,
    parse_record_id,
)
from portal_app.core.pickling import positional_pickle
from portal_app.core.qr import qr_svg
from portal_app.models import (
    Client,
    Company,
    Document,
    DocumentThread,
    Invoice,
    InvoiceLine,
    PaymentAllocation,
)
from portal_app.models.invoice import PAYABLE_STATUSES, VISIBLE_STATUSES
from portal_app.models.statuses import InvoiceStatus
from portal_app.schemas.einvoice import TYPE_INVOICE
from portal_app.schemas.invoice import InvoicePage, InvoiceRowView, InvoiceView
from portal_app.services.billing import payment_qr
from portal_app.services.billing.client_stamp import (
    INVOICES_PART,
    PAYMENTS_PART,
    STAMP_COLUMNS,
    stamp_text,
)
from portal_app.services.billing.einvoice import einvoice_data
from portal_app.services.billing.invoice_payments import invoice_payments
from portal_app.services.billing.party_views import (
    LineColumns,
    client_party,
    company_party,
    line_views,
    logo_path,
    tax_rows,
)
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import audit, session_memo
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import PARAMETER_ACTOR as _PARAMETER_ACTOR
from portal_app.services.identity.scope import client_scope, get_client_record

FILTERS = ("all", "unpaid", "overdue", "paid")
SORTS = {
    "number": Invoice.number,
    "date": Invoice.issue_date,
    "due_date": Invoice.due_date,
    "amount": Invoice.amount_minor,
    "balance": Invoice.balance_minor,
}
# The sorts whose column may be empty (an invoice without a due date): listed after the rest.
NULLABLE_SORTS = frozenset({"due_date"})
MAX_SEARCH_LENGTH = 50
# What a list row shows: read as plain columns, not whole invoices, in the order `_row_view`
# unpacks them.
ROW_COLUMNS = [
    Invoice.id,
    Invoice.number,
    Invoice.status,
    Invoice.issue_date,
    Invoice.due_date,
    Invoice.amount_minor,
    Invoice.balance_minor,
    Invoice.currency,
]
ZIP_MAX_INVOICES = 100


def _status_labels() -> dict[str, str]:
    """Each status's badge (and "overdue") in the viewer's language. "Paid" or "Overdue" alone
    is also a list filter or a payment's state, which other languages word differently (agreeing
    with another noun), hence the "invoice status" context."""
    return {
        "sent": pgettext("invoice status", "Unpaid"),
        "partial": pgettext("invoice status", "Partly paid"),
        "paid": pgettext("invoice status", "Paid"),
        "cancelled": pgettext("invoice status", "Cancelled"),
        "reversed": pgettext("invoice status", "Reversed"),
        "overdue": pgettext("invoice status", "Overdue"),
    }


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What the list page asks for; every field is checked against a whitelist."""

    status: str = "all"
    search: str = ""
    sort: str = "date"
    descending: bool = True
    page: int = 1
    page_size: int = 25
    # Where the page starts (core.paging.fetch_keyset_page): the last row key of the page
    # before, the first row key of the page after, or the last page; else page by OFFSET.
    after: str = ""
    before: str = ""
    last: bool = False
    # The client's ledger stamp (services/payments/ledger_stamp.py) read in this database
    # session before the list, when the caller read it anyway (a page load, for its live
    # watch): every change to the client's invoices moves it, so the list's count is taken
    # once per stamp and kept (core.paging.LIST_COUNTS). "": counted on every call.
    ledger_stamp: str = ""

    def normalized(self) -> ListQuery:
        return ListQuery(
            status=self.status if self.status in FILTERS else "all",
            search=self.search.strip()[:MAX_SEARCH_LENGTH],
            sort=self.sort if self.sort in SORTS else "date",
            descending=bool(self.descending),
            page=max(1, min(int(self.page), 1_000_000)),
            page_size=self.page_size if self.page_size in PAGE_SIZES else 25,
            after=self.after if isinstance(self.after, str) else "",
            before=self.before if isinstance(self.before, str) else "",
            last=self.last is True,
            ledger_stamp=self.ledger_stamp if isinstance(self.ledger_stamp, str) else "",
        )

    def order(self) -> KeysetOrder:
        """The list order of this (normalized) query: its sort column, then the id."""
        return KeysetOrder(
            name=self.sort,
            column=SORTS[self.sort],
            id_column=Invoice.id,
            descending=self.descending,
            nullable=self.sort in NULLABLE_SORTS,
        )


# The portal's own rule beside the client scope: drafts never reach it.
_VISIBLE = constant_in(Invoice.status, VISIBLE_STATUSES)


def _scoped(actor: Actor):
    """Conditions every client-side invoice query carries: the client scope (an e-mailed-link
    session: only its linked invoice, see services/identity/scope.py), drafts never."""
    return and_(client_scope(Invoice, actor), _VISIBLE)


def _is_overdue(invoice: Invoice, today: date) -> bool:
    return _overdue(invoice.status, invoice.balance_minor, invoice.due_date, today)


def _overdue(status: str, balance_minor: int, due_date: date | None, today: date) -> bool:
    """Overdue: payable (sent or partly paid, a balance left) and past its due date."""
    return (
        status in PAYABLE_STATUSES
        and balance_minor > 0
        and due_date is not None
        and due_date < today
    )


def status_label(invoice: Invoice, today: date) -> str:
    """The status badge's text in the viewer's language (core.i18n's current language)."""
    key = "overdue" if _is_overdue(invoice, today) else invoice.status
    return _status_labels().get(key, invoice.status.title())


def _status_condition(status: str, today: date | BindParameter[date]):
    payable = and_(constant_in(Invoice.status, PAYABLE_STATUSES), Invoice.balance_minor > 0)
    if status == "unpaid":
        return payable
    if status == "overdue":
        return and_(payable, col(Invoice.due_date).is_not(None), Invoice.due_date < today)
    if status == "paid":
        return Invoice.status == InvoiceStatus.PAID
    return None


def list_condition(actor: Actor, query: ListQuery, today: date):
    """The WHERE clause of the list for `query` (its filter and search; not its paging): the
    client scope, drafts never, then the status filter and the number search. The list and its
    export (services/billing/export.py) both read invoices through it."""
    q = query.normalized()
    return _list_where(actor, q.status, today, q.search)


def _list_where(
    actor: Actor, status: str, today: date | BindParameter[date], search: str | BindParameter[str]
):
    """`list_condition` of (normalized) parts, values or bind parameters."""
    conditions = [_scoped(actor)]
    status_condition = _status_condition(status, today)
    if status_condition is not None:
        conditions.append(status_condition)
    if isinstance(search, BindParameter) or search:
        conditions.append(contains_text(Invoice.number, search))
    return and_(*conditions)


# The list's WHERE clause of a client's own session, per (filter, searched or not), built once
# with the actor's ids, the day and the search pattern as parameters (`_own_list`): the
# statements of its pages are then built once too (core.paging's `shape`).
_OWN_LIST_WHERE: dict[tuple[str, bool], object] = {}


def _own_list(actor: Actor, q: ListQuery, today: date):
    """(where, params, shape) of the list for a client's own session (not an e-mailed link's:
    None, its narrower scope is built per call)."""
    if actor.is_link_session:
        return None
    shape = ("invoices", q.status, bool(q.search))
    where = _OWN_LIST_WHERE.get(shape[1:])
    if where is None:
        where = _OWN_LIST_WHERE[shape[1:]] = _list_where(
            _PARAMETER_ACTOR,
            q.status,
            bindparam("list_today", type_=Date),
            bindparam("list_search") if q.search else "",
        )
    params = {"company_id": actor.company_id, "client_id": actor.client_id, "list_today": today}
    if q.search:
        params["list_search"] = contains_pattern(q.search)
    return where, params, shape


def _count_key(actor: Actor, q: ListQuery, today: date) -> tuple | None:
    """What the list's count depends on (see ListQuery.ledger_stamp): the client, the filter
    and search, the day (overdue moves with it) and the stamp; None to count every time (no
    stamp, or an e-mailed-link session, whose list is at most its one invoice)."""
    if not q.ledger_stamp or actor.is_link_session:
        return None
    return (
        "invoices",
        actor.company_id,
        actor.client_id,
        q.status,
        q.search,
        today,
        q.ledger_stamp,
    )


def list_invoices(
    session: Session, *, actor: Actor, query: ListQuery, today: date | None = None
) -> InvoicePage:
    """One page of the client's non-draft invoices, filtered, searched and sorted."""
    q = query.normalized()
    modules.require(session, actor=actor, module="invoices")
    today = today or utcnow().date()
    own = _own_list(actor, q, today)
    where, params, shape = own if own else (list_condition(actor, q, today), None, None)
    found = fetch_keyset_page(
        session,
        where=where,
        order=q.order(),
        columns=ROW_COLUMNS,
        page=q.page,
        page_size=q.page_size,
        cap=COUNT_CAP,
        after=q.after,
        before=q.before,
        last=q.last,
        count_key=_count_key(actor, q, today),
        params=params,
        shape=shape,
    )
    locale = client_locale(session, actor)
    labels = _status_labels()  # once per page, not per row
    return InvoicePage(
        rows=[_row_view(row, locale, today, labels) for row in found.rows],
        page=found.page,
        page_size=q.page_size,
        total=found.total,
        total_is_capped=found.total_is_capped,
        has_next=found.has_next,
        first_key=found.first_key,
        last_key=found.last_key,
    )


def invoice_row_view(
    invoice, locale: str, today: date, labels: dict[str, str] | None = None
) -> InvoiceRowView:
    """A list row from an invoice or a row of ROW_COLUMNS (same attribute names), as every
    invoice list shows it (the client's list, a recurring schedule's invoices); `labels` are
    `_status_labels()`, made once by a caller that formats many rows."""
    values = (
        invoice.id,
        invoice.number,
        invoice.status,
        invoice.issue_date,
        invoice.due_date,
        invoice.amount_minor,
        invoice.balance_minor,
        invoice.currency,
    )
    return _row_view(values, locale, today, labels if labels is not None else _status_labels())


def _row_view(
    row: Sequence[Any], locale: str, today: date, labels: dict[str, str]
) -> InvoiceRowView:
    """`invoice_row_view` of the values of ROW_COLUMNS, first and in their order: a list
    page's rows are unpacked as plain tuples and their views made positionally, without
    attribute look-ups or keywords (issue 25)."""
    # (A page's first query also carries its count: a value after these.)
    invoice_id, number, status, issue_date, due_date, amount, balance, currency, *_ = row
    overdue = _overdue(status, balance, due_date, today)
    label = labels.get("overdue" if overdue else status)
    return InvoiceRowView(
        invoice_id,
        number,
        status,
        status.title() if label is None else label,
        format_day(issue_date, locale),
        format_day(due_date, locale),
        format_money(amount, currency, locale),
        format_money(balance, currency, locale),
        overdue,
        status in PAYABLE_STATUSES and balance > 0,
    )


def get_client_invoice(session: Session, *, actor: Actor, invoice_id: int) -> Invoice:
    """The actor's visible invoice with this id; NotFoundError for anything else."""
    return get_client_record(
        session, Invoice, invoice_id, actor=actor, noun="invoice", where=_VISIBLE
    )


def parse_invoice_id(raw: object) -> int:
    """An invoice id from a URL or the browser; NotFoundError when it is not a plain number."""
    return parse_record_id(raw, "invoice")


# The invoice with both parties in one statement, built once: the scope helper's own
# condition with the actor's ids as parameters (a stand-in actor whose ids are bind
# parameters), so each view only binds values to SQL the engine compiled once; building the
# statement anew cost more than running it (issue 25). An e-mailed-link session's narrower
# scope is built per call (`_invoice_with_parties`, `_page_row`). The PDF reads this one
# (`invoice_view`); the page its rows (`_OWN_INVOICE_PAGE`).
_WITH_PARTIES = (
    select(Invoice, Company, Client)
    .join(Company, col(Company.id) == Invoice.company_id)
    .join(Client, col(Client.id) == Invoice.client_id)
)
_OWN_INVOICE_WITH_PARTIES = _WITH_PARTIES.where(
    _scoped(_PARAMETER_ACTOR), col(Invoice.id) == bindparam("invoice_id")
)
# The invoice's page reads its statement as plain rows, each part as a read-only stand-in with
# the model's attribute names (`_PageInvoice`, `_PageCompany`, `_PageClient`) that the view's
# code reads as it reads the models: the ORM's entities (three objects built and tracked per
# view, SQLModel's __setattr__ per column) cost more than the statement itself, 0.44-0.57 ms
# against 0.25-0.37 ms a view (issue 25). The PDF (`invoice_view`) keeps the models. Only the
# columns the page reads (the parties' blocks, the payment QR codes, terms, footer and
# colour; `_page_view`): every column of a result costs the driver on each view, and the
# page never needs the company's settings. A column left out fails loudly (AttributeError),
# which the page's tests would show.
PAGE_INVOICE_COLUMNS = (
    "id",
    "company_id",
    "client_id",
    "number",
    "status",
    "currency",
    "issue_date",
    "due_date",
    "po_number",
    "subtotal_minor",
    "tax_minor",
    "amount_minor",
    "paid_to_date_minor",
    "balance_minor",
    "partial_minor",
    "partial_due_date",
    "terms",
    "public_notes",
    "footer",
)
PAGE_COMPANY_COLUMNS = (
    "name",
    "email",
    "address1",
    "address2",
    "city",
    "postal_code",
    "country",
    "vat_number",
    "legal_name",
    "country_code",
    "iban",
    "bic",
    "primary_color",
    "locale",
    "invoice_terms",
    "invoice_footer",
)
PAGE_CLIENT_COLUMNS = (
    "company_id",
    "name",
    "email",
    "address1",
    "city",
    "postal_code",
    "country",
    "vat_number",
    "country_code",
    "einvoice_format",
    "locale",
)
_PageInvoice = namedtuple("_PageInvoice", PAGE_INVOICE_COLUMNS)  # type: ignore[misc]
_PageCompany = namedtuple("_PageCompany", PAGE_COMPANY_COLUMNS)  # type: ignore[misc]
_PageClient = namedtuple("_PageClient", PAGE_CLIENT_COLUMNS)  # type: ignore[misc]
_INVOICE_TABLE = Invoice.__table__  # type: ignore[attr-defined]
_COMPANY_TABLE = Company.__table__  # type: ignore[attr-defined]
_CLIENT_TABLE = Client.__table__  # type: ignore[attr-defined]
_PAGE_COLUMNS = (
    *(_INVOICE_TABLE.c[name] for name in PAGE_INVOICE_COLUMNS),
    *(_COMPANY_TABLE.c[name] for name in PAGE_COMPANY_COLUMNS),
    *(_CLIENT_TABLE.c[name] for name in PAGE_CLIENT_COLUMNS),
)
_COMPANY_AT = len(PAGE_INVOICE_COLUMNS)
_CLIENT_AT = _COMPANY_AT + len(PAGE_COMPANY_COLUMNS)
_EXTRAS_AT = _CLIENT_AT + len(PAGE_CLIENT_COLUMNS)


def _page_statement(where):
    """The page's columns of the invoice and its parties where `where` holds."""
    return (
        select_columns(*_PAGE_COLUMNS)
        .join(_COMPANY_TABLE, _COMPANY_TABLE.c.id == _INVOICE_TABLE.c.company_id)
        .join(_CLIENT_TABLE, _CLIENT_TABLE.c.id == _INVOICE_TABLE.c.client_id)
        .where(where)
    )


_OWN_INVOICE_PAGE = _page_statement(
    and_(_scoped(_PARAMETER_ACTOR), col(Invoice.id) == bindparam("invoice_id"))
)


def _with_stamp(statement):
    """`statement` (the invoice with its parties) also reading the client's ledger stamp
    (client_stamp.py): one row, one round trip, one snapshot."""
    return (
        statement.add_columns(*STAMP_COLUMNS)
        .join(INVOICES_PART, true())
        .join(PAYMENTS_PART, true())
    )


# What else the invoice's page shows, told by the invoice's own statement (one snapshot):
# whether anything was applied to it, whether it has a file its client may see, and its
# question thread's id, kind and status (NULLs: no thread yet). Most open invoices have none
# of these, and then the page needs no statement for them (pages/client/invoice_detail.py).
# The two flags are only hints: true, their own scoped statements (invoice_payments,
# documents.invoice_documents) still decide what is shown.
_HAS_ALLOCATIONS = (
    exists().where(col(PaymentAllocation.invoice_id) == Invoice.id).label("has_allocations")
)
_HAS_FILES = (
    exists()
    .where(col(Document.invoice_id) == Invoice.id, col(Document.visible_to_client).is_(True))
    .label("has_files")
)
_THREAD_COLUMNS = (col(DocumentThread.id), col(DocumentThread.kind), col(DocumentThread.status))


def _with_page_extras(statement):
    """`statement` (the invoice, its parties and the stamp) also reading `_HAS_ALLOCATIONS`,
    `_HAS_FILES` and the invoice's thread (`_THREAD_COLUMNS`, by an outer join: at most one
    thread an invoice)."""
    return statement.add_columns(_HAS_ALLOCATIONS, _HAS_FILES, *_THREAD_COLUMNS).outerjoin(
        DocumentThread,
        and_(
            col(DocumentThread.invoice_id) == Invoice.id,
            col(DocumentThread.company_id) == Invoice.company_id,
        ),
    )


_OWN_INVOICE_PAGE_STAMPED = _with_page_extras(_with_stamp(_OWN_INVOICE_PAGE))
# The lines as plain columns (they are only formatted), built once.
_LINE_TABLE = InvoiceLine.__table__  # type: ignore[attr-defined]
_LINES = (
    select_columns(
        _LINE_TABLE.c.description,
        _LINE_TABLE.c.quantity_milli,
        _LINE_TABLE.c.unit_price_minor,
        _LINE_TABLE.c.tax_name,
        _LINE_TABLE.c.tax_rate_bp,
        _LINE_TABLE.c.net_minor,
        _LINE_TABLE.c.tax_minor,
    )
    .where(_LINE_TABLE.c.invoice_id == bindparam("invoice_id"))
    .order_by(_LINE_TABLE.c.position, _LINE_TABLE.c.id)
)


def _checked_id(invoice_id: object) -> int:
    """`invoice_id` when it can be an invoice's id; NotFoundError otherwise."""
    if (
        not isinstance(invoice_id, int)
        or isinstance(invoice_id, bool)
        or not 0 < invoice_id <= MAX_RECORD_ID
    ):
        raise NotFoundError("invoice")
    return invoice_id


def _invoice_with_parties(
    session: Session, actor: Actor, invoice_id: object
) -> tuple[Invoice, Company, Client]:
    """`get_client_invoice` with the invoice's company and client (models), in one statement."""
    invoice_id = _checked_id(invoice_id)
    if actor.is_link_session:
        statement = _WITH_PARTIES.where(_scoped(actor), col(Invoice.id) == invoice_id)
        found = session.exec(statement).first()
    else:
        params = {"company_id": actor.company_id, "client_id": actor.client_id}
        found = session.exec(
            _OWN_INVOICE_WITH_PARTIES, params={**params, "invoice_id": invoice_id}
        ).first()
    if found is None:
        raise NotFoundError("invoice")
    return found[0], found[1], found[2]


def _page_row(
    session: Session, actor: Actor, invoice_id: object, *, stamped: bool
) -> tuple[Invoice, Company, Client, tuple]:
    """What the invoice's page reads of the actor's visible invoice and its parties: the
    read-only stand-ins (`_PageInvoice` and the parties', typed as the models whose attributes
    they carry), and with `stamped` the row's rest: the client's ledger stamp's four values
    (client_stamp.STAMP_COLUMNS), then `_with_page_extras`'s. NotFoundError for anything
    else."""
    invoice_id = _checked_id(invoice_id)
    # The client scope's parameters, which the stamp's parts bind too (same names, same ids).
    params = {"company_id": actor.company_id, "client_id": actor.client_id}
    if actor.is_link_session:
        statement = _page_statement(and_(_scoped(actor), col(Invoice.id) == invoice_id))
        if stamped:
            statement = _with_page_extras(_with_stamp(statement))
    else:
        statement = _OWN_INVOICE_PAGE_STAMPED if stamped else _OWN_INVOICE_PAGE
        params["invoice_id"] = invoice_id
    # On the connection: rows, no ORM objects (the stand-ins' comment above).
    found = session.connection().execute(statement, params).first()
    if found is None:
        raise NotFoundError("invoice")
    return (
        cast("Invoice", _PageInvoice._make(found[:_COMPANY_AT])),
        cast("Company", _PageCompany._make(found[_COMPANY_AT:_CLIENT_AT])),
        cast("Client", _PageClient._make(found[_CLIENT_AT:_EXTRAS_AT])),
        tuple(found[_EXTRAS_AT:]),
    )


def invoice_view(
    session: Session, *, actor: Actor, invoice_id: int, today: date | None = None
) -> InvoiceView:
    """The full invoice for the detail page and the PDF."""
    modules.require(session, actor=actor, module="invoices")
    invoice, company, client = _invoice_with_parties(session, actor, invoice_id)
    locale = client_locale(session, actor)
    view = build_invoice_view(
        session, invoice, locale=locale, today=today, parties=(company, client)
    )
    return replace(
        with_pay_link(session, actor=actor, invoice=invoice, view=view),
        payments=invoice_payments(session, actor=actor, invoice=invoice, locale=locale),
    )


@dataclass(frozen=True, slots=True)
class OpenedInvoice:
    """What the invoice's page reads in its statement: the view, the client's ledger stamp,
    the invoice (read in the actor's scope; a read-only stand-in, `_page_row`), whether it
    may have files the client sees (False: it has none) and its question thread (None: none
    yet)."""

    view: InvoiceView
    stamp: str
    invoice: Invoice
    may_have_files: bool
    thread: DocumentThread | None


def open_invoice(session: Session, *, actor: Actor, invoice_id: int) -> InvoiceView:
    """`invoice_page_view`, noting that the client opened the invoice (record_view)."""
    return open_invoice_with_stamp(session, actor=actor, invoice_id=invoice_id).view


def open_invoice_with_stamp(session: Session, *, actor: Actor, invoice_id: int) -> OpenedInvoice:
    """`open_invoice` and the client's ledger stamp (services/payments/ledger_stamp.py), the
    stamp read by the invoice's own statement: one round trip fewer than reading it first,
    and the same starting point for the page's live watch (the stamp and the invoice come
    from one snapshot; the lines and payments, read after, are at least as new). The same
    statement tells whether the invoice has files and a thread (`OpenedInvoice`)."""
    modules.require(session, actor=actor, module="invoices")
    invoice, company, client, parts = _page_row(session, actor, invoice_id, stamped=True)
    stamp, (paid, has_files, thread_id, kind, status) = parts[:4], parts[4:]
    view = _page_view(session, actor, invoice, company, client, may_have_payments=bool(paid))
    record_view(session, actor=actor, invoice=invoice)
    thread = None
    if thread_id is not None:
        # Not in the session: only what the thread's view reads of it (threads.client_thread_of).
        thread = DocumentThread(
            id=thread_id,
            company_id=invoice.company_id,
            client_id=invoice.client_id,
            invoice_id=invoice.id,
            kind=kind,
            status=status,
        )
    return OpenedInvoice(view, stamp_text(stamp), invoice, bool(has_files), thread)


def invoice_page_view(session: Session, *, actor: Actor, invoice_id: int) -> InvoiceView:
    """The invoice for its page: `invoice_view` whose QR codes are image URLs
    (`invoice_qr_svg`), so a view neither draws them nor makes the pay link's key; only the
    browser that shows a code asks for it, once (issue 25)."""
    modules.require(session, actor=actor, module="invoices")
    invoice, company, client, _ = _page_row(session, actor, invoice_id, stamped=False)
    return _page_view(session, actor, invoice, company, client)


def _page_view(
    session: Session,
    actor: Actor,
    invoice: Invoice,
    company: Company,
    client: Client,
    *,
    may_have_payments: bool = True,
) -> InvoiceView:
    # `may_have_payments` False: nothing was ever applied to the invoice (_HAS_ALLOCATIONS).
    locale = client_locale(session, actor)
    # Without what only the PDF uses (the page drops it: pages/client/invoice_detail.py).
    view = build_invoice_view(
        session, invoice, locale=locale, parties=(company, client), for_pdf=False
    )
    pay_src = ""
    if payment_qr.offers_pay_link(actor, invoice):
        # The key behind the link is the same until it is renewed, and an older one still
        # opens the invoice: the balance only tells a browser that the page changed.
        pay_src = routes.invoice_qr_url(invoice.id, "pay", str(invoice.balance_minor))
    bank_src = ""
    if view.payment_qr:
        digest = hashlib.sha256(view.payment_qr.encode()).hexdigest()[:16]
        bank_src = routes.invoice_qr_url(invoice.id, "bank", digest)
    return replace(
        view,
        pay_link_qr_src=pay_src,
        payment_qr_src=bank_src,
        payments=invoice_payments(session, actor=actor, invoice=invoice, locale=locale)
        if may_have_payments
        else [],
    )


QR_KINDS = ("pay", "bank")


def invoice_qr_svg(session: Session, *, actor: Actor, invoice_id: int, kind: str) -> str:
    """SVG of the invoice page's QR code: "pay" opens the invoice on a phone through a key for
    the actor's contact (payment_qr.pay_link), "bank" is the EPC transfer of the balance.
    NotFoundError for another client's invoice, an unknown kind or a code that does not apply."""
    if kind not in QR_KINDS:
        raise NotFoundError("QR code")
    modules.require(session, actor=actor, module="invoices")
    invoice = get_client_invoice(session, actor=actor, invoice_id=invoice_id)
    if kind == "pay":
        payload = payment_qr.pay_link(session, actor=actor, invoice=invoice)
    else:
        payload = payment_qr.epc_payload(session.get(Company, invoice.company_id), invoice)
    if not payload:
        raise NotFoundError("QR code")
    return qr_svg(payload)


def with_pay_link(
    session: Session, *, actor: Actor, invoice: Invoice, view: InvoiceView
) -> InvoiceView:
    """`view` with the QR code that opens the invoice to pay online, keyed for the actor's
    contact (payment_qr.pay_link); the view of an invoice the actor may see."""
    return replace(view, pay_link=payment_qr.pay_link(session, actor=actor, invoice=invoice))


def build_invoice_view(
    session: Session,
    invoice: Invoice,
    *,
    locale: str,
    today: date | None = None,
    parties: tuple[Company, Client] | None = None,
    for_pdf: bool = True,
) -> InvoiceView:
    """Format an invoice (already authorised by the caller) into its view object. `parties`:
    its company and client when the caller read them with it; `for_pdf=False` leaves out
    what only the PDF uses (the e-invoice data and the logo's path)."""
    today = today or utcnow().date()
    if parties is None:
        # Both parties in one statement: the invoice names them, so no scope is needed here.
        parties = session.exec(
            select(Company, Client)
            .join(Client, col(Client.company_id) == Company.id)
            .where(col(Company.id) == invoice.company_id, col(Client.id) == invoice.client_id)
        ).one()
    company, client = parties
    # Rows of exactly the columns the views read (LineColumns), not ORM objects.
    lines = cast("Sequence[LineColumns]", session.execute(_LINES, {"invoice_id": invoice.id}).all())

    def money(minor: int) -> str:
        return format_money(minor, invoice.currency, locale)

    partial_open = invoice.partial_minor > 0 and invoice.paid_to_date_minor < invoice.partial_minor
    epc = payment_qr.epc_payload(company, invoice)
    swiss_qr, swiss_qr_svg = payment_qr.swiss_qr_bill(company, client, invoice)
    return InvoiceView(
        id=invoice.id,
        number=invoice.number,
        status=invoice.status,
        status_label=status_label(invoice, today),
        currency=invoice.currency,
        issue_date=format_day(invoice.issue_date, locale),
        due_date=format_day(invoice.due_date, locale),
        po_number=invoice.po_number,
        company=company_party(company),
        client=client_party(client),
        lines=line_views(lines, money),
        taxes=tax_rows(lines, money),
        subtotal=money(invoice.subtotal_minor),
        tax_total=money(invoice.tax_minor),
        total=money(invoice.amount_minor),
        paid_to_date=money(invoice.paid_to_date_minor),
        balance=money(invoice.balance_minor),
        partial=money(invoice.partial_minor - invoice.paid_to_date_minor) if partial_open else "",
        partial_due_date=format_day(invoice.partial_due_date, locale) if partial_open else "",
        terms=invoice.terms or company.invoice_terms,
        public_notes=invoice.public_notes,
        footer=invoice.footer or company.invoice_footer,
        is_overdue=_is_overdue(invoice, today),
        is_payable=invoice.status in PAYABLE_STATUSES and invoice.balance_minor > 0,
        logo_path=logo_path(company) if for_pdf else "",
        primary_color=company.primary_color,
        einvoice=einvoice_data(
            company,
            client,
            invoice,
            lines,
            type_code=TYPE_INVOICE,
            due_date=invoice.due_date,
            order_reference=invoice.po_number,
        )
        if for_pdf
        else None,
        payment_qr=epc,
        swiss_qr=swiss_qr,
        swiss_qr_svg=swiss_qr_svg,
        einvoice_format=client.einvoice_format,
    )


# The table, not the class: an ORM-enabled UPDATE costs as much again in SQLAlchemy; built
# once, like the page's reads.
_MARK_VIEWED = (
    update(_INVOICE_TABLE)
    .where(_INVOICE_TABLE.c.id == bindparam("invoice_id"))
    .values(last_viewed_at=bindparam("viewed_at", type_=_INVOICE_TABLE.c.last_viewed_at.type))
)


# PostgreSQL: the UPDATE in a data-modifying CTE of the audit INSERT, one statement and one
# round trip, atomic on its own (the invoice page's load runs in autocommit there:
# state/read_scope.py). SQLite has no DML in a WITH: two statements in its transaction.
_MARK_VIEWED_AND_NOTE = audit.INSERT_CONTACT_ACTION.add_cte(_MARK_VIEWED.cte("viewed"))


def record_view(session: Session, *, actor: Actor, invoice: Invoice) -> None:
    """Note that the client opened an invoice (never for staff preview): its `last_viewed_at`
    and an `invoice_viewed` audit row, both or neither."""
    if actor.is_preview:
        return
    # Statements of their own rather than the ORM's flush of a changed object: every view
    # pays for this (issue 25). The loaded invoice keeps the time without turning dirty.
    now = utcnow()
    viewed = {"invoice_id": invoice.id, "viewed_at": now}
    if session.get_bind().dialect.name == "postgresql":
        params = audit.contact_action_params(actor, "invoice", invoice.id, "invoice_viewed")
        session.execute(_MARK_VIEWED_AND_NOTE, {**params, **viewed})
    else:
        session.execute(_MARK_VIEWED, viewed)
        audit.insert_contact_action(session, actor, "invoice", invoice.id, "invoice_viewed")
    # The session's Invoice, if it holds one (the invoice's page reads a stand-in instead).
    held = session_memo.loaded(session, Invoice, cast("int", invoice.id))
    if held is not None:
        set_committed_value(held, "last_viewed_at", now)


def invoices_for_download(
    session: Session, *, actor: Actor, invoice_ids: list[int]
) -> list[Invoice]:
    """The actor's invoices among `invoice_ids`; any id that is not theirs makes it not found."""
    unique_ids = sorted(set(invoice_ids))
    if not unique_ids or len(unique_ids) > ZIP_MAX_INVOICES:
        raise NotFoundError("invoice")
    modules.require(session, actor=actor, module="invoices")
    found = session.exec(
        select(Invoice)
        .where(_scoped(actor), col(Invoice.id).in_(unique_ids))
        .order_by(col(Invoice.id))
    ).all()
    if len(found) != len(unique_ids):
        raise NotFoundError("invoice")
    return list(found)


@positional_pickle
@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    currency: str
    open_balance: str
    overdue: str
    paid_to_date: str
    has_overdue: bool


@positional_pickle
@dataclass(frozen=True, slots=True)
class AttentionItem:
    id: int
    number: str
    reason: str  # "Overdue" or "Due soon", in the viewer's language (core.i18n)
    due_date: str
    balance: str
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class DashboardView:
    totals: list[CurrencyTotals]
    attention: list[AttentionItem]


def dashboard(session: Session, *, actor: Actor, today: date | None = None) -> DashboardView:
    """Open balance, overdue amount and paid to date per currency, and what needs attention."""
    today = today or utcnow().date()
    locale = client_locale(session, actor)
    company = session.get(Company, actor.company_id)
    payable = and_(col(Invoice.status).in_(PAYABLE_STATUSES), Invoice.balance_minor > 0)
    overdue = and_(payable, col(Invoice.due_date).is_not(None), Invoice.due_date < today)
    sums = session.exec(
        select(
            Invoice.currency,
            func.coalesce(func.sum(Invoice.balance_minor).filter(payable), 0),
            func.coalesce(func.sum(Invoice.balance_minor).filter(overdue), 0),
            func.coalesce(func.sum(Invoice.paid_to_date_minor), 0),
        )
        .where(_scoped(actor))
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    ).all()
    totals = [
        CurrencyTotals(
            currency=currency,
            open_balance=format_money(int(open_), currency, locale),
            overdue=format_money(int(late), currency, locale),
            paid_to_date=format_money(int(paid), currency, locale),
            has_overdue=int(late) > 0,
        )
        for currency, open_, late, paid in sums
    ]
    soon = today + timedelta(days=company.due_soon_days if company else 7)
    needing = session.exec(
        select(Invoice)
        .where(
            _scoped(actor),
            payable,
            col(Invoice.due_date).is_not(None),
            or_(Invoice.due_date < today, Invoice.due_date <= soon),
        )
        .order_by(col(Invoice.due_date), col(Invoice.id))
        .limit(10)
    ).all()
    attention = [
        AttentionItem(
            id=inv.id,
            number=inv.number,
            reason=_("Overdue") if inv.due_date < today else _("Due soon"),
            due_date=format_day(inv.due_date, locale),
            balance=format_money(inv.balance_minor, inv.currency, locale),
            overdue=inv.due_date < today,
        )
        for inv in needing
    ]
    return DashboardView(totals=totals, attention=attention)
