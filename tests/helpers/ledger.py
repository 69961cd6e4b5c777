"""Shared money assertions for payment tests."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from portal_app.models import Credit, Invoice, Payment, PaymentAllocation


def assert_invoices_balance(session: Session, invoice_ids: list[int]) -> None:
    """For every invoice: amount = balance + applied payments + applied credits (net of refunds).

    Invoices made by the test factory start with nothing paid, so everything paid must be an
    allocation row.
    """
    for invoice_id in invoice_ids:
        invoice = session.get(Invoice, invoice_id)
        session.refresh(invoice)
        allocated = session.exec(
            select(
                func.coalesce(
                    func.sum(PaymentAllocation.amount_minor - PaymentAllocation.refunded_minor), 0
                )
            ).where(PaymentAllocation.invoice_id == invoice_id)
        ).one()
        assert invoice.amount_minor == invoice.balance_minor + int(allocated), (
            f"invoice {invoice.number}: amount {invoice.amount_minor} != balance "
            f"{invoice.balance_minor} + allocated {allocated}"
        )
        assert invoice.paid_to_date_minor == int(allocated)
        assert invoice.balance_minor >= 0


def assert_payment_consistent(session: Session, payment_id: int) -> None:
    """A payment's applied amount is what its card allocations hold, never more than paid."""
    payment = session.get(Payment, payment_id)
    session.refresh(payment)
    card_allocated = session.exec(
        select(func.coalesce(func.sum(PaymentAllocation.amount_minor), 0)).where(
            PaymentAllocation.payment_id == payment_id,
            PaymentAllocation.credit_id.is_(None),
        )
    ).one()
    assert payment.applied_minor == int(card_allocated)
    assert payment.applied_minor <= payment.amount_minor
    assert 0 <= payment.refunded_minor <= payment.amount_minor


def assert_credit_consistent(session: Session, credit_id: int) -> None:
    """A credit's balance is its amount less what it paid."""
    credit = session.get(Credit, credit_id)
    session.refresh(credit)
    used = session.exec(
        select(func.coalesce(func.sum(PaymentAllocation.amount_minor), 0)).where(
            PaymentAllocation.credit_id == credit_id
        )
    ).one()
    assert credit.amount_minor == credit.balance_minor + int(used)
