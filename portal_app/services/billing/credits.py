"""Credits as a client sees them: scoped to the actor's client and company; drafts never shown."""

from __future__ import annotations

from sqlalchemy import and_
from sqlmodel import Session, col, select

from portal_app.core.i18n import pgettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.core.paging import fetch_page, parse_record_id, sort_order
from portal_app.models import (
    Client,
    Company,
    Credit,
    CreditLine,
    Invoice,
    Payment,
    PaymentAllocation,
)
from portal_app.models.credit import VISIBLE_CREDIT_STATUSES
from portal_app.models.invoice import VISIBLE_STATUSES
from portal_app.schemas.credit import CreditPage, CreditRowView, CreditUseView, CreditView
from portal_app.schemas.einvoice import TYPE_CREDIT_NOTE
from portal_app.services.billing.einvoice import einvoice_data
from portal_app.services.billing.invoices import COUNT_CAP, PAGE_SIZES
from portal_app.services.billing.party_views import (
    client_party,
    company_party,
    line_views,
    logo_path,
    tax_rows,
)
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope, get_client_record


def _status_labels() -> dict[str, str]:
    """The statuses as a client reads them, in the language of the current event (a credit
    note's own words: "Cancelled" here is not the invoice status of the same name)."""
    return {
        "sent": pgettext("credit status", "Available"),
        "partial": pgettext("credit status", "Partly used"),
        "applied": pgettext("credit status", "Used"),
        "cancelled": pgettext("credit status", "Cancelled"),
    }


MAX_PAGE = 1_000_000
# Newest first, the id breaking ties so pages never overlap; the export keeps the same order.
LIST_ORDER = sort_order(Credit.issue_date, Credit.id, descending=True)


def status_label(status: str) -> str:
    """The credit status `status` in words (see _status_labels)."""
    return _status_labels().get(status, status.capitalize())


# The portal's own rule beside the client scope: drafts never reach it.
_VISIBLE = col(Credit.status).in_(VISIBLE_CREDIT_STATUSES)


def _scoped(actor: Actor):
    """Conditions every client-side credit query carries: the client scope, drafts never."""
    return and_(client_scope(Credit, actor), _VISIBLE)


def list_condition(actor: Actor):
    """The WHERE clause of the credits list (it has no filter beyond the scope): the list and
    its export (services/billing/export.py) both read credits through it."""
    return _scoped(actor)


def parse_credit_id(raw: object) -> int:
    """A credit id from a URL or the browser; NotFoundError when it is not a plain number."""
    return parse_record_id(raw, "credit")


def list_credits(
    session: Session, *, actor: Actor, page: int = 1, page_size: int = 25
) -> CreditPage:
    """One page of the client's non-draft credits, newest first."""
    modules.require(session, actor=actor, module="credits")
    page = max(1, min(int(page), MAX_PAGE))
    page_size = page_size if page_size in PAGE_SIZES else 25
    found = fetch_page(
        session,
        Credit,
        where=list_condition(actor),
        order=LIST_ORDER,
        page=page,
        page_size=page_size,
        cap=COUNT_CAP,
    )
    locale = client_locale(session, actor)
    return CreditPage(
        rows=[
            CreditRowView(
                id=credit.id,
                number=credit.number,
                date=format_day(credit.issue_date, locale),
                amount=format_money(credit.amount_minor, credit.currency, locale),
                balance=format_money(credit.balance_minor, credit.currency, locale),
                status=credit.status,
                status_label=status_label(credit.status),
            )
            for credit in found.rows
        ],
        page=page,
        page_size=page_size,
        total=found.total,
        total_is_capped=found.total_is_capped,
        has_next=found.has_next,
    )


def get_client_credit(session: Session, *, actor: Actor, credit_id: int) -> Credit:
    """The actor's visible credit with this id; NotFoundError for anything else."""
    return get_client_record(session, Credit, credit_id, actor=actor, noun="credit", where=_VISIBLE)


def credit_view(session: Session, *, actor: Actor, credit_id: int) -> CreditView:
    """The full credit for the detail page and the PDF."""
    modules.require(session, actor=actor, module="credits")
    credit = get_client_credit(session, actor=actor, credit_id=credit_id)
    return build_credit_view(session, credit, actor=actor)


def build_credit_view(session: Session, credit: Credit, *, actor: Actor) -> CreditView:
    """Format a credit (already authorised by the caller) into its view object, as `actor`
    (a contact of the credit's client) reads it: their locale, their links."""
    locale = client_locale(session, actor)
    company = session.get(Company, credit.company_id)
    client = session.get(Client, credit.client_id)

    def money(minor: int) -> str:
        return format_money(minor, credit.currency, locale)

    lines = session.exec(
        select(CreditLine)
        .where(CreditLine.credit_id == credit.id)
        .order_by(col(CreditLine.position), col(CreditLine.id))
    ).all()

    uses = session.exec(
        select(PaymentAllocation, Invoice, Payment)
        .join(Invoice, col(Invoice.id) == PaymentAllocation.invoice_id)
        .join(Payment, col(Payment.id) == PaymentAllocation.payment_id, isouter=True)
        .where(
            PaymentAllocation.credit_id == credit.id,
            # Every invoice of the client the credit paid, whichever session shows it.
            client_scope(Invoice, actor, whole_client=True),
        )
        .order_by(col(PaymentAllocation.created_at), col(PaymentAllocation.id))
    ).all()
    links = (
        modules.is_enabled(session, company_id=actor.company_id, module="invoices"),
        modules.is_enabled(session, company_id=actor.company_id, module="payments"),
    )
    return CreditView(
        id=credit.id,
        number=credit.number,
        status=credit.status,
        status_label=status_label(credit.status),
        currency=credit.currency,
        issue_date=format_day(credit.issue_date, locale),
        company=company_party(company),
        client=client_party(client),
        lines=line_views(lines, money),
        taxes=tax_rows(lines, money),
        subtotal=money(credit.subtotal_minor),
        tax_total=money(credit.tax_minor),
        total=money(credit.amount_minor),
        used=money(credit.amount_minor - credit.balance_minor),
        balance=money(credit.balance_minor),
        uses=[_use_view(actor, links, a, inv, pay, money, locale) for a, inv, pay in uses],
        public_notes=credit.public_notes,
        footer=company.invoice_footer,
        logo_path=logo_path(company),
        primary_color=company.primary_color,
        einvoice=einvoice_data(company, client, credit, lines, type_code=TYPE_CREDIT_NOTE),
    )


def _use_view(
    actor: Actor,
    links: tuple[bool, bool],
    allocation: PaymentAllocation,
    invoice: Invoice,
    payment: Payment | None,
    money,
    locale: str,
) -> CreditUseView:
    """One application of the credit; only a payment of this client is named and linked.

    `links`: whether the invoices and payments modules are on (else nothing links there).
    """
    invoices_on, payments_on = links
    own = (
        payment is not None
        and payment.client_id == actor.client_id
        and payment.company_id == actor.company_id
    )
    when = (payment.paid_at or payment.created_at) if own else allocation.created_at
    return CreditUseView(
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        amount=money(allocation.amount_minor - allocation.refunded_minor),
        date=format_day(when, locale),
        payment_id=payment.id if own and payments_on else 0,
        payment_number=payment.number if own else "",
        has_invoice_link=invoices_on and invoice.status in VISIBLE_STATUSES,
    )
