"""Payments as a client sees them: every query scoped to the actor's client and company.

Amounts on a payment (see models.payment):
- `amount_minor` is money received (card, bank transfer); a checkout paid wholly with credit
  has a payment of 0 whose allocations carry the credit used (`credit_id` set).
- `applied_minor` is the part of that money on invoices now (card allocations net of refunds).
- `refunded_minor` is what went back; allocations record how much of it came off each invoice.
- unapplied = amount - applied - refunded, only once money arrived (`ledger.unapplied_minor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from portal_app.core.card_labels import shown_method_label
from portal_app.core.db import id_of
from portal_app.core.i18n import gettext, pgettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.core.paging import KeysetOrder, fetch_keyset_page, parse_record_id
from portal_app.models import Client, Company, Credit, Invoice, Payment, PaymentAllocation
from portal_app.models.credit import VISIBLE_CREDIT_STATUSES
from portal_app.models.invoice import VISIBLE_STATUSES
from portal_app.models.statuses import PaymentStatus
from portal_app.schemas.payment import (
    PaymentCreditView,
    PaymentInvoiceView,
    PaymentPage,
    PaymentRowView,
    PaymentView,
)
from portal_app.services.billing.invoices import COUNT_CAP, PAGE_SIZES
from portal_app.services.billing.party_views import client_party, company_party, logo_path
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope, get_client_record
from portal_app.services.payments.ledger import unapplied_minor


def _status_labels() -> dict[str, str]:
    """The statuses as a client reads them, in the language of the current event."""
    return {
        "pending": pgettext("payment status", "Pending"),
        "completed": pgettext("payment status", "Completed"),
        "failed": pgettext("payment status", "Failed"),
        "refunded": pgettext("payment status", "Refunded"),
        "partly_refunded": pgettext("payment status", "Partly refunded"),
    }


MAX_PAGE = 1_000_000
# Newest first, the id breaking ties; the export keeps the same order.
KEYSET_ORDER = KeysetOrder(
    name="created", column=Payment.created_at, id_column=Payment.id, descending=True
)
LIST_ORDER = tuple(KEYSET_ORDER.order_by())
# What a list row shows: read as plain columns (core.paging reads them through Core), not
# whole payments; what ledger.unapplied_minor reads is among them.
ROW_COLUMNS = [
    Payment.id,
    Payment.number,
    Payment.status,
    Payment.currency,
    Payment.amount_minor,
    Payment.applied_minor,
    Payment.refunded_minor,
    Payment.method,
    Payment.method_label,
    Payment.paid_at,
    Payment.created_at,
]


def status_label(status: str) -> str:
    """The payment status `status` in words (see _status_labels)."""
    return _status_labels().get(status, status.replace("_", " ").capitalize())


def _scoped(actor: Actor):
    """Conditions every client-side payment query carries (an e-mailed-link session: only
    payments on its linked invoice, see services/identity/scope.py)."""
    return client_scope(Payment, actor)


def list_condition(actor: Actor):
    """The WHERE clause of the payments list (it has no filter beyond the scope): the list and
    its export (services/payments/export.py) both read payments through it."""
    return _scoped(actor)


def parse_payment_id(raw: object) -> int:
    """A payment id from a URL or the browser; NotFoundError when it is not a plain number."""
    return parse_record_id(raw, "payment")


@dataclass(frozen=True, slots=True)
class AllocationSums:
    """Per payment: card money on invoices, its refunds, and credit used through it."""

    card_applied: int = 0
    card_refunded: int = 0
    credit_used: int = 0


def allocation_sums(session: Session, payment_ids: list[int]) -> dict[int, AllocationSums]:
    """Per payment id: card money on invoices, its refunds, and the credit used through it
    (one grouped query for a page or an export of payments)."""
    if not payment_ids:
        return {}
    is_card = col(PaymentAllocation.credit_id).is_(None)
    rows = session.exec(
        select(
            col(PaymentAllocation.payment_id),
            func.coalesce(func.sum(case((is_card, PaymentAllocation.amount_minor), else_=0)), 0),
            func.coalesce(func.sum(case((is_card, PaymentAllocation.refunded_minor), else_=0)), 0),
            func.coalesce(
                func.sum(
                    case(
                        (is_card, 0),
                        else_=PaymentAllocation.amount_minor - PaymentAllocation.refunded_minor,
                    )
                ),
                0,
            ),
        )
        .where(col(PaymentAllocation.payment_id).in_(payment_ids))
        .group_by(col(PaymentAllocation.payment_id))
    ).all()
    # payment_id IN (...) never matches NULL; the test only narrows the column's type.
    return {pid: AllocationSums(int(a), int(r), int(c)) for pid, a, r, c in rows if pid is not None}


def list_payments(
    session: Session,
    *,
    actor: Actor,
    page: int = 1,
    page_size: int = 25,
    after: str = "",
    before: str = "",
    last: bool = False,
) -> PaymentPage:
    """One page of the client's payments, newest first. `after` / `before` (a neighbouring
    page's row keys) and `last` find the page by keyset (core.paging.fetch_keyset_page)."""
    modules.require(session, actor=actor, module="payments")
    page = max(1, min(int(page), MAX_PAGE))
    page_size = page_size if page_size in PAGE_SIZES else 25
    found = fetch_keyset_page(
        session,
        where=list_condition(actor),
        order=KEYSET_ORDER,
        columns=ROW_COLUMNS,
        page=page,
        page_size=page_size,
        cap=COUNT_CAP,
        after=after,
        before=before,
        last=last,
    )
    # Rows of ROW_COLUMNS read like the payments they come from (same attribute names).
    rows = cast("list[Payment]", found.rows)
    sums = allocation_sums(session, [id_of(p) for p in rows])
    locale = client_locale(session, actor)
    labels = _status_labels()  # once per page, not per row
    return PaymentPage(
        rows=[_row_view(p, sums.get(id_of(p), AllocationSums()), locale, labels) for p in rows],
        page=found.page,
        page_size=page_size,
        total=found.total,
        total_is_capped=found.total_is_capped,
        has_next=found.has_next,
        first_key=found.first_key,
        last_key=found.last_key,
    )


def _row_view(
    payment: Payment, sums: AllocationSums, locale: str, labels: dict[str, str]
) -> PaymentRowView:
    unapplied = unapplied_minor(payment)
    return PaymentRowView(
        id=id_of(payment),
        number=payment.number,
        date=format_day(payment.paid_at or payment.created_at, locale),
        amount=format_money(payment.amount_minor + sums.credit_used, payment.currency, locale),
        method_label=shown_method_label(payment.method_label, payment.method),
        status=payment.status,
        status_label=labels.get(payment.status) or status_label(payment.status),
        unapplied=format_money(unapplied, payment.currency, locale) if unapplied else "",
    )


def get_client_payment(session: Session, *, actor: Actor, payment_id: int) -> Payment:
    """The actor's payment with this id; NotFoundError for anything else."""
    return get_client_record(session, Payment, payment_id, actor=actor, noun="payment")


def payment_view(session: Session, *, actor: Actor, payment_id: int) -> PaymentView:
    """The full payment for the detail page and the receipt."""
    modules.require(session, actor=actor, module="payments")
    payment = get_client_payment(session, actor=actor, payment_id=payment_id)
    locale = client_locale(session, actor)
    company = session.get_one(Company, payment.company_id)
    client = session.get_one(Client, payment.client_id)

    def money(minor: int) -> str:
        return format_money(minor, payment.currency, locale)

    # Allocations to the client's own invoices only (defence in depth: ids are never trusted).
    allocations = session.exec(
        select(PaymentAllocation, Invoice)
        .join(Invoice, col(Invoice.id) == PaymentAllocation.invoice_id)
        .where(
            col(PaymentAllocation.payment_id) == payment.id,
            # Every invoice of the client's this payment paid, the linked one or not.
            client_scope(Invoice, actor, whole_client=True),
        )
        .order_by(col(Invoice.issue_date), col(Invoice.id), col(PaymentAllocation.id))
    ).all()

    # Per invoice: the invoice, what this payment applied to it, what of that was refunded.
    per_invoice: dict[int, tuple[Invoice, int, int]] = {}
    card_refunded = credit_used = 0
    credit_amounts: dict[int, int] = {}
    for allocation, invoice in allocations:
        _, amount, refunded = per_invoice.get(id_of(invoice), (invoice, 0, 0))
        per_invoice[id_of(invoice)] = (
            invoice,
            amount + allocation.amount_minor,
            refunded + allocation.refunded_minor,
        )
        if allocation.credit_id is None:
            card_refunded += allocation.refunded_minor
        else:
            net = allocation.amount_minor - allocation.refunded_minor
            credit_used += net
            credit_amounts[allocation.credit_id] = credit_amounts.get(allocation.credit_id, 0) + net

    credits: list[PaymentCreditView] = []
    credits_on = modules.is_enabled(session, company_id=actor.company_id, module="credits")
    invoices_on = modules.is_enabled(session, company_id=actor.company_id, module="invoices")
    if credit_amounts:
        found = session.exec(
            select(Credit)
            .where(
                client_scope(Credit, actor),
                col(Credit.id).in_(list(credit_amounts)),
            )
            .order_by(col(Credit.issue_date), col(Credit.id))
        ).all()
        credits = [
            PaymentCreditView(
                credit_id=id_of(credit),
                number=credit.number,
                amount=money(credit_amounts[id_of(credit)]),
                has_link=credits_on and credit.status in VISIBLE_CREDIT_STATUSES,
            )
            for credit in found
        ]

    unapplied = unapplied_minor(payment)
    applied = sum(entry[1] for entry in per_invoice.values())
    return PaymentView(
        id=id_of(payment),
        number=payment.number,
        status=payment.status,
        status_label=status_label(payment.status),
        currency=payment.currency,
        date=format_day(payment.paid_at or payment.created_at, locale),
        method_label=shown_method_label(payment.method_label, payment.method),
        transaction_reference=payment.gateway_reference or "",
        failure_message=payment.failure_message if payment.status == PaymentStatus.FAILED else "",
        company=company_party(company),
        client=client_party(client),
        invoices=[
            PaymentInvoiceView(
                invoice_id=id_of(invoice),
                number=invoice.number,
                applied=money(amount),
                refunded=money(refunded) if refunded else "",
                has_link=invoices_on and invoice.status in VISIBLE_STATUSES,
            )
            for invoice, amount, refunded in per_invoice.values()
        ],
        credits=credits,
        amount=money(payment.amount_minor),
        credit_total=money(credit_used),
        # What the payment comes to once its refunds went back (a refunded one read "Total
        # $30.00" beside "Refunded $10.00").
        total=money(payment.amount_minor + credit_used - payment.refunded_minor),
        total_label=(
            gettext("Total after refunds") if payment.refunded_minor > 0 else gettext("Total")
        ),
        applied=money(applied),
        refunded=money(payment.refunded_minor),
        unapplied=money(unapplied),
        has_credit=credit_used > 0,
        has_refund=payment.refunded_minor > 0,
        has_unapplied=unapplied > 0,
        is_failed=payment.status == PaymentStatus.FAILED,
        footer=company.invoice_footer,
        logo_path=logo_path(company),
        primary_color=company.primary_color,
        notes=payment.notes,
    )
