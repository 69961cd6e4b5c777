"""Demo subscriptions: three plans with change options (one with a trial), a public payment
link per plan, and an active Basic subscription for Acme with its first period paid."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from portal_app.models import (
    Client,
    ClientContact,
    Company,
    Payment,
    PaymentLink,
    PlanChangeOption,
    PrepaymentSchedule,
    Subscription,
    SubscriptionPlan,
)
from portal_app.services.payments import ledger
from portal_app.services.subscriptions.billing import create_recurring, issue_period_invoice

# Readable, stable sign-up addresses for the demo: /subscribe/<key>.
DEMO_LINK_KEYS = {"Basic": "northwind-basic", "Pro": "northwind-pro", "Team": "northwind-team"}


def seed_subscriptions(
    session: Session, *, company: Company, client: Client, contact: ClientContact, today: date
) -> str:
    """Plans, links and Acme's subscription; returns the Pro plan's sign-up path."""
    basic = SubscriptionPlan(
        company_id=company.id,
        name="Basic",
        description="Hosting and up to two support hours a month.",
        price_minor=29_00,
        currency=company.currency,
        refund_period_days=14,
        downgrade_mode="period_end",
    )
    pro = SubscriptionPlan(
        company_id=company.id,
        name="Pro",
        description="Hosting, monthly SEO report and up to eight support hours a month.",
        price_minor=79_00,
        currency=company.currency,
        refund_period_days=14,
        downgrade_mode="credit_now",
    )
    team = SubscriptionPlan(
        company_id=company.id,
        name="Team",
        description="Everything in Pro for up to five sites; the first 14 days are free.",
        price_minor=149_00,
        currency=company.currency,
        trial_days=14,
        refund_period_days=7,
    )
    session.add_all([basic, pro, team])
    session.flush()
    for source, target in ((basic, pro), (pro, basic), (pro, team), (team, pro)):
        session.add(PlanChangeOption(plan_id=source.id, target_plan_id=target.id))
    for plan in (basic, pro, team):
        session.add(
            PaymentLink(company_id=company.id, plan_id=plan.id, key=DEMO_LINK_KEYS[plan.name])
        )
    session.flush()

    start = today - timedelta(days=10)
    sub = Subscription(
        company_id=company.id,
        client_id=client.id,
        contact_id=contact.id,
        plan_id=basic.id,
        status="active",
        current_period_start=start,
        current_period_end=start,
    )
    session.add(sub)
    session.flush()
    recurring = create_recurring(session, subscription=sub, plan=basic, start=start)
    sub.recurring_invoice_id = recurring.id
    invoice = issue_period_invoice(session, subscription=sub, plan=basic, recurring=recurring)
    paid_at = datetime.combine(start, time(9, 30), tzinfo=UTC)
    payment = Payment(
        company_id=company.id,
        client_id=client.id,
        contact_id=contact.id,
        number=f"tmp-sub-{sub.id}",
        status="completed",
        currency=invoice.currency,
        amount_minor=invoice.amount_minor,
        method="card",
        method_label="Visa •••• 4242",
        paid_at=paid_at,
        created_at=paid_at,
    )
    session.add(payment)
    session.flush()
    payment.number = f"PAY-{payment.id:06d}"  # numbered like checkout's payments
    session.add(payment)
    session.flush()
    allocation = ledger.allocate_payment(
        session, payment=payment, invoice_id=invoice.id, amount_minor=invoice.amount_minor
    )
    allocation.created_at = paid_at
    session.add_all([allocation, sub])
    session.flush()
    return f"/subscribe/{DEMO_LINK_KEYS['Pro']}"


def remove_prepayment_schedules(session: Session, company_ids: list[int]) -> None:
    """Unlink payments from the companies' repeated pre-payments, then delete those (before
    the saved cards they charge are deleted)."""
    session.exec(
        update(Payment)
        .where(col(Payment.company_id).in_(company_ids))
        .values(prepayment_schedule_id=None)
    )
    session.exec(
        delete(PrepaymentSchedule).where(col(PrepaymentSchedule.company_id).in_(company_ids))
    )


def remove_subscriptions(session: Session, company_ids: list[int]) -> None:
    """Delete subscriptions, links and plans (after their invoices, before their schedules)."""
    session.exec(delete(Subscription).where(col(Subscription.company_id).in_(company_ids)))
    session.exec(delete(PaymentLink).where(col(PaymentLink.company_id).in_(company_ids)))
    plan_ids = select(SubscriptionPlan.id).where(col(SubscriptionPlan.company_id).in_(company_ids))
    session.exec(
        delete(PlanChangeOption).where(
            col(PlanChangeOption.plan_id).in_(plan_ids)
            | col(PlanChangeOption.target_plan_id).in_(plan_ids)
        )
    )
    session.exec(delete(SubscriptionPlan).where(col(SubscriptionPlan.company_id).in_(company_ids)))
