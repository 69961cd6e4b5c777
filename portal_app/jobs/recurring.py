"""Issue the invoices recurring schedules owe, and auto-charge them where that applies.

Idempotent and safe to run concurrently, even without the job lock: each period is claimed by a
conditional UPDATE (`WHERE id = ? AND issued_count = ? AND status = 'active' ...`) that is the
first statement of its own transaction, and the invoice is created in that same transaction. A
second runner's UPDATE then matches no row (PostgreSQL re-checks the WHERE after waiting for the
row lock; SQLite lets one writer at a time), so no period is ever issued twice.

Catch-up: when runs were missed (server down for a while), every missed period is issued, each
as its own invoice, because each period's service was delivered and is owed, and the cycle count
only stays right if every period is counted. The invoice is dated the day it is really issued
(its due date counts from then, so the client is never handed an invoice already overdue) and
its notes name the period's scheduled date. At most MAX_PERIODS_PER_RUN periods of one schedule
are issued per run, so a long outage cannot flood one run; the next run continues.

Auto-bill: a declined card stops auto-charging that schedule for the rest of the run (the
client's card is not hammered once per missed period); the unpaid invoices wait for the client
or the next issued period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, update
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.schedule import period_date
from portal_app.jobs.runner import JobContext, register_job
from portal_app.models import (
    Invoice,
    InvoiceLine,
    RecurringInvoice,
    RecurringInvoiceLine,
    Subscription,
)
from portal_app.services.billing import recurring_mail
from portal_app.services.billing.invoice_math import copy_lines
from portal_app.services.billing.numbering import next_number
from portal_app.services.identity import audit
from portal_app.services.payments.autobill import autobill_invoice

log = logging.getLogger(__name__)

MAX_PERIODS_PER_RUN = 24


@dataclass(frozen=True, slots=True)
class _Due:
    id: int
    issued_count: int
    frequency: str
    start_date: date
    auto_bill: str
    auto_bill_enabled: bool


def auto_bill_applies(mode: str, enabled: bool) -> bool:
    """Whether issued invoices are charged: always, or opt-in/opt-out with the client's yes."""
    return mode == "always" or (mode in ("opt_in", "opt_out") and enabled)


def due_schedules(session: Session, today: date) -> list[_Due]:
    """Active schedules whose next send date has come, oldest first.

    A subscription's recurring invoice is left to the subscription_renewals job, which issues
    its periods (applying a pending downgrade first) and handles declines and retries.
    """
    owned_by_subscription = select(Subscription.recurring_invoice_id).where(
        col(Subscription.recurring_invoice_id).is_not(None)
    )
    rows = session.exec(
        select(RecurringInvoice)
        .where(
            RecurringInvoice.status == "active",
            col(RecurringInvoice.next_send_date).is_not(None),
            col(RecurringInvoice.next_send_date) <= today,
            col(RecurringInvoice.id).not_in(owned_by_subscription),
        )
        .order_by(col(RecurringInvoice.next_send_date), col(RecurringInvoice.id))
    ).all()
    return [
        _Due(r.id, r.issued_count, r.frequency, r.start_date, r.auto_bill, r.auto_bill_enabled)
        for r in rows
    ]


def claim_period(session: Session, due: _Due, today: date) -> bool:
    """Move the schedule on by one period if nobody else has; True when this caller got it.

    Must be the first statement of the caller's transaction (see the module docstring).
    """
    ri = RecurringInvoice
    following = period_date(due.start_date, due.frequency, due.issued_count + 1)
    last_cycle = col(ri.remaining_cycles) == 1
    result = session.exec(
        update(ri)
        .where(
            ri.id == due.id,
            ri.issued_count == due.issued_count,
            ri.status == "active",
            ri.frequency == due.frequency,
            ri.start_date == due.start_date,
            col(ri.next_send_date) <= today,
            (col(ri.remaining_cycles).is_(None)) | (col(ri.remaining_cycles) > 0),
        )
        .values(
            issued_count=ri.issued_count + 1,
            remaining_cycles=case(
                (col(ri.remaining_cycles).is_(None), None), else_=col(ri.remaining_cycles) - 1
            ),
            status=case((last_cycle, "completed"), else_=ri.status),
            next_send_date=case((last_cycle, None), else_=following),
            last_sent_date=today,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def issue_invoice(session: Session, schedule_id: int, period: date, today: date) -> Invoice:
    """Create the sent invoice for one claimed period from the schedule's lines."""
    schedule = session.get(RecurringInvoice, schedule_id, populate_existing=True)
    lines = session.exec(
        select(RecurringInvoiceLine)
        .where(RecurringInvoiceLine.recurring_invoice_id == schedule_id)
        .order_by(col(RecurringInvoiceLine.position), col(RecurringInvoiceLine.id))
    ).all()
    notes = schedule.public_notes
    if period != today:
        notes = (notes + "\n\n" if notes else "") + f"For the period scheduled on {period}."
    now = utcnow()
    subtotal = sum(line.net_minor for line in lines)
    tax = sum(line.tax_minor for line in lines)
    invoice = Invoice(
        company_id=schedule.company_id,
        client_id=schedule.client_id,
        number=next_number(session, company_id=schedule.company_id, kind="invoice"),
        status="sent",
        currency=schedule.currency,
        issue_date=today,
        due_date=today + timedelta(days=schedule.due_days),
        po_number=schedule.po_number,
        subtotal_minor=subtotal,
        tax_minor=tax,
        amount_minor=subtotal + tax,
        balance_minor=subtotal + tax,
        terms=schedule.terms,
        public_notes=notes[:4000],
        sent_at=now,
        recurring_invoice_id=schedule.id,
    )
    session.add(invoice)
    session.flush()
    session.add_all(copy_lines(lines, InvoiceLine, invoice_id=invoice.id))
    audit.record(
        session,
        company_id=schedule.company_id,
        client_id=schedule.client_id,
        action="recurring_invoice_issued",
        actor_type="system",
        actor_id=None,
        entity_type="invoice",
        entity_id=invoice.id,
        details={
            "recurring_invoice_id": schedule.id,
            "period": period,
            "cycle": schedule.issued_count,
        },
    )
    recurring_mail.queue_recurring_invoice(session, invoice)
    return invoice


def process_schedule(ctx: JobContext, due: _Due, counts: dict[str, int]) -> None:
    """Issue every period of one schedule that is due (up to the per-run cap)."""
    charge = auto_bill_applies(due.auto_bill, due.auto_bill_enabled)
    for _ in range(MAX_PERIODS_PER_RUN):
        period = period_date(due.start_date, due.frequency, due.issued_count)
        with ctx.tx() as session:
            if not claim_period(session, due, ctx.today):
                counts["already_issued"] += 1
                return
            invoice = issue_invoice(session, due.id, period, ctx.today)
            invoice_id, amount = invoice.id, invoice.amount_minor
            schedule = session.get(RecurringInvoice, due.id)
            completed = schedule.status == "completed"
            following = schedule.next_send_date
        counts["issued"] += 1
        counts["completed"] += int(completed)
        if charge and amount > 0:
            result = autobill_invoice(
                ctx.tx,
                invoice_id=invoice_id,
                gateway=ctx.get_gateway(),
                source="recurring",
                source_id=due.id,
            )
            key = "autobill_paid" if result.status == "paid" else "autobill_failed"
            counts[key] += 1
            if result.status != "paid":
                # Never retried in the same run, and no further charges of this schedule now.
                charge = False
        if completed or following is None or following > ctx.today:
            return
        due = _Due(
            due.id,
            due.issued_count + 1,
            due.frequency,
            due.start_date,
            due.auto_bill,
            due.auto_bill_enabled,
        )


def issue_recurring_invoices(ctx: JobContext) -> dict[str, int]:
    """The job: issue (and auto-bill) every recurring invoice that is due on `ctx.today`."""
    counts = {
        "issued": 0,
        "completed": 0,
        "autobill_paid": 0,
        "autobill_failed": 0,
        "already_issued": 0,
        "errors": 0,
    }
    with ctx.tx() as session:
        due_list = due_schedules(session, ctx.today)
    for due in due_list:
        try:
            process_schedule(ctx, due, counts)
        except Exception:  # noqa: BLE001 - one broken schedule must not stop the others
            log.exception("recurring invoice %s could not be issued", due.id)
            counts["errors"] += 1
    return counts


register_job("recurring_invoices", issue_recurring_invoices)
