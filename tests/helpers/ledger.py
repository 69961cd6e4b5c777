"""The money ledger's written rules (portal_app/services/payments/ledger.py), checked from the rows.

`assert_ledger_holds` is the one invariant checker: tests call it after every money operation.
The smaller helpers below are the same rules for one row, kept for older tests.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal_app.models import (
    Credit,
    CreditHold,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentHold,
)
from portal_app.services.payments.ledger import RECEIVED_STATUSES

OPEN_STATUSES = ("sent", "partial", "paid")


def _sum(session: Session, column, *where) -> int:
    return int(session.exec(select(func.coalesce(func.sum(column), 0)).where(*where)).one())


def ledger_problems(
    session: Session, *, company_id: int, client_id: int, gateway=None
) -> list[str]:
    """Every broken ledger rule of one client, as sentences (empty when the books hold).

    (a) an invoice's paid-to-date is the sum of its allocations net of refunds; an open
        invoice's balance is amount - paid, never below zero (a cancelled one owes nothing);
    (b) a payment applies no more than it received net of refunds, its applied amount is its
        card allocations net of their refunds, its held money is the sum of its checkouts'
        holds and within its unapplied money, and (with `gateway`) what it received and
        refunded is what the gateway's PaymentIntent says;
    (c) a credit's balance is its amount less applications, active holds and what was voided;
    (d) per currency: received net of refunds + credit issued net of voids = allocated to
        invoices + unapplied payment money + credit left (balances and holds); and a
        plan-change credit and a refund of its period never both pay out the same money.
    """
    problems: list[str] = []
    session.flush()
    session.expire_all()
    invoices = session.exec(
        select(Invoice).where(Invoice.company_id == company_id, Invoice.client_id == client_id)
    ).all()
    payments = session.exec(
        select(Payment).where(Payment.company_id == company_id, Payment.client_id == client_id)
    ).all()
    credits = session.exec(
        select(Credit).where(Credit.company_id == company_id, Credit.client_id == client_id)
    ).all()
    invoice_ids = [i.id for i in invoices]
    allocations = (
        session.exec(
            select(PaymentAllocation).where(col(PaymentAllocation.invoice_id).in_(invoice_ids))
        ).all()
        if invoice_ids
        else []
    )
    by_invoice: dict[int, int] = defaultdict(int)
    by_payment: dict[int, int] = defaultdict(int)
    by_credit: dict[int, int] = defaultdict(int)
    for a in allocations:
        net = a.amount_minor - a.refunded_minor
        by_invoice[a.invoice_id] += net
        if a.credit_id is None:
            by_payment[a.payment_id] += net
        else:
            by_credit[a.credit_id] += a.amount_minor
        if not (a.amount_minor > 0 and 0 <= a.refunded_minor <= a.amount_minor):
            problems.append(
                f"allocation {a.id}: amount {a.amount_minor} refunded {a.refunded_minor}"
            )
        if a.credit_id is not None and a.refunded_minor:
            problems.append(f"allocation {a.id}: credit money marked refunded")

    # (a)
    for inv in invoices:
        paid = by_invoice[inv.id]
        if inv.paid_to_date_minor != paid:
            problems.append(
                f"invoice {inv.number}: paid {inv.paid_to_date_minor} != allocations {paid}"
            )
        if inv.balance_minor < 0:
            problems.append(f"invoice {inv.number}: balance {inv.balance_minor} below zero")
        if inv.status in OPEN_STATUSES and inv.balance_minor != inv.amount_minor - paid:
            problems.append(
                f"invoice {inv.number} ({inv.status}): balance {inv.balance_minor} != "
                f"amount {inv.amount_minor} - paid {paid}"
            )
        if inv.status == "paid" and inv.balance_minor != 0:
            problems.append(f"invoice {inv.number}: paid with balance {inv.balance_minor}")
        if inv.status in ("cancelled", "reversed") and inv.balance_minor != 0:
            problems.append(f"invoice {inv.number}: {inv.status} but owes {inv.balance_minor}")

    # (b)
    payment_held: dict[int, int] = defaultdict(int)
    payment_ids = [p.id for p in payments]
    if payment_ids:
        for h in session.exec(
            select(PaymentHold).where(col(PaymentHold.payment_id).in_(payment_ids))
        ).all():
            payment_held[h.payment_id] += h.amount_minor
    for p in payments:
        received = p.status in RECEIVED_STATUSES
        if p.held_minor != payment_held[p.id] or (
            p.held_minor and p.applied_minor + p.refunded_minor + p.held_minor > p.amount_minor
        ):
            problems.append(
                f"payment {p.number}: held {p.held_minor}, holds {payment_held[p.id]}, "
                f"applied {p.applied_minor} + refunded {p.refunded_minor} of {p.amount_minor}"
            )
        if p.applied_minor != by_payment[p.id]:
            problems.append(
                f"payment {p.number}: applied {p.applied_minor} != card allocations "
                f"{by_payment[p.id]}"
            )
        if not received and (p.applied_minor or p.refunded_minor):
            problems.append(f"payment {p.number} ({p.status}) applied or refunded money")
        if (
            p.applied_minor + p.refunded_minor > p.amount_minor
            or min(p.applied_minor, p.refunded_minor, p.amount_minor) < 0
        ):
            problems.append(
                f"payment {p.number}: applied {p.applied_minor} + refunded {p.refunded_minor} "
                f"> amount {p.amount_minor}"
            )
        if gateway is not None and p.gateway_reference and p.method == "card":
            intent = gateway.retrieve_payment(p.gateway_reference)
            if received:
                if intent.status != "succeeded":
                    problems.append(
                        f"payment {p.number}: {p.status} but the gateway says {intent.status}"
                    )
                if intent.amount_minor != p.amount_minor or intent.currency != p.currency:
                    problems.append(
                        f"payment {p.number}: {p.amount_minor} {p.currency} but the gateway "
                        f"charged {intent.amount_minor} {intent.currency}"
                    )
                if intent.refunded_minor != p.refunded_minor:
                    problems.append(
                        f"payment {p.number}: refunded {p.refunded_minor} but the gateway "
                        f"refunded {intent.refunded_minor}"
                    )
            elif intent.status == "succeeded" and p.status == "failed":
                problems.append(f"payment {p.number}: failed but the gateway took the money")

    # (c)
    credit_ids = [c.id for c in credits]
    held: dict[int, int] = defaultdict(int)
    if credit_ids:
        for h in session.exec(
            select(CreditHold).where(col(CreditHold.credit_id).in_(credit_ids))
        ).all():
            held[h.credit_id] += h.amount_minor
    for c in credits:
        expected = c.amount_minor - by_credit[c.id] - held[c.id] - c.voided_minor
        if c.balance_minor != expected or c.balance_minor < 0:
            problems.append(
                f"credit {c.number}: balance {c.balance_minor} != amount {c.amount_minor} - "
                f"applied {by_credit[c.id]} - held {held[c.id]} - voided {c.voided_minor}"
            )

    # (d)
    # Computed from other columns than (a)-(c): what invoices say they were paid.
    sides: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for inv in invoices:
        sides[inv.currency][1] += inv.paid_to_date_minor
    for p in payments:
        if p.status in RECEIVED_STATUSES:
            sides[p.currency][0] += p.amount_minor - p.refunded_minor
            sides[p.currency][1] += p.amount_minor - p.applied_minor - p.refunded_minor
    for c in credits:
        sides[c.currency][0] += c.amount_minor - c.voided_minor
        sides[c.currency][1] += c.balance_minor + held[c.id]
    for currency, (came_in, went_out) in sides.items():
        if came_in != went_out:
            problems.append(
                f"{currency}: received net of refunds + credit issued = {came_in}, but paid on "
                f"invoices + unapplied + credit left = {went_out}"
            )
    payments_by_id = {p.id: p for p in payments}
    for c in credits:
        origin = payments_by_id.get(c.origin_payment_id) if c.origin_payment_id else None
        if origin is None:
            continue
        used = c.amount_minor - c.balance_minor - c.voided_minor - held[c.id]
        if origin.refunded_minor + used > origin.amount_minor:
            problems.append(
                f"credit {c.number}: {used} of it spent and {origin.refunded_minor} of its "
                f"period's payment {origin.number} refunded: more than the "
                f"{origin.amount_minor} paid"
            )
        if origin.refunded_minor + used >= origin.amount_minor and c.balance_minor > 0:
            problems.append(f"credit {c.number}: its period was refunded but it still has credit")
    return problems


def assert_ledger_holds(session: Session, *, company_id: int, client_id: int, gateway=None):
    """Fail with every broken rule of `ledger_problems`."""
    problems = ledger_problems(session, company_id=company_id, client_id=client_id, gateway=gateway)
    assert not problems, "ledger rules broken:\n" + "\n".join(problems)


def assert_client_ledger(session: Session, client, gateway=None) -> None:
    """`assert_ledger_holds` for a Client row (or anything with company_id and id)."""
    assert_ledger_holds(session, company_id=client.company_id, client_id=client.id, gateway=gateway)


def assert_invoices_balance(session: Session, invoice_ids: list[int]) -> None:
    """For every invoice: amount = balance + applied payments + applied credits (net of refunds).

    Invoices made by the test factory start with nothing paid, so everything paid must be an
    allocation row.
    """
    for invoice_id in invoice_ids:
        invoice = session.get(Invoice, invoice_id)
        session.refresh(invoice)
        allocated = _sum(
            session,
            PaymentAllocation.amount_minor - PaymentAllocation.refunded_minor,
            PaymentAllocation.invoice_id == invoice_id,
        )
        assert invoice.amount_minor == invoice.balance_minor + allocated, (
            f"invoice {invoice.number}: amount {invoice.amount_minor} != balance "
            f"{invoice.balance_minor} + allocated {allocated}"
        )
        assert invoice.paid_to_date_minor == allocated
        assert invoice.balance_minor >= 0


def assert_payment_consistent(session: Session, payment_id: int) -> None:
    """A payment's applied amount is what its card allocations hold net of their refunds, and
    applied + refunded never exceeds what it received."""
    payment = session.get(Payment, payment_id)
    session.refresh(payment)
    card_allocated = _sum(
        session,
        PaymentAllocation.amount_minor - PaymentAllocation.refunded_minor,
        PaymentAllocation.payment_id == payment_id,
        col(PaymentAllocation.credit_id).is_(None),
    )
    assert payment.applied_minor == card_allocated
    assert payment.applied_minor + payment.refunded_minor <= payment.amount_minor
    assert 0 <= payment.refunded_minor <= payment.amount_minor


def assert_credit_consistent(session: Session, credit_id: int) -> None:
    """A credit's balance is its amount less what it paid, what is held and what was voided."""
    credit = session.get(Credit, credit_id)
    session.refresh(credit)
    used = _sum(session, PaymentAllocation.amount_minor, PaymentAllocation.credit_id == credit_id)
    held = _sum(session, CreditHold.amount_minor, CreditHold.credit_id == credit_id)
    assert credit.amount_minor == credit.balance_minor + used + held + credit.voided_minor
