"""Demo recurring invoices for Acme, with the invoices already issued from them.

- monthly hosting, endless, auto-bill opt-in (the client has not opted in yet);
- quarterly support retainer with 3 cycles left;
- a six-monthly maintenance plan that has run its course (completed).

Issued invoices are paid by card except each running schedule's newest one, so the ledger adds
up exactly like the rest of the demo (every paid amount has its payment and allocation).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, delete, select

from portal_app.core.schedule import add_months, period_date
from portal_app.models import (
    Client,
    Company,
    Invoice,
    Payment,
    PaymentAllocation,
    RecurringInvoice,
    RecurringInvoiceLine,
)
from portal_app.services.billing.invoice_math import (
    LineInput,
    apply_totals,
    build_lines,
    copy_lines,
)
from portal_app.services.billing.numbering import next_number

TAX = ("Sales tax", 825)


@dataclass(frozen=True)
class _Plan:
    frequency: str
    start: date
    total_cycles: int | None  # None: endless
    auto_bill: str
    lines: list[LineInput]
    notes: str


def _plans(today: date) -> list[_Plan]:
    return [
        _Plan(
            "monthly",
            add_months(today, -5) + timedelta(days=3),
            None,
            "opt_in",
            [LineInput("Managed hosting", 1000, 29_00, *TAX)],
            "Hosting for the month ahead.",
        ),
        _Plan(
            "three_months",
            add_months(today, -5) + timedelta(days=10),
            5,
            "off",
            [LineInput("Support retainer (10 hours)", 10_000, 85_00, *TAX)],
            "Quarterly support retainer.",
        ),
        _Plan(
            "six_months",
            add_months(today, -17),
            2,
            "off",
            [LineInput("Website maintenance plan", 1000, 450_00, *TAX)],
            "Maintenance for the half-year ahead.",
        ),
    ]


def seed_recurring(session: Session, *, company: Company, client: Client, today: date) -> int:
    """Add the demo schedules and the invoices they issued; returns how many invoices."""
    issued_total = 0
    for plan in _plans(today):
        # Every period whose date has come was issued (up to the cycle count).
        dates = []
        while plan.total_cycles is None or len(dates) < plan.total_cycles:
            day = period_date(plan.start, plan.frequency, len(dates))
            if day > today:
                break
            dates.append(day)
        remaining = None if plan.total_cycles is None else plan.total_cycles - len(dates)
        done = remaining == 0
        lines = build_lines(plan.lines)
        subtotal = sum(line.net_minor for line in lines)
        tax = sum(line.tax_minor for line in lines)
        schedule = RecurringInvoice(
            company_id=company.id,
            client_id=client.id,
            number=next_number(session, company_id=company.id, kind="recurring"),
            status="completed" if done else "active",
            frequency=plan.frequency,
            currency="USD",
            start_date=plan.start,
            next_send_date=None if done else period_date(plan.start, plan.frequency, len(dates)),
            last_sent_date=dates[-1] if dates else None,
            remaining_cycles=remaining,
            issued_count=len(dates),
            due_days=14,
            auto_bill=plan.auto_bill,
            auto_bill_enabled=False,
            subtotal_minor=subtotal,
            tax_minor=tax,
            amount_minor=subtotal + tax,
            public_notes=plan.notes,
        )
        session.add(schedule)
        session.flush()
        session.add_all(copy_lines(lines, RecurringInvoiceLine, recurring_invoice_id=schedule.id))
        for index, day in enumerate(dates):
            paid = done or index < len(dates) - 1
            _issue(session, company, client, schedule, plan, day, paid=paid)
        issued_total += len(dates)
    session.flush()
    return issued_total


def _issue(session, company, client, schedule, plan, day: date, *, paid: bool) -> None:
    lines = build_lines(plan.lines)
    invoice = Invoice(
        company_id=company.id,
        client_id=client.id,
        number=next_number(session, company_id=company.id, kind="invoice"),
        status="sent",
        currency="USD",
        issue_date=day,
        due_date=day + timedelta(days=schedule.due_days),
        public_notes=plan.notes,
        sent_at=datetime.combine(day, time(6, 0), tzinfo=UTC),
        recurring_invoice_id=schedule.id,
    )
    apply_totals(invoice, lines, paid_minor=0)
    if paid:
        apply_totals(invoice, lines, paid_minor=invoice.amount_minor)
        invoice.status = "paid"
    session.add(invoice)
    session.flush()
    for line in lines:
        line.invoice_id = invoice.id
        session.add(line)
    if not paid:
        return
    when = datetime.combine(day + timedelta(days=3), time(10, 30), tzinfo=UTC)
    payment = Payment(
        company_id=company.id,
        client_id=client.id,
        number=f"tmp-demo-{uuid.uuid4().hex}",  # the real number needs the row id
        status="completed",
        currency="USD",
        amount_minor=invoice.amount_minor,
        applied_minor=invoice.amount_minor,
        method="card",
        method_label="Visa •••• 4242",
        gateway="stripe",
        paid_at=when,
        created_at=when,
        updated_at=when,
    )
    session.add(payment)
    session.flush()
    payment.number = f"PAY-{payment.id:06d}"
    session.add(
        PaymentAllocation(
            company_id=company.id,
            payment_id=payment.id,
            invoice_id=invoice.id,
            amount_minor=invoice.amount_minor,
            created_at=when,
        )
    )


def remove_recurring(session: Session, company_ids: list[int]) -> None:
    """Delete the companies' schedules and their lines (their invoices are deleted before)."""
    schedule_ids = select(RecurringInvoice.id).where(
        col(RecurringInvoice.company_id).in_(company_ids)
    )
    session.exec(
        delete(RecurringInvoiceLine).where(
            col(RecurringInvoiceLine.recurring_invoice_id).in_(schedule_ids)
        )
    )
    session.exec(delete(RecurringInvoice).where(col(RecurringInvoice.company_id).in_(company_ids)))
