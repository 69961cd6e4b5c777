"""Subscription renewals, run by the "subscription_renewals" job (portal_app/jobs/subscriptions.py).

For each subscription that needs it, on `today`:
Trialing, active and cancel-requested subscriptions renew (a request waits for staff); paused
ones are neither renewed nor charged.
0. a client's pause whose end (`pause_until`) came: active again from that renewal date, the
   paused periods skipped (services/subscriptions/pausing.py); steps 3 and 4 then renew and
   charge it in the same run.
1. `incomplete` (signed up, first period unpaid): active once that invoice is paid (e.g. settled
   by a webhook after the browser left); given up (cancelled, invoice voided) after
   INCOMPLETE_DAYS.
2. `cancel_at` reached: cancelled; nothing more is issued.
3. the period (or trial) ended: a trial with no card on file ends instead, with an e-mail
   (services/subscriptions/trial_end.py); otherwise a period-end downgrade (`pending_plan_id`)
   takes effect, the next period's invoice is issued and the subscription moves to that period.
4. an unpaid period invoice is charged to the default card off-session (services.autobill),
   for a live subscription at once, for a past-due one when `next_retry_on` comes.
   Paid: active, counters reset. Declined (or no card): past_due, `failed_attempts` + 1, the
   next retry on the invoice date + the company's `renewal_retry_days` (e.g. "1,3,7": days 1,
   3 and 7 after the renewal); after the last retry the subscription is cancelled when the
   company's `cancel_after_failed_retries` is on (the unpaid invoice is voided), else it stays
   past due without more retries.
Idempotent: each step changes the state it was selected on (period end, retry date, status), so
a second run on the same day finds nothing to do; every charge goes through autobill (one
claimed checkout per attempt, its id the idempotency key).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import exists, or_
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.gateways.base import PaymentGateway
from portal_app.models import (
    Company,
    Invoice,
    RecurringInvoice,
    Subscription,
    SubscriptionPlan,
)
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.models.statuses import InvoiceStatus, RecurringStatus, SubscriptionStatus
from portal_app.services.identity import audit
from portal_app.services.payments.autobill import autobill_invoice
from portal_app.services.payments.checkout_flow import Tx
from portal_app.services.subscriptions import subscription_mail, trial_end
from portal_app.services.subscriptions.billing import (
    issue_period_invoice,
    open_invoices,
    set_recurring_plan,
)
from portal_app.services.subscriptions.cancel import end_subscription
from portal_app.services.subscriptions.pausing import resume_due
from portal_app.services.subscriptions.signup import activate_if_paid
from portal_app.services.subscriptions.subscriptions import INCOMPLETE

log = logging.getLogger(__name__)

INCOMPLETE_DAYS = 2
# Statuses that renew at the period's end: a cancellation request keeps billing until staff
# act on it.
RENEWING = ("trialing", "active", "cancel_requested")
MAX_PER_RUN = 5000


def retry_days(setting: str) -> list[int]:
    """The company's retry schedule, e.g. "1,3,7" -> [1, 3, 7] (bad parts are ignored)."""
    days = []
    for part in (setting or "").split(","):
        part = part.strip()
        if part.isdigit() and 0 < int(part) <= 365:
            days.append(int(part))
    return sorted(set(days))


def due_subscription_ids(session: Session, today: date) -> list[int]:
    """Subscriptions with something to do today (see the module docstring)."""
    open_period_invoice = exists().where(
        Invoice.subscription_id == Subscription.id,
        col(Invoice.recurring_invoice_id).is_not(None),
        col(Invoice.status).in_(PAYABLE_STATUSES),
        Invoice.balance_minor > 0,
        Invoice.issue_date <= today,
    )
    live = col(Subscription.status).in_(RENEWING)
    rows = session.exec(
        select(Subscription.id)
        .where(
            or_(
                Subscription.status == INCOMPLETE,
                live & (col(Subscription.cancel_at) <= today),
                live & (col(Subscription.current_period_end) <= today),
                live & open_period_invoice,
                (Subscription.status == SubscriptionStatus.PAST_DUE)
                & (col(Subscription.next_retry_on) <= today),
                (col(Subscription.status) == SubscriptionStatus.PAUSED)
                & (col(Subscription.pause_until) <= today),
            )
        )
        .order_by(col(Subscription.id))
        .limit(MAX_PER_RUN)
    ).all()
    return list(rows)


def _note(session: Session, sub: Subscription, action: str, **details) -> None:
    audit.record(
        session,
        company_id=sub.company_id,
        client_id=sub.client_id,
        action=action,
        actor_type="system",
        actor_id=None,
        entity_type="subscription",
        entity_id=sub.id,
        details=details,
    )


def _advance(session: Session, sub: Subscription, today: date, counts: Counter) -> None:
    """Steps 1-3 for one subscription; leaves an open invoice to charge when there is one."""
    if sub.status == INCOMPLETE:
        if activate_if_paid(session, subscription_id=sub.id):
            counts["activated"] += 1
        elif sub.created_at.date() <= today - timedelta(days=INCOMPLETE_DAYS):
            end_subscription(session, subscription=sub, today=today)
            _note(session, sub, "subscription_signup_abandoned")
            counts["abandoned"] += 1
        return
    skipped = resume_due(session, sub, today)
    if skipped is not None:
        _note(session, sub, "subscription_resumed", skipped_periods=skipped)
        counts["resumed"] += 1
    if sub.status not in RENEWING:
        return
    if sub.cancel_at is not None and sub.cancel_at <= today:
        end_subscription(session, subscription=sub, today=today)
        _note(session, sub, "subscription_ended")
        counts["ended"] += 1
        return
    if sub.current_period_end > today:
        return
    if trial_end.ends_without_card(session, sub, today):
        trial_end.end_trial_without_card(session, sub, today)
        counts["trial_ended_no_card"] += 1
        return
    recurring = session.get(RecurringInvoice, sub.recurring_invoice_id)
    if recurring is None or recurring.status != RecurringStatus.ACTIVE:
        return
    if sub.pending_plan_id:
        sub.plan_id = sub.pending_plan_id
        sub.pending_plan_id = None
        pending = session.get(SubscriptionPlan, sub.plan_id)
        set_recurring_plan(session, recurring=recurring, plan=pending)
        counts["downgraded"] += 1
    plan = session.get(SubscriptionPlan, sub.plan_id)
    invoice = issue_period_invoice(session, subscription=sub, plan=plan, recurring=recurring)
    _note(session, sub, "subscription_renewed", invoice_id=invoice.id)
    subscription_mail.queue_renewed(session, sub, invoice)
    sub.failed_attempts = 0
    sub.next_retry_on = None
    session.add(sub)
    counts["issued"] += 1


def _record_charge(
    session: Session, sub: Subscription, invoice: Invoice, status: str, today: date, counts
) -> None:
    """Step 4's outcome: active when paid, else past due with the next retry, or cancelled."""
    now = utcnow()
    if invoice.status == InvoiceStatus.PAID or status == "paid":
        # A cancellation request waits for staff; paying the period does not withdraw it.
        sub.status = (
            SubscriptionStatus.CANCEL_REQUESTED
            if sub.status == SubscriptionStatus.CANCEL_REQUESTED
            else SubscriptionStatus.ACTIVE
        )
        sub.failed_attempts = 0
        sub.next_retry_on = None
        sub.updated_at = now
        session.add(sub)
        counts["paid"] += 1
        return
    if status in ("processing", "skipped"):
        # Settles later (webhook) or is being paid in a window right now: look again next run.
        counts["waiting"] += 1
        return
    company = session.get(Company, sub.company_id)
    schedule = retry_days(company.renewal_retry_days)
    sub.failed_attempts += 1
    counts["declined"] += 1
    if sub.failed_attempts <= len(schedule):
        retry_on = invoice.issue_date + timedelta(days=schedule[sub.failed_attempts - 1])
        sub.status = SubscriptionStatus.PAST_DUE
        sub.next_retry_on = max(retry_on, today + timedelta(days=1))
        sub.updated_at = now
        session.add(sub)
        _note(session, sub, "subscription_past_due", attempt=sub.failed_attempts, reason=status)
        return
    if company.cancel_after_failed_retries:
        end_subscription(session, subscription=sub, today=today)
        _note(session, sub, "subscription_cancelled_unpaid", attempts=sub.failed_attempts)
        counts["cancelled_unpaid"] += 1
        return
    sub.status = SubscriptionStatus.PAST_DUE
    sub.next_retry_on = None
    sub.updated_at = now
    session.add(sub)
    _note(session, sub, "subscription_retries_exhausted", attempts=sub.failed_attempts)


def process_subscription(
    tx: Tx, gateway: PaymentGateway | None, subscription_id: int, today: date, counts: Counter
):
    """Run steps 1-4 for one subscription. `gateway` may be a callable returning one."""
    with tx() as session:
        sub = session.get(Subscription, subscription_id)
        if sub is None:
            return
        _advance(session, sub, today, counts)
        to_charge = None
        retry_due = sub.status == SubscriptionStatus.PAST_DUE and (
            sub.next_retry_on is not None and sub.next_retry_on <= today
        )
        if sub.status in RENEWING or retry_due:
            invoices = [
                inv for inv in open_invoices(session, sub, renewal=True) if inv.issue_date <= today
            ]
            if invoices:
                to_charge = invoices[0].id
            elif retry_due:
                # Paid meanwhile (the client paid it in the portal).
                sub.status, sub.failed_attempts, sub.next_retry_on = "active", 0, None
                session.add(sub)
    if to_charge is None:
        return
    gw = gateway() if callable(gateway) else gateway
    result = autobill_invoice(
        tx, invoice_id=to_charge, gateway=gw, source="subscription", source_id=subscription_id
    )
    with tx() as session:
        sub = session.get(Subscription, subscription_id)
        invoice = session.get(Invoice, to_charge)
        _record_charge(session, sub, invoice, result.status, today, counts)


def run_renewals(tx: Tx, gateway, today: date) -> dict[str, int]:
    """Renew every subscription that is due on `today`; one failure never stops the others."""
    counts: Counter = Counter()
    with tx() as session:
        ids = due_subscription_ids(session, today)
    for subscription_id in ids:
        try:
            process_subscription(tx, gateway, subscription_id, today, counts)
        except Exception:  # noqa: BLE001 - one broken subscription must not stop the others
            log.exception("subscription %s could not be renewed", subscription_id)
            counts["errors"] += 1
    return dict(counts)
