"""The documents a subscription produces: its recurring invoice (the plan's lines), the invoice
of each period, proration invoices and credit notes. Called by the subscription services and
the renewals job inside their transaction; nothing here commits or calls the gateway.

Invoices of a period carry both `subscription_id` and `recurring_invoice_id`; a proration
invoice (an upgrade's difference) carries only `subscription_id`. A downgrade's credit note
carries `subscription_id` and `origin_payment_id` (the card payment of the period it comes
from), so refunding that period nets or voids it (services.refunds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.schedule import period_date
from portal_app.models import (
    Credit,
    CreditLine,
    Invoice,
    Payment,
    PaymentAllocation,
    RecurringInvoice,
    RecurringInvoiceLine,
    Subscription,
    SubscriptionPlan,
)
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.models.statuses import CreditStatus, InvoiceStatus, RecurringStatus
from portal_app.services.billing.invoice_math import (
    LineInput,
    apply_totals,
    build_lines,
    copy_lines,
)
from portal_app.services.billing.numbering import next_number
from portal_app.services.payments import ledger


def _period_text(start: date, end: date) -> str:
    return f"{start.isoformat()} to {(end - timedelta(days=1)).isoformat()}"


def plan_line(plan: SubscriptionPlan) -> LineInput:
    """The one line that bills a plan for one period."""
    return LineInput(plan.name, 1000, plan.price_minor)


def create_recurring(
    session: Session, *, subscription: Subscription, plan: SubscriptionPlan, start: date
) -> RecurringInvoice:
    """The recurring invoice that bills the subscription every period from `start`.

    Auto-bill is always on (the subscription charges the client's default card); the
    subscription renewals job issues its invoices, so the next date mirrors the period's end.
    """
    recurring = RecurringInvoice(
        company_id=subscription.company_id,
        client_id=subscription.client_id,
        number=next_number(session, company_id=subscription.company_id, kind="recurring"),
        status=RecurringStatus.ACTIVE,
        frequency=plan.frequency,
        currency=plan.currency,
        start_date=start,
        next_send_date=start,
        due_days=0,
        auto_bill="always",
        auto_bill_enabled=True,
        public_notes=f"Subscription: {plan.name}",
    )
    session.add(recurring)
    session.flush()
    set_recurring_plan(session, recurring=recurring, plan=plan)
    return recurring


def set_recurring_plan(
    session: Session, *, recurring: RecurringInvoice, plan: SubscriptionPlan
) -> None:
    """Replace the recurring invoice's lines and totals with the plan's."""
    session.exec(
        delete(RecurringInvoiceLine).where(
            RecurringInvoiceLine.recurring_invoice_id == recurring.id
        )
    )
    built = build_lines([plan_line(plan)])
    (line,) = built
    session.add_all(copy_lines(built, RecurringInvoiceLine, recurring_invoice_id=recurring.id))
    recurring.subtotal_minor = line.net_minor
    recurring.tax_minor = line.tax_minor
    recurring.amount_minor = line.net_minor + line.tax_minor
    recurring.public_notes = f"Subscription: {plan.name}"
    recurring.updated_at = utcnow()
    session.add(recurring)
    session.flush()


def _new_invoice(
    session: Session, subscription: Subscription, currency: str, issue: date, lines, notes: str
) -> Invoice:
    invoice = Invoice(
        company_id=subscription.company_id,
        client_id=subscription.client_id,
        number=next_number(session, company_id=subscription.company_id, kind="invoice"),
        status=InvoiceStatus.SENT,
        currency=currency,
        issue_date=issue,
        due_date=issue,
        public_notes=notes,
        subscription_id=subscription.id,
        sent_at=utcnow(),
    )
    built = build_lines(lines)
    apply_totals(invoice, built)
    session.add(invoice)
    session.flush()
    for line in built:
        line.invoice_id = invoice.id
        session.add(line)
    session.flush()
    return invoice


def period_bounds(recurring: RecurringInvoice, n: int) -> tuple[date, date]:
    """The n-th period (0-based) of a recurring invoice: [start, end), counted from its start."""
    return (
        period_date(recurring.start_date, recurring.frequency, n),
        period_date(recurring.start_date, recurring.frequency, n + 1),
    )


def issue_period_invoice(
    session: Session,
    *,
    subscription: Subscription,
    plan: SubscriptionPlan,
    recurring: RecurringInvoice,
) -> Invoice:
    """Issue the recurring invoice's next period for `plan` and move the subscription to it."""
    start, end = period_bounds(recurring, recurring.issued_count)
    line = plan_line(plan)
    invoice = _new_invoice(
        session,
        subscription,
        plan.currency,
        start,
        [LineInput(f"{line.description} ({_period_text(start, end)})", 1000, plan.price_minor)],
        f"Subscription: {plan.name}",
    )
    invoice.recurring_invoice_id = recurring.id
    session.add(invoice)
    recurring.issued_count += 1
    recurring.last_sent_date = start
    recurring.next_send_date = end
    recurring.updated_at = utcnow()
    session.add(recurring)
    subscription.current_period_start = start
    subscription.current_period_end = end
    subscription.updated_at = utcnow()
    session.add(subscription)
    session.flush()
    return invoice


def issue_proration_invoice(
    session: Session,
    *,
    subscription: Subscription,
    old: SubscriptionPlan,
    new: SubscriptionPlan,
    charge_minor: int,
    credit_minor: int,
    remaining_days: int,
    period_days: int,
    today: date,
) -> Invoice:
    """An invoice for an upgrade's difference: the new plan's share less the old plan's."""
    share = f"{remaining_days} of {period_days} days"
    lines = [LineInput(f"{new.name}, {share}", 1000, charge_minor)]
    if credit_minor:
        lines.append(LineInput(f"Unused {old.name}, {share}", 1000, -credit_minor))
    return _new_invoice(
        session, subscription, new.currency, today, lines, f"Plan change: {old.name} to {new.name}"
    )


# Card payments that received money and were not wholly refunded.
CARD_PAID_STATUSES = ("completed", "partly_refunded")


@dataclass(frozen=True, slots=True)
class PeriodPayment:
    """The last card payment for a subscription, and its card allocations to the
    subscription's invoices (with those invoices)."""

    payment: Payment
    allocations: list[tuple[PaymentAllocation, Invoice]]


def last_card_payment(session: Session, *, subscription: Subscription) -> PeriodPayment | None:
    """The subscription's last card payment still holding money (the one that paid its current
    period: the first period, a renewal or an upgrade's difference); None when no card paid
    it (a trial, credit only). Refunds on cancellation and plan-change credits both use it."""
    rows = session.exec(
        select(PaymentAllocation, Payment, Invoice)
        .join(Payment, col(Payment.id) == PaymentAllocation.payment_id)
        .join(Invoice, col(Invoice.id) == PaymentAllocation.invoice_id)
        .where(
            Invoice.subscription_id == subscription.id,
            Invoice.client_id == subscription.client_id,
            col(PaymentAllocation.credit_id).is_(None),
            col(Payment.status).in_(CARD_PAID_STATUSES),
            col(Payment.gateway_reference).is_not(None),
        )
        .order_by(col(Payment.paid_at).desc(), col(Payment.id).desc())
    ).all()
    if not rows:
        return None
    last = rows[0][1]
    return PeriodPayment(last, [(a, inv) for a, pay, inv in rows if pay.id == last.id])


def issue_credit(
    session: Session,
    *,
    subscription: Subscription,
    old: SubscriptionPlan,
    new: SubscriptionPlan,
    amount_minor: int,
    remaining_days: int,
    period_days: int,
    today: date,
) -> Credit:
    """A credit note for a downgrade: the unused part of the old plan less the new plan's.

    It is tied to the subscription and to the card payment of the period it comes from
    (`last_card_payment`): refunding that period gives back the payment less what of the
    credit was spent, and voids the rest (services.refunds).
    """
    period = last_card_payment(session, subscription=subscription)
    credit = Credit(
        company_id=subscription.company_id,
        client_id=subscription.client_id,
        number=next_number(session, company_id=subscription.company_id, kind="credit"),
        status=CreditStatus.SENT,
        currency=old.currency,
        issue_date=today,
        subtotal_minor=amount_minor,
        amount_minor=amount_minor,
        balance_minor=amount_minor,
        public_notes=f"Plan change: {old.name} to {new.name}",
        subscription_id=subscription.id,
        origin_payment_id=period.payment.id if period is not None else None,
    )
    session.add(credit)
    session.flush()
    session.add(
        CreditLine(
            credit_id=credit.id,
            position=1,
            description=(
                f"Unused {old.name} less {new.name}, {remaining_days} of {period_days} days"
            ),
            quantity_milli=1000,
            unit_price_minor=amount_minor,
            net_minor=amount_minor,
        )
    )
    session.flush()
    return credit


def void_invoice(session: Session, invoice: Invoice) -> None:
    """Cancel an invoice nobody will pay (a declined upgrade, a refunded or abandoned period)."""
    ledger.write_off_invoice(session, invoice_id=invoice.id)


def open_invoices(session: Session, subscription: Subscription, *, renewal: bool) -> list[Invoice]:
    """The subscription's unpaid invoices: period invoices (`renewal`) or proration ones."""
    query = select(Invoice).where(
        Invoice.subscription_id == subscription.id,
        col(Invoice.status).in_(PAYABLE_STATUSES),
        Invoice.balance_minor > 0,
    )
    if renewal:
        query = query.where(col(Invoice.recurring_invoice_id).is_not(None))
    else:
        query = query.where(col(Invoice.recurring_invoice_id).is_(None))
    return list(session.exec(query.order_by(col(Invoice.issue_date), col(Invoice.id))).all())
