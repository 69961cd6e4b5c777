"""The one home for moving money: invoice balances, credit balances, what a payment applied and
what it refunded change here and nowhere else.

Every move is a conditional `UPDATE ... WHERE <the rule still holds>` whose row count says
whether it happened, so two transactions can never both spend the same balance, whatever the
database (PostgreSQL's concurrent writers, SQLite's single one) and whatever the caller read
before. A move that would break a rule raises `LedgerRefused` and changes nothing. CHECK
constraints on the tables (migration 0008) hold what one row alone can.

The rules, per client and currency (`tests/helpers/ledger.py: assert_ledger_holds` checks them
after every money operation in the tests):
- an invoice's paid-to-date is the sum of its allocations net of refunds; an open invoice's
  balance is amount - paid (a cancelled one owes nothing), never below zero;
- a payment applies no more than it received net of refunds:
  applied + refunded <= amount, applied = its card allocations net of their refunds;
- a credit's balance is amount - applications - active checkout holds - voided, >= 0;
- a payment's held money (`held_minor`) is the sum of its active checkout holds and part of
  its unapplied money: applied + refunded + held <= amount;
- money received net of refunds + credit issued (less voided) = allocated to invoices +
  unapplied payment money + credit left (balances and holds).

Services call these functions inside their caller's transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import CursorResult, case, delete, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from portal_app.core.db import id_of, utcnow
from portal_app.models import (
    Credit,
    CreditHold,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentHold,
)
from portal_app.models.credit import USABLE_CREDIT_STATUSES
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.models.statuses import CreditStatus, InvoiceStatus, PaymentStatus

# A checkout's hold on a credit note or on a payment's unapplied money: the two kinds of
# hold rows, moved by the same conditional statements.
_Hold = TypeVar("_Hold", CreditHold, PaymentHold)

# Payments whose money was received (and so may be applied or refunded).
RECEIVED_STATUSES = (
    PaymentStatus.COMPLETED,
    PaymentStatus.PARTLY_REFUNDED,
    PaymentStatus.REFUNDED,
)
# Invoice statuses a refund reopens; cancelled or reversed invoices keep their status.
REOPENABLE_STATUSES = (InvoiceStatus.PAID, InvoiceStatus.PARTIAL, InvoiceStatus.SENT)


class LedgerRefused(Exception):
    """A money move that would break a ledger rule (spend a balance that is no longer there,
    apply more than was received...). Nothing was changed by it."""


def _require_positive(amount_minor: int) -> int:
    amount = int(amount_minor)
    if amount <= 0:
        raise LedgerRefused(f"amount must be positive, got {amount}")
    return amount


def _changed(result: CursorResult[Any]) -> bool:
    return result.rowcount == 1


# -- reading rows for a decision ---------------------------------------------------------------


def locked_invoice(session: Session, invoice_id: int) -> Invoice | None:
    """The invoice as it is now, row-locked on PostgreSQL until the transaction ends."""
    return session.exec(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def locked_payment(session: Session, payment_id: int) -> Payment | None:
    """The payment as it is now, row-locked on PostgreSQL until the transaction ends."""
    return session.exec(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def unapplied_minor(payment: Payment) -> int:
    """A payment's money on no invoice and not refunded (a pre-payment or over-payment)."""
    if payment.status not in RECEIVED_STATUSES:
        return 0
    return max(0, payment.amount_minor - payment.applied_minor - payment.refunded_minor)


def free_unapplied_minor(payment: Payment) -> int:
    """A payment's unapplied money that no open checkout holds: what may be applied now."""
    return max(0, unapplied_minor(payment) - payment.held_minor)


# -- invoices ------------------------------------------------------------------------------------


def _pay_invoice(session: Session, invoice_id: int, amount: int) -> None:
    """Take `amount` off an open invoice's balance, or refuse when it no longer owes it."""
    new_balance = col(Invoice.balance_minor) - amount
    result = session.exec(
        update(Invoice)
        .where(
            col(Invoice.id) == invoice_id,
            col(Invoice.status).in_(PAYABLE_STATUSES),
            col(Invoice.balance_minor) >= amount,
        )
        .values(
            paid_to_date_minor=Invoice.paid_to_date_minor + amount,
            balance_minor=new_balance,
            status=case((new_balance == 0, "paid"), else_="partial"),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session="fetch")
    )
    if not _changed(result):
        raise LedgerRefused(f"invoice {invoice_id} does not owe {amount}")


def _reopen_invoice(session: Session, invoice_id: int, amount: int) -> None:
    """Put `amount` of refunded money back on an invoice's balance.

    A cancelled or reversed invoice keeps owing nothing: only its paid-to-date goes down.
    """
    paid_after = col(Invoice.paid_to_date_minor) - amount
    reopenable = col(Invoice.status).in_(REOPENABLE_STATUSES)
    result = session.exec(
        update(Invoice)
        .where(col(Invoice.id) == invoice_id, col(Invoice.paid_to_date_minor) >= amount)
        .values(
            paid_to_date_minor=paid_after,
            balance_minor=case(
                (reopenable, Invoice.balance_minor + amount), else_=Invoice.balance_minor
            ),
            status=case(
                (reopenable, case((paid_after > 0, "partial"), else_="sent")),
                else_=Invoice.status,
            ),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session="fetch")
    )
    if not _changed(result):
        raise LedgerRefused(f"invoice {invoice_id} has not {amount} paid to give back")


def write_off_invoice(session: Session, *, invoice_id: int) -> None:
    """Cancel an invoice: it stays visible and owes nothing (what was paid stays paid)."""
    session.exec(
        update(Invoice)
        .where(col(Invoice.id) == invoice_id)
        .values(status=InvoiceStatus.CANCELLED, balance_minor=0, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


# -- payments ------------------------------------------------------------------------------------


def _apply_payment(session: Session, payment_id: int, amount: int) -> None:
    result = session.exec(
        update(Payment)
        .where(
            col(Payment.id) == payment_id,
            col(Payment.status).in_(RECEIVED_STATUSES),
            col(Payment.applied_minor)
            + col(Payment.refunded_minor)
            + col(Payment.held_minor)
            + amount
            <= Payment.amount_minor,
        )
        .values(applied_minor=Payment.applied_minor + amount, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if not _changed(result):
        raise LedgerRefused(f"payment {payment_id} has not {amount} unapplied")


def allocate_payment(
    session: Session, *, payment: Payment, invoice_id: int, amount_minor: int
) -> PaymentAllocation:
    """Apply `amount_minor` of a received payment's unapplied money to an open invoice."""
    amount = _require_positive(amount_minor)
    _apply_payment(session, id_of(payment), amount)
    _pay_invoice(session, invoice_id, amount)
    allocation = PaymentAllocation(
        company_id=payment.company_id,
        payment_id=payment.id,
        invoice_id=invoice_id,
        amount_minor=amount,
    )
    session.add(allocation)
    session.flush()
    return allocation


# -- credits -------------------------------------------------------------------------------------


def _credit_status_after(balance_after: ColumnElement[int]) -> object:
    return case((balance_after == 0, "applied"), else_="partial")


def _take_credit(session: Session, credit_id: int, amount: int) -> None:
    balance_after = col(Credit.balance_minor) - amount
    result = session.exec(
        update(Credit)
        .where(
            col(Credit.id) == credit_id,
            col(Credit.status).in_(USABLE_CREDIT_STATUSES),
            col(Credit.balance_minor) >= amount,
        )
        .values(
            balance_minor=balance_after,
            status=_credit_status_after(balance_after),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session="fetch")
    )
    if not _changed(result):
        raise LedgerRefused(f"credit {credit_id} has not {amount} left")


def _give_back_credit(session: Session, credit_id: int, amount: int) -> None:
    balance_after = col(Credit.balance_minor) + amount
    result = session.exec(
        update(Credit)
        .where(
            col(Credit.id) == credit_id,
            col(Credit.balance_minor) + col(Credit.voided_minor) + amount <= Credit.amount_minor,
        )
        .values(
            balance_minor=balance_after,
            # A credit given back is usable again unless staff cancelled it meanwhile.
            status=case(
                (col(Credit.status) == CreditStatus.CANCELLED, "cancelled"),
                (balance_after == Credit.amount_minor, "sent"),
                else_="partial",
            ),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session="fetch")
    )
    if not _changed(result):
        raise LedgerRefused(f"credit {credit_id} cannot take back {amount}")


def usable_credit_rows(
    session: Session, *, company_id: int, client_id: int, currency: str
) -> list[Credit]:
    """The client's credits in `currency` with something left, oldest first."""
    return list(
        session.exec(
            select(Credit)
            .where(
                Credit.company_id == company_id,
                Credit.client_id == client_id,
                Credit.currency == currency,
                col(Credit.status).in_(USABLE_CREDIT_STATUSES),
                Credit.balance_minor > 0,
            )
            .order_by(col(Credit.issue_date), col(Credit.id))
            .execution_options(populate_existing=True)
        ).all()
    )


def hold_credit(
    session: Session,
    *,
    checkout_id: int,
    company_id: int,
    client_id: int,
    currency: str,
    amount_minor: int,
) -> int:
    """Take up to `amount_minor` of the client's credit out of its balances for a checkout,
    oldest credit first; returns how much was held (less when less is left)."""
    wanted = int(amount_minor)
    held = 0
    for credit in usable_credit_rows(
        session, company_id=company_id, client_id=client_id, currency=currency
    ):
        if held >= wanted:
            break
        take = min(credit.balance_minor, wanted - held)
        try:
            with session.begin_nested():
                _take_credit(session, id_of(credit), take)
        except LedgerRefused:
            continue  # spent meanwhile by another checkout: try the next credit
        session.add(
            CreditHold(
                company_id=company_id,
                checkout_id=checkout_id,
                credit_id=id_of(credit),
                amount_minor=take,
            )
        )
        held += take
    session.flush()
    return held


def _checkout_holds(session: Session, model: type[_Hold], checkout_id: int) -> list[_Hold]:
    """A checkout's active holds of one kind, oldest first, locked."""
    return list(
        session.exec(
            select(model)
            .where(col(model.checkout_id) == checkout_id)
            .order_by(col(model.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    )


def _shrink_hold(
    session: Session, model: type[CreditHold] | type[PaymentHold], hold_id: int | None, take: int
) -> bool:
    """Take `take` out of a hold (the whole hold is deleted); False when the hold is gone or
    smaller meanwhile (settled, released or cut by another caller), so nothing is used twice."""
    if take <= 0:
        return False
    # A hold row is only ever deleted or made smaller, by a conditional statement: the row
    # count says whether this caller got the money.
    whole = session.exec(
        delete(model).where(col(model.id) == hold_id, col(model.amount_minor) == take)
    )
    if whole.rowcount == 1:
        return True
    part = session.exec(
        update(model)
        .where(col(model.id) == hold_id, col(model.amount_minor) > take)
        .values(amount_minor=model.amount_minor - take)
    )
    return part.rowcount == 1


def holds_of(session: Session, checkout_id: int) -> list[CreditHold]:
    """The checkout's active credit holds, oldest first."""
    return _checkout_holds(session, CreditHold, checkout_id)


def release_holds(session: Session, *, checkout_id: int) -> int:
    """Give a checkout's held credit back to the credit notes and its held unapplied money
    back to the payments; returns the amount released."""
    released = 0
    for hold in payment_holds_of(session, checkout_id):
        if _shrink_hold(session, PaymentHold, hold.id, hold.amount_minor):
            _unhold_payment_money(session, hold.payment_id, hold.amount_minor)
            released += hold.amount_minor
    for hold in holds_of(session, checkout_id):
        if _shrink_hold(session, CreditHold, hold.id, hold.amount_minor):
            _give_back_credit(session, hold.credit_id, hold.amount_minor)
            released += hold.amount_minor
    session.flush()
    return released


@dataclass(slots=True)
class CreditUse:
    """Credit a settling checkout put on invoices: allocations made, per credit."""

    allocations: list[PaymentAllocation] = field(default_factory=list[PaymentAllocation])

    @property
    def total(self) -> int:
        return sum(a.amount_minor for a in self.allocations)


def apply_held_credit(
    session: Session,
    *,
    checkout_id: int,
    invoice_id: int,
    amount_minor: int,
    payment_id: int | None,
) -> CreditUse:
    """Put up to `amount_minor` of a checkout's held credit on an invoice (the hold turns into
    allocations); returns what was applied. The invoice must owe it (see `_pay_invoice`)."""
    use = CreditUse()
    left = int(amount_minor)
    for hold in holds_of(session, checkout_id):
        if left <= 0:
            break
        take = min(left, hold.amount_minor)
        if not _shrink_hold(session, CreditHold, hold.id, take):
            continue
        _pay_invoice(session, invoice_id, take)
        allocation = PaymentAllocation(
            company_id=hold.company_id,
            payment_id=payment_id,
            credit_id=hold.credit_id,
            invoice_id=invoice_id,
            amount_minor=take,
        )
        session.add(allocation)
        use.allocations.append(allocation)
        left -= take
    session.flush()
    return use


def allocate_credit(
    session: Session,
    *,
    credit: Credit,
    invoice_id: int,
    amount_minor: int,
    payment_id: int | None = None,
) -> PaymentAllocation:
    """Apply `amount_minor` of a credit note's balance to an open invoice."""
    amount = _require_positive(amount_minor)
    _take_credit(session, id_of(credit), amount)
    _pay_invoice(session, invoice_id, amount)
    allocation = PaymentAllocation(
        company_id=credit.company_id,
        payment_id=payment_id,
        credit_id=credit.id,
        invoice_id=invoice_id,
        amount_minor=amount,
    )
    session.add(allocation)
    session.flush()
    return allocation


def void_credit(session: Session, *, credit_id: int, amount_minor: int) -> int:
    """Take back up to `amount_minor` of a credit's unused balance (it was never really owed,
    e.g. the plan-change credit of a refunded period); returns how much was voided."""
    credit = session.exec(
        select(Credit)
        .where(Credit.id == credit_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    take = min(int(amount_minor), credit.balance_minor)
    if take <= 0:
        return 0
    balance_after = col(Credit.balance_minor) - take
    result = session.exec(
        update(Credit)
        .where(col(Credit.id) == credit_id, col(Credit.balance_minor) >= take)
        .values(
            balance_minor=balance_after,
            voided_minor=Credit.voided_minor + take,
            status=case(
                (balance_after > 0, Credit.status),
                (col(Credit.voided_minor) + take == Credit.amount_minor, "cancelled"),
                else_="applied",
            ),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session="fetch")
    )
    if not _changed(result):
        raise LedgerRefused(f"credit {credit_id} has not {take} left to void")
    return take


# -- unapplied payment money used at checkout ---------------------------------------------------


def unapplied_payment_rows(
    session: Session, *, company_id: int, client_id: int, currency: str
) -> list[Payment]:
    """The client's received payments in `currency` with unapplied money no checkout holds
    (pre-payments, over-payments), oldest first."""
    free = (
        col(Payment.amount_minor)
        - col(Payment.applied_minor)
        - col(Payment.refunded_minor)
        - col(Payment.held_minor)
    )
    return list(
        session.exec(
            select(Payment)
            .where(
                Payment.company_id == company_id,
                Payment.client_id == client_id,
                Payment.currency == currency,
                col(Payment.status).in_(RECEIVED_STATUSES),
                free > 0,
            )
            .order_by(col(Payment.created_at), col(Payment.id))
            .execution_options(populate_existing=True)
        ).all()
    )


def _hold_payment_money(session: Session, payment_id: int, amount: int) -> None:
    result = session.exec(
        update(Payment)
        .where(
            col(Payment.id) == payment_id,
            col(Payment.status).in_(RECEIVED_STATUSES),
            col(Payment.applied_minor)
            + col(Payment.refunded_minor)
            + col(Payment.held_minor)
            + amount
            <= Payment.amount_minor,
        )
        .values(held_minor=Payment.held_minor + amount, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if not _changed(result):
        raise LedgerRefused(f"payment {payment_id} has not {amount} unapplied to hold")


def _unhold_payment_money(session: Session, payment_id: int, amount: int) -> None:
    result = session.exec(
        update(Payment)
        .where(col(Payment.id) == payment_id, col(Payment.held_minor) >= amount)
        .values(held_minor=Payment.held_minor - amount, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if not _changed(result):
        raise LedgerRefused(f"payment {payment_id} does not hold {amount}")


def hold_unapplied(
    session: Session,
    *,
    checkout_id: int,
    company_id: int,
    client_id: int,
    currency: str,
    amount_minor: int,
) -> int:
    """Set aside up to `amount_minor` of the client's unapplied payment money for a checkout,
    oldest payment first, so no other tab or staff action can spend it; returns how much was
    held (less when less is free)."""
    wanted = int(amount_minor)
    held = 0
    for payment in unapplied_payment_rows(
        session, company_id=company_id, client_id=client_id, currency=currency
    ):
        if held >= wanted:
            break
        take = min(free_unapplied_minor(payment), wanted - held)
        if take <= 0:
            continue
        try:
            with session.begin_nested():
                _hold_payment_money(session, id_of(payment), take)
        except LedgerRefused:
            continue  # spent meanwhile by another checkout: try the next payment
        session.add(
            PaymentHold(
                company_id=company_id,
                checkout_id=checkout_id,
                payment_id=id_of(payment),
                amount_minor=take,
            )
        )
        held += take
    session.flush()
    return held


def payment_holds_of(session: Session, checkout_id: int) -> list[PaymentHold]:
    """The checkout's active holds on unapplied payment money, oldest first."""
    return _checkout_holds(session, PaymentHold, checkout_id)


def apply_held_unapplied(
    session: Session, *, checkout_id: int, invoice_id: int, amount_minor: int
) -> int:
    """Put up to `amount_minor` of a checkout's held unapplied payment money on an invoice
    (each hold turns into an allocation of its payment); returns what was applied. The
    invoice must owe it (see `_pay_invoice`)."""
    applied = 0
    left = int(amount_minor)
    for hold in payment_holds_of(session, checkout_id):
        if left <= 0:
            break
        take = min(left, hold.amount_minor)
        if not _shrink_hold(session, PaymentHold, hold.id, take):
            continue
        moved = session.exec(
            update(Payment)
            .where(
                col(Payment.id) == hold.payment_id,
                col(Payment.status).in_(RECEIVED_STATUSES),
                col(Payment.held_minor) >= take,
            )
            .values(
                held_minor=Payment.held_minor - take,
                applied_minor=Payment.applied_minor + take,
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session="fetch")
        )
        if not _changed(moved):
            raise LedgerRefused(f"payment {hold.payment_id} does not hold {take}")
        _pay_invoice(session, invoice_id, take)
        session.add(
            PaymentAllocation(
                company_id=hold.company_id,
                payment_id=hold.payment_id,
                invoice_id=invoice_id,
                amount_minor=take,
            )
        )
        applied += take
        left -= take
    session.flush()
    return applied


def _cut_payment_holds(session: Session, payment_id: int, amount: int) -> int:
    """Take up to `amount` of a payment's held money away from the checkouts holding it
    (newest hold first): the gateway refunded it, so they cannot use it. Returns what was cut."""
    cut = 0
    holds = session.exec(
        select(PaymentHold)
        .where(PaymentHold.payment_id == payment_id)
        .order_by(col(PaymentHold.id).desc())
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for hold in holds:
        if cut >= amount:
            break
        take = min(amount - cut, hold.amount_minor)
        if not _shrink_hold(session, PaymentHold, hold.id, take):
            continue
        _unhold_payment_money(session, payment_id, take)
        cut += take
    return cut


# -- refunds -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefundApplied:
    """What moving a payment's refunded total up did."""

    increase: int
    from_unapplied: int
    invoices: list[dict[str, int]]


def raise_refunded_total(
    session: Session,
    *,
    payment: Payment,
    total_minor: int,
    from_invoices: Collection[int] = (),
) -> RefundApplied:
    """Bring a received payment's refunded total up to `total_minor` (the gateway's cumulative
    figure; capped at the amount). Money comes back first from the unapplied part (what no
    checkout holds, then what open checkouts hold: they lose it), then from
    its card allocations to `from_invoices` (what the refund is for, e.g. a subscription's
    period), then from the others, latest first, reopening those invoices. A smaller or equal
    total changes nothing (replays and reports out of order)."""
    current = locked_payment(session, id_of(payment))
    if current is None or current.status not in RECEIVED_STATUSES:
        raise LedgerRefused("only received money can be refunded")
    payment = current
    total = min(int(total_minor), payment.amount_minor)
    increase = total - payment.refunded_minor
    if increase <= 0:
        return RefundApplied(0, 0, [])
    from_unapplied = min(increase, free_unapplied_minor(payment))
    left = increase - from_unapplied
    if left > 0 and payment.held_minor > 0:
        # Unapplied money an open checkout holds: the refund comes before that checkout.
        from_held = _cut_payment_holds(session, id_of(payment), min(left, payment.held_minor))
        from_unapplied += from_held
        left -= from_held
    allocations = session.exec(
        select(PaymentAllocation)
        .where(
            PaymentAllocation.payment_id == payment.id,
            col(PaymentAllocation.credit_id).is_(None),
            PaymentAllocation.refunded_minor < PaymentAllocation.amount_minor,
        )
        .order_by(col(PaymentAllocation.created_at).desc(), col(PaymentAllocation.id).desc())
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    preferred = set(from_invoices)
    allocations = sorted(allocations, key=lambda a: a.invoice_id not in preferred)  # stable
    touched: list[dict[str, int]] = []
    from_allocations = 0
    for allocation in allocations:
        if left <= 0:
            break
        take = min(left, allocation.amount_minor - allocation.refunded_minor)
        result = session.exec(
            update(PaymentAllocation)
            .where(
                col(PaymentAllocation.id) == allocation.id,
                col(PaymentAllocation.refunded_minor) + take <= PaymentAllocation.amount_minor,
            )
            .values(refunded_minor=PaymentAllocation.refunded_minor + take)
            .execution_options(synchronize_session="fetch")
        )
        if not _changed(result):
            raise LedgerRefused(f"allocation {allocation.id} changed while refunding")
        _reopen_invoice(session, allocation.invoice_id, take)
        touched.append({"invoice_id": allocation.invoice_id, "amount": take})
        from_allocations += take
        left -= take
    if left > 0:
        raise LedgerRefused(f"payment {payment.id}: {left} of the refund has nowhere to come from")
    result = session.exec(
        update(Payment)
        .where(
            col(Payment.id) == payment.id,
            col(Payment.refunded_minor) == payment.refunded_minor,
            col(Payment.applied_minor) >= from_allocations,
        )
        .values(
            refunded_minor=total,
            applied_minor=Payment.applied_minor - from_allocations,
            status=PaymentStatus.REFUNDED
            if total >= payment.amount_minor
            else PaymentStatus.PARTLY_REFUNDED,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session="fetch")
    )
    if not _changed(result):
        raise LedgerRefused(f"payment {payment.id} changed while refunding")
    session.flush()
    return RefundApplied(increase, from_unapplied, touched)
