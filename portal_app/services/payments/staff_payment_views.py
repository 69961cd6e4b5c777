"""Payments as the staff console lists them: unapplied and refundable amounts per payment."""

from __future__ import annotations

from sqlmodel import Session, col, select

from portal_app.core.card_labels import shown_method_label
from portal_app.core.db import id_of
from portal_app.core.locale import format_day
from portal_app.core.money import Money, format_money
from portal_app.core.paging import parse_record_id
from portal_app.models import Client, Invoice, Payment
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.schemas.staff_documents import (
    OpenInvoiceView,
    StaffPaymentPage,
    StaffPaymentRow,
    StaffRefundView,
)
from portal_app.services.billing.staff_lists import MAX_PAGE, PAGE_SIZE, company_locale
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_scope import MAX_ID, StaffAction, own_row, require_staff
from portal_app.services.payments.ledger import RECEIVED_STATUSES, unapplied_minor
from portal_app.services.payments.payments import status_label
from portal_app.services.payments.staff_payments import payment_unapplied, refundable_minor

FILTERS = ("all", "unapplied")


def list_payments(
    session: Session,
    *,
    actor: StaffActor,
    status: str = "all",
    client_id: object = None,
    page: int = 1,
) -> StaffPaymentPage:
    """One page (newest first) of the company's payments; "unapplied" keeps only received
    payments with money on no invoice (applied + refunds below the amount)."""
    require_staff(actor)
    page = max(1, min(int(page or 1), MAX_PAGE))
    statement = (
        select(Payment, Client.name)
        .join(Client, col(Client.id) == Payment.client_id)
        .where(Payment.company_id == actor.company_id)
    )
    if status == "unapplied":
        # unapplied = amount - applied - refunded, as in services.ledger.unapplied_minor.
        statement = statement.where(
            col(Payment.status).in_(RECEIVED_STATUSES),
            Payment.amount_minor - Payment.applied_minor - Payment.refunded_minor > 0,
        )
    if client_id not in (None, ""):
        wanted = parse_record_id(client_id, "client")
        statement = statement.where(Payment.client_id == min(wanted, MAX_ID))
    rows = session.exec(
        statement.order_by(col(Payment.created_at).desc(), col(Payment.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    locale = company_locale(session, actor.company_id)
    may_refund = actor.may(StaffAction.REFUND)
    views: list[StaffPaymentRow] = []
    for payment, client_name in rows[:PAGE_SIZE]:
        unapplied = unapplied_minor(payment)
        refundable = refundable_minor(session, payment)

        def money(minor: int, currency: str = payment.currency) -> str:
            return format_money(minor, currency, locale)

        views.append(
            StaffPaymentRow(
                id=id_of(payment),
                number=payment.number,
                client_id=payment.client_id,
                client_name=client_name,
                date=format_day(payment.paid_at or payment.created_at, locale),
                method=shown_method_label(payment.method_label, payment.method),
                status=payment.status,
                status_label=status_label(payment.status),
                currency=payment.currency,
                amount=money(payment.amount_minor),
                applied=money(payment.applied_minor),
                unapplied=money(unapplied),
                refunded=money(payment.refunded_minor),
                refundable=money(refundable),
                # Money a client's checkout holds right now is not staff's to apply.
                can_apply=payment_unapplied(session, payment) > 0,
                can_refund=may_refund and refundable > 0,
            )
        )
    return StaffPaymentPage(rows=views, page=page, has_next=len(rows) > PAGE_SIZE)


def open_invoices(
    session: Session, *, actor: StaffActor, payment_id: object
) -> list[OpenInvoiceView]:
    """The payment's client's unpaid invoices in its currency (oldest due first), for the
    apply dialog. NotFoundError for another company's payment."""
    require_staff(actor)
    payment = own_row(session, Payment, payment_id, actor, what="payment")
    locale = company_locale(session, actor.company_id)
    left = payment_unapplied(session, payment)
    rows = session.exec(
        select(Invoice)
        .where(
            Invoice.company_id == actor.company_id,
            Invoice.client_id == payment.client_id,
            Invoice.currency == payment.currency,
            col(Invoice.status).in_(PAYABLE_STATUSES),
            Invoice.balance_minor > 0,
        )
        .order_by(col(Invoice.due_date).asc(), col(Invoice.id).asc())
        .limit(100)
    ).all()
    return [
        OpenInvoiceView(
            id=id_of(inv),
            number=inv.number,
            due_date=format_day(inv.due_date, locale),
            balance=format_money(inv.balance_minor, inv.currency, locale),
            balance_major=str(Money(inv.balance_minor, inv.currency).to_decimal()),
            applicable_major=str(
                Money(max(0, min(left, inv.balance_minor)), inv.currency).to_decimal()
            ),
        )
        for inv in rows
    ]


def unapplied_text(session: Session, *, actor: StaffActor, payment_id: object) -> str:
    """A payment's unapplied amount, formatted (for the apply dialog's heading)."""
    require_staff(actor)
    payment = own_row(session, Payment, payment_id, actor, what="payment")
    locale = company_locale(session, actor.company_id)
    return format_money(payment_unapplied(session, payment), payment.currency, locale)


def refund_view(session: Session, *, actor: StaffActor, payment_id: object) -> StaffRefundView:
    """One of the company's payments for the refund dialog, read fresh: its amount, what was
    refunded already and the most that can still be refunded. NotFoundError for another
    company's payment or a bad id."""
    require_staff(actor)
    payment = own_row(session, Payment, payment_id, actor, what="payment")
    locale = company_locale(session, actor.company_id)
    refundable = refundable_minor(session, payment)
    # What neither was refunded nor can be: the spent part of plan-change credits (see
    # services/payments/refunds.refundable_minor), shown only for card payments still open.
    held = payment.amount_minor - payment.refunded_minor - refundable if refundable > 0 else 0

    def money(minor: int) -> str:
        return format_money(minor, payment.currency, locale)

    return StaffRefundView(
        id=id_of(payment),
        number=payment.number,
        amount=money(payment.amount_minor),
        refunded=money(payment.refunded_minor),
        refundable=money(refundable),
        held_back=money(held) if held > 0 else "",
        has_refunds=payment.refunded_minor > 0,
    )
