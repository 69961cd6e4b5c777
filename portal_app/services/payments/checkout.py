"""Paying invoices: checkout rules, invoice locks, and settling what the gateway confirmed.

The flow, each step in its own transaction owned by the caller:
1. `start_checkout` checks the invoices, amounts and credit, and locks the invoices for this
   checkout so a second window cannot charge them too.
2. The card part is charged with `charge_checkout` (gateway call outside any transaction; the
   checkout id is the idempotency key, and a conditional update lets only one caller charge).
3. `settle_checkout` writes the payment and allocations from what the *gateway* reports
   (browser flow, or a verified webhook), exactly once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from sqlalchemy import and_, case, delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from portal_app.core.card_labels import card_label, stored_card_label
from portal_app.core.db import id_of, utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext, ngettext
from portal_app.core.money import format_money, parse_major
from portal_app.core.pickling import positional_pickle
from portal_app.gateways.base import (
    CardDeclinedError,
    PaymentGateway,
    PaymentIntentResult,
)
from portal_app.models import (
    Checkout,
    Client,
    ClientContact,
    Company,
    Credit,
    GatewayCustomer,
    Invoice,
    InvoiceLock,
    Payment,
    PaymentMethod,
)
from portal_app.models.invoice import PAYABLE_STATUSES, VISIBLE_STATUSES
from portal_app.models.statuses import CheckoutStatus, PaymentMethodKind, PaymentStatus
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope
from portal_app.services.payments import ledger, payment_mail, payment_methods

MAX_INVOICES_PER_CHECKOUT = 100
LOCK_MINUTES = 15
# Stripe's largest single charge is 99,999,999 minor units.
MAX_CHARGE_MINOR = 99_999_999
# A checkout in one of these states settles when its card money arrives (even one given up:
# money the gateway took is always recorded).
SETTLEABLE_WITH_CARD = (
    CheckoutStatus.OPEN,
    CheckoutStatus.PROCESSING,
    CheckoutStatus.REQUIRES_ACTION,
    CheckoutStatus.FAILED,
    CheckoutStatus.EXPIRED,
)


def amount_due_minor(invoice: Invoice, today: date | None = None) -> int:
    """What is asked now: the open part of a partial deposit when one is set, else the balance."""
    if invoice.status not in PAYABLE_STATUSES or invoice.balance_minor <= 0:
        return 0
    if invoice.partial_minor > 0 and invoice.paid_to_date_minor < invoice.partial_minor:
        return min(invoice.partial_minor - invoice.paid_to_date_minor, invoice.balance_minor)
    return invoice.balance_minor


# -- preview --------------------------------------------------------------------------------


@positional_pickle
@dataclass(frozen=True, slots=True)
class CheckoutLineView:
    invoice_id: int
    number: str
    due_date: str
    balance: str
    amount_due: str
    amount_due_plain: str  # "123.45": the editable default in the amount field
    is_deposit: bool


@dataclass(frozen=True, slots=True)
class CheckoutPreview:
    currency: str
    lines: list[CheckoutLineView]
    total: str
    total_minor: int
    credit_available: str
    credit_available_minor: int
    # Unapplied money of earlier payments (pre-payments, over-payments) in this currency.
    unapplied_available: str
    unapplied_available_minor: int
    allow_under_payment: bool
    allow_over_payment: bool
    minimum_under_payment: str


def _payable_invoices(
    session: Session, actor: Actor, invoice_ids: Sequence[object], *, lock: bool = False
) -> list[Invoice]:
    """The actor's invoices with these ids, all payable now and of one currency.

    With `lock` (starting a checkout) the rows are read FOR UPDATE and fresh: a staff action
    settling one of them (mark paid, apply a payment, cancel) is waited for and then seen,
    so the card is never charged for an invoice staff just settled. The ids may come from the
    browser as anything, hence `object`: only positive ints count.
    """
    unique = sorted({int(i) for i in invoice_ids if isinstance(i, int) and i > 0})
    if not unique or len(unique) > MAX_INVOICES_PER_CHECKOUT:
        raise NotFoundError("invoice")
    query = select(Invoice)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.exec(
        query.where(
            client_scope(Invoice, actor),
            col(Invoice.status).in_(VISIBLE_STATUSES),
            col(Invoice.id).in_(unique),
        ).order_by(col(Invoice.due_date), col(Invoice.id))
    ).all()
    if len(found) != len(unique):
        raise NotFoundError("invoice")
    payable = [inv for inv in found if amount_due_minor(inv) > 0]
    if len(payable) != len(found):
        raise ValidationError("invoices", gettext("One of these invoices has nothing left to pay."))
    currencies = {inv.currency for inv in payable}
    if len(currencies) != 1:
        raise ValidationError("invoices", gettext("Pay invoices of one currency at a time."))
    return payable


def usable_credits(session: Session, actor: Actor, currency: str) -> list[Credit]:
    """The client's credits in `currency` with something left, oldest first."""
    return ledger.usable_credit_rows(
        session, company_id=actor.company_id, client_id=actor.client_id, currency=currency
    )


def usable_unapplied(session: Session, actor: Actor, currency: str) -> int:
    """The client's unapplied payment money in `currency` that a checkout may use now."""
    return sum(
        ledger.free_unapplied_minor(p)
        for p in ledger.unapplied_payment_rows(
            session, company_id=actor.company_id, client_id=actor.client_id, currency=currency
        )
    )


def _plain_major(minor: int, currency: str) -> str:
    from portal_app.core.money import Money

    return format(Money(minor, currency).to_decimal(), "f")


def preview(session: Session, *, actor: Actor, invoice_ids: list[int]) -> CheckoutPreview:
    """What the checkout page shows for the selected invoices (all must be the actor's)."""
    invoices = _payable_invoices(session, actor, invoice_ids)
    currency = invoices[0].currency
    locale = client_locale(session, actor)
    company = session.get_one(Company, actor.company_id)
    credit_minor = sum(c.balance_minor for c in usable_credits(session, actor, currency))
    unapplied = usable_unapplied(session, actor, currency)
    lines: list[CheckoutLineView] = []
    for inv in invoices:
        due = amount_due_minor(inv)
        lines.append(
            CheckoutLineView(
                invoice_id=id_of(inv),
                number=inv.number,
                due_date=str(inv.due_date or ""),
                balance=format_money(inv.balance_minor, currency, locale),
                amount_due=format_money(due, currency, locale),
                amount_due_plain=_plain_major(due, currency),
                is_deposit=due < inv.balance_minor,
            )
        )
    total = sum(amount_due_minor(inv) for inv in invoices)
    return CheckoutPreview(
        currency=currency,
        lines=lines,
        total=format_money(total, currency, locale),
        total_minor=total,
        credit_available=format_money(credit_minor, currency, locale),
        credit_available_minor=credit_minor,
        unapplied_available=format_money(unapplied, currency, locale),
        unapplied_available_minor=unapplied,
        allow_under_payment=company.allow_under_payment,
        allow_over_payment=company.allow_over_payment,
        minimum_under_payment=format_money(company.minimum_under_payment_minor, currency, locale),
    )


# -- start ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartedCheckout:
    checkout_id: int
    currency: str
    total_minor: int
    credit_minor: int
    card_minor: int
    prepaid_minor: int = 0  # unapplied money of earlier payments used


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """What the client asked for. Amounts are strings in major units as typed (or None = due)."""

    invoice_ids: list[int]
    amounts: dict[int, str] = field(default_factory=dict[int, str])
    apply_credit: bool = False
    payment_method_id: int | None = None
    save_card: bool = False
    # The credit the page showed when the client pressed Pay. When less can be held now (used
    # in another tab meanwhile), the checkout is refused with the new figure instead.
    expected_credit_minor: int | None = None
    # The card amount the page's summary showed: a checkout that would charge another amount
    # is refused with the new figure.
    expected_card_minor: int | None = None
    # Paying more than the invoices owe needs the client's explicit yes.
    confirm_over_payment: bool = False
    # Use the client's unapplied payment money (after credit, before the card), and the
    # figure the page showed for it (refused with the new figure when less is left).
    apply_unapplied: bool = False
    expected_unapplied_minor: int | None = None


class PartPaymentRules(Protocol):
    """The company's part-payment settings (a Company, or a copy of its rules)."""

    @property
    def allow_under_payment(self) -> bool: ...

    @property
    def minimum_under_payment_minor(self) -> int: ...


def smallest_part_minor(rules: PartPaymentRules, due_minor: int) -> int | None:
    """The least that may be paid towards `due_minor` when it is not paid in full, or None
    when the company takes only the full amount. The one rule for amounts typed on the pay
    page and for the parts of "pay an amount"."""
    if not rules.allow_under_payment:
        return None
    return min(rules.minimum_under_payment_minor, due_minor)


def _chosen_amount(company: Company, invoice: Invoice, typed: str | None) -> int:
    due = amount_due_minor(invoice)
    if typed is None or str(typed).strip() == "":
        return due
    field_name = f"amount_{invoice.id}"
    try:
        amount = parse_major(str(typed), invoice.currency)
    except ValueError as exc:
        raise ValidationError(field_name, str(exc)) from exc
    if amount <= 0:
        raise ValidationError(field_name, gettext("Enter an amount greater than zero."))
    smallest = smallest_part_minor(company, due)
    if amount < due and smallest is None:
        raise ValidationError(field_name, gettext("Pay the full amount due."))
    if amount < due and smallest is not None and amount < smallest:
        raise ValidationError(
            field_name,
            gettext("The smallest amount you can pay is %(amount)s.")
            % {"amount": format_money(smallest, invoice.currency)},
        )
    if amount > invoice.balance_minor and not company.allow_over_payment:
        raise ValidationError(field_name, gettext("You cannot pay more than the balance."))
    if amount > MAX_CHARGE_MINOR:
        raise ValidationError(field_name, gettext("That amount is too large for one payment."))
    return amount


@dataclass(frozen=True, slots=True)
class _Amounts:
    """The money of one checkout, worked out once for the preview and for `start_checkout`."""

    lines: list[dict[str, int]]  # {"invoice_id", "amount_minor"}: what each invoice gets
    due_minor: int  # what the invoices ask now (deposits, balances)
    total_minor: int  # what the client pays in all (typed amounts or what is due)
    owed_minor: int  # the part the invoices can take: each line up to its balance
    credit_minor: int  # credit used: never more than the invoices can take
    prepaid_minor: int  # unapplied payment money used: never more than what credit leaves
    card_minor: int  # the rest, charged to the card

    @property
    def over_minor(self) -> int:
        """Paid beyond the balances: kept on the payment as unapplied money."""
        return self.total_minor - self.owed_minor


def _lines_of(
    company: Company, invoices: list[Invoice], amounts: dict[int, str]
) -> tuple[list[dict[str, int]], int, int]:
    """Each invoice's amount (typed or due), the total, and the part the balances can take."""
    lines = [
        {
            "invoice_id": id_of(inv),
            "amount_minor": _chosen_amount(company, inv, amounts.get(id_of(inv))),
        }
        for inv in invoices
    ]
    total = sum(line["amount_minor"] for line in lines)
    if total > MAX_CHARGE_MINOR:
        raise ValidationError(
            "invoices", gettext("That is too much for one payment; pay fewer invoices.")
        )
    owed = sum(
        min(line["amount_minor"], inv.balance_minor)
        for line, inv in zip(lines, invoices, strict=True)
    )
    return lines, total, owed


def _work_out(
    company: Company,
    invoices: list[Invoice],
    amounts: dict[int, str],
    credit_minor: int,
    unapplied_minor: int = 0,
) -> _Amounts:
    """The checkout's amounts with `credit_minor` of credit and `unapplied_minor` of unapplied
    payment money available (or held) for it: credit first, then the unapplied money.

    Both pay only what the invoices owe: an over-payment's extra is card money, kept as
    unapplied (credit or unapplied money turned into unapplied money would help nobody).
    """
    lines, total, owed = _lines_of(company, invoices, amounts)
    credit = max(0, min(credit_minor, owed))
    prepaid = max(0, min(unapplied_minor, owed - credit))
    return _Amounts(
        lines=lines,
        due_minor=sum(amount_due_minor(inv) for inv in invoices),
        total_minor=total,
        owed_minor=owed,
        credit_minor=credit,
        prepaid_minor=prepaid,
        card_minor=total - credit - prepaid,
    )


@dataclass(frozen=True, slots=True)
class PaymentSummaryView:
    """What the pay page shows under the invoices, as the client types (formatted strings)."""

    due: str  # what the selected invoices ask now
    paying: str  # what the client chose to pay towards them in all
    paying_differs: bool  # typed amounts differ from what is due
    credit_applied: str
    credit_applied_minor: int
    unapplied_applied: str  # unapplied payment money used
    unapplied_applied_minor: int
    card: str  # charged to the card
    card_minor: int
    over_payment: str  # beyond the balances, kept as unapplied money
    over_payment_minor: int
    button_label: str  # "Pay $135.00"


def _summary_view(amounts: _Amounts, currency: str, locale: str) -> PaymentSummaryView:
    def fmt(minor: int) -> str:
        return format_money(minor, currency, locale)

    card = fmt(amounts.card_minor)
    return PaymentSummaryView(
        due=fmt(amounts.due_minor),
        paying=fmt(amounts.total_minor),
        paying_differs=amounts.total_minor != amounts.due_minor,
        credit_applied=fmt(amounts.credit_minor),
        credit_applied_minor=amounts.credit_minor,
        unapplied_applied=fmt(amounts.prepaid_minor),
        unapplied_applied_minor=amounts.prepaid_minor,
        card=card,
        card_minor=amounts.card_minor,
        over_payment=fmt(amounts.over_minor),
        over_payment_minor=amounts.over_minor,
        button_label=_button_label(amounts, card),
    )


def _button_label(amounts: _Amounts, card: str) -> str:
    """What the Pay button says: the card amount, or what pays when no card is charged."""
    if amounts.card_minor > 0:
        return gettext("Pay %(amount)s") % {"amount": card}
    if amounts.prepaid_minor == 0:
        return gettext("Pay with my credit")
    if amounts.credit_minor == 0:
        return gettext("Pay with my unapplied payments")
    return gettext("Pay with my credit and unapplied payments")


def payment_summary(
    session: Session,
    *,
    actor: Actor,
    invoice_ids: list[int],
    amounts: dict[int, str],
    apply_credit: bool,
    apply_unapplied: bool = False,
) -> PaymentSummaryView:
    """What paying these invoices with these typed amounts (and credit and unapplied payment
    money, if chosen) would charge, by the rules `start_checkout` applies; a bad amount is a
    ValidationError naming its field. Nothing is held or locked: `start_checkout` checks
    again."""
    invoices = _payable_invoices(session, actor, invoice_ids)
    company = session.get_one(Company, actor.company_id)
    currency = invoices[0].currency
    credit = (
        sum(c.balance_minor for c in usable_credits(session, actor, currency))
        if apply_credit
        else 0
    )
    unapplied = usable_unapplied(session, actor, currency) if apply_unapplied else 0
    return _summary_view(
        _work_out(company, invoices, amounts, credit, unapplied),
        currency,
        client_locale(session, actor),
    )


def _release_expired_locks(session: Session, invoice_ids: list[int]) -> None:
    session.exec(
        delete(InvoiceLock).where(
            col(InvoiceLock.invoice_id).in_(invoice_ids), col(InvoiceLock.expires_at) < utcnow()
        )
    )


def _supersede_unstarted(session: Session, actor: Actor, invoice_ids: list[int]) -> None:
    """Free invoices held by this client's abandoned checkouts that never reached the gateway.

    The conditional update makes this safe against a tab that is charging right now: a checkout
    already claimed for charging is no longer "open" and keeps its locks.
    """
    holders = session.exec(
        select(InvoiceLock.checkout_id).where(col(InvoiceLock.invoice_id).in_(invoice_ids))
    ).all()
    for checkout_id in set(holders):
        result = session.exec(
            update(Checkout)
            .where(
                col(Checkout.id) == checkout_id,
                client_scope(Checkout, actor),
                col(Checkout.status) == CheckoutStatus.OPEN,
                col(Checkout.gateway_intent_id).is_(None),
                col(Checkout.charge_attempts) == 0,
            )
            .values(status=CheckoutStatus.EXPIRED, updated_at=utcnow())
        )
        if result.rowcount == 1:
            session.exec(delete(InvoiceLock).where(col(InvoiceLock.checkout_id) == checkout_id))
            ledger.release_holds(session, checkout_id=checkout_id)


def _release_stale_holds(session: Session, actor: Actor) -> None:
    """Give back the credit and unapplied payment money held by this client's checkouts
    abandoned for longer than a lock lasts: unstarted ones expire; ones waiting for 3-D Secure
    keep their card step, and should it still succeed their settle takes credit and unapplied
    money afresh (or charges only what the card paid)."""
    cutoff = utcnow() - timedelta(minutes=LOCK_MINUTES)
    stale = session.exec(
        select(Checkout.id, Checkout.status)
        .where(
            client_scope(Checkout, actor),
            col(Checkout.status).in_(("open", "requires_action")),
            or_(col(Checkout.credit_minor) > 0, col(Checkout.prepaid_minor) > 0),
            Checkout.updated_at < cutoff,
        )
        .limit(50)
    ).all()
    for checkout_id, status in stale:
        if checkout_id is None:  # a primary key never is; this narrows the column's type
            continue
        if status == "open":
            expired = session.exec(
                update(Checkout)
                .where(
                    col(Checkout.id) == checkout_id,
                    col(Checkout.status) == CheckoutStatus.OPEN,
                    col(Checkout.gateway_intent_id).is_(None),
                    col(Checkout.charge_attempts) == 0,
                )
                .values(status=CheckoutStatus.EXPIRED, updated_at=utcnow())
            )
            if expired.rowcount != 1:
                continue
            session.exec(delete(InvoiceLock).where(col(InvoiceLock.checkout_id) == checkout_id))
        ledger.release_holds(session, checkout_id=checkout_id)


def _held_elsewhere(minutes: int) -> str:
    return ngettext(
        "One of these invoices is already being paid, perhaps in another window. "
        "It is held for %(num)d minute more.",
        "One of these invoices is already being paid, perhaps in another window. "
        "It is held for %(num)d minutes more.",
        minutes,
    ) % {"num": minutes}


def _held_for_bank(minutes: int) -> str:
    return ngettext(
        "An earlier payment of these invoices is waiting for your bank's confirmation "
        "(3-D Secure). They are held for %(num)d minute more, or you can cancel that attempt.",
        "An earlier payment of these invoices is waiting for your bank's confirmation "
        "(3-D Secure). They are held for %(num)d minutes more, or you can cancel that attempt.",
        minutes,
    ) % {"num": minutes}


@dataclass(frozen=True, slots=True)
class HeldAttemptView:
    """An unfinished checkout holding some of the selected invoices, as the pay page says it."""

    checkout_id: int
    minutes_left: int
    cancellable: bool  # waiting for 3-D Secure: the client can cancel it
    message: str


def held_attempt(
    session: Session, *, actor: Actor, invoice_ids: list[int]
) -> HeldAttemptView | None:
    """The client's own unfinished checkout that holds one of these invoices now, if any."""
    now = utcnow()
    row = session.exec(
        select(InvoiceLock.expires_at, Checkout)
        .join(Checkout, col(Checkout.id) == InvoiceLock.checkout_id)
        .where(
            col(InvoiceLock.invoice_id).in_(invoice_ids[:MAX_INVOICES_PER_CHECKOUT]),
            client_scope(Checkout, actor, whole_client=True),
        )
        .order_by(col(InvoiceLock.expires_at).desc())
    ).first()
    if row is None:
        return None
    expires_at, checkout = row
    if expires_at.tzinfo is None:  # SQLite gives naive UTC back
        expires_at = expires_at.replace(tzinfo=now.tzinfo)
    seconds = (expires_at - now).total_seconds()
    if seconds <= 0:
        return None
    # Rounded up: "1 minute" until it is free, never "0 minutes".
    minutes = max(1, -(-int(seconds) // 60))
    cancellable = (
        checkout.status == CheckoutStatus.REQUIRES_ACTION and checkout.gateway_intent_id is not None
    )
    held_for = _held_for_bank if cancellable else _held_elsewhere
    return HeldAttemptView(
        checkout_id=id_of(checkout),
        minutes_left=minutes,
        cancellable=cancellable,
        message=held_for(minutes),
    )


def start_checkout(session: Session, *, actor: Actor, request: CheckoutRequest) -> StartedCheckout:
    """Validate a checkout, fix its amounts and credit, and lock its invoices for it."""
    if not actor.may_move_money:
        raise ReadOnlyError(gettext("Staff preview cannot make payments."))
    company = session.get_one(Company, actor.company_id)
    invoices = _payable_invoices(session, actor, request.invoice_ids, lock=True)
    due_first_read = [amount_due_minor(inv) for inv in invoices]
    currency = invoices[0].currency
    # Checked before anything is held: the same figures the page's summary showed.
    planned = _work_out(company, invoices, request.amounts, 0)
    if planned.over_minor > 0 and not request.confirm_over_payment:
        raise ValidationError(
            "over_payment",
            gettext(
                "You are paying %(amount)s more than these invoices owe. Confirm that the extra "
                "is kept on your account."
            )
            % {"amount": format_money(planned.over_minor, currency, client_locale(session, actor))},
        )
    lines, total = planned.lines, planned.total_minor
    checkout = Checkout(
        company_id=actor.company_id,
        client_id=actor.client_id,
        contact_id=actor.contact_id,
        currency=currency,
        lines_json=json.dumps(lines),
        credit_minor=0,
        card_minor=total,
        save_card=bool(request.save_card),
    )
    session.add(checkout)
    session.flush()
    invoice_ids = [line["invoice_id"] for line in lines]
    _release_expired_locks(session, invoice_ids)
    _supersede_unstarted(session, actor, invoice_ids)
    try:
        with session.begin_nested():
            for invoice_id in invoice_ids:
                session.add(
                    InvoiceLock(
                        invoice_id=invoice_id,
                        checkout_id=id_of(checkout),
                        expires_at=utcnow() + timedelta(minutes=LOCK_MINUTES),
                    )
                )
            session.flush()
    except IntegrityError as exc:
        held = held_attempt(session, actor=actor, invoice_ids=invoice_ids)
        raise ValidationError(
            "invoices",
            held.message if held else _held_elsewhere(LOCK_MINUTES),
        ) from exc
    # Read the invoices again now that this transaction writes. On SQLite the first read ran
    # outside it (FOR UPDATE does nothing there), so another window could have paid them and
    # dropped its locks in between; this read is current (the write lock is held) and a
    # second charge is refused (tests/services/payments/test_checkout_concurrency.py).
    fresh = _payable_invoices(session, actor, request.invoice_ids, lock=True)
    if [amount_due_minor(inv) for inv in fresh] != due_first_read:
        raise ValidationError(
            "invoices",
            gettext("One of these invoices was paid in part meanwhile. Check the amounts."),
        )
    held_credit = 0
    if request.apply_credit or request.apply_unapplied:
        _release_stale_holds(session, actor)
    if request.apply_credit:
        # The credit is taken out of the credit notes now, so no other tab can plan it too.
        held_credit = ledger.hold_credit(
            session,
            checkout_id=id_of(checkout),
            company_id=actor.company_id,
            client_id=actor.client_id,
            currency=currency,
            amount_minor=planned.owed_minor,
        )
    held_unapplied = 0
    if request.apply_unapplied and planned.owed_minor > held_credit:
        # Set aside on the payments now, so no other tab (or staff) can spend it too.
        held_unapplied = ledger.hold_unapplied(
            session,
            checkout_id=id_of(checkout),
            company_id=actor.company_id,
            client_id=actor.client_id,
            currency=currency,
            amount_minor=planned.owed_minor - held_credit,
        )
    amounts = _work_out(company, invoices, request.amounts, held_credit, held_unapplied)
    locale = client_locale(session, actor)
    expected = request.expected_credit_minor
    if (
        request.apply_credit
        and expected is not None
        and held_credit < min(int(expected), planned.owed_minor)
    ):
        # Raised inside the caller's transaction: the holds and the checkout roll back.
        raise ValidationError(
            "credit",
            gettext(
                "Your available credit changed since this page opened: %(amount)s can be used "
                "now. Check the amount to pay and press Pay again."
            )
            % {"amount": format_money(held_credit, currency, locale)},
        )
    expected_unapplied = request.expected_unapplied_minor
    if (
        request.apply_unapplied
        and expected_unapplied is not None
        and held_unapplied < min(int(expected_unapplied), planned.owed_minor - held_credit)
    ):
        # Used in another tab (or applied by staff) since the page showed it: nothing is
        # charged, the holds roll back with the caller's transaction.
        raise ValidationError(
            "unapplied",
            gettext(
                "Your unapplied payments changed since this page opened: %(amount)s can be "
                "used now. Check the amount to pay and press Pay again."
            )
            % {"amount": format_money(held_unapplied, currency, locale)},
        )
    if request.expected_card_minor is not None and amounts.card_minor != int(
        request.expected_card_minor
    ):
        # The page showed another card amount (its summary is stale): never charge a surprise.
        raise ValidationError(
            "amounts",
            gettext("The amount to charge is now %(amount)s. Check it and press Pay again.")
            % {"amount": format_money(amounts.card_minor, currency, locale)},
        )
    credit_minor, card_minor = amounts.credit_minor, amounts.card_minor
    method = None
    if request.payment_method_id is not None and card_minor > 0:
        method = payment_methods.owned_method(
            session, actor=actor, method_id=request.payment_method_id
        )
    checkout.credit_minor = credit_minor
    checkout.prepaid_minor = amounts.prepaid_minor
    checkout.card_minor = card_minor
    checkout.payment_method_id = method.id if method else None
    checkout.gateway_payment_method = method.method_ref if method else ""
    checkout.save_card = bool(request.save_card) and method is None
    session.add(checkout)
    session.flush()
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action="checkout_started",
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type="checkout",
        entity_id=checkout.id,
        ip=actor.ip,
        details={
            "invoices": invoice_ids,
            "total": total,
            "credit": credit_minor,
            "unapplied": amounts.prepaid_minor,
        },
    )
    return StartedCheckout(
        id_of(checkout), currency, total, credit_minor, card_minor, amounts.prepaid_minor
    )


def own_checkout(session: Session, *, actor: Actor, checkout_id: int) -> Checkout:
    """The actor's own checkout with this id; NotFoundError for anyone else's."""
    checkout = session.get(Checkout, checkout_id)
    if (
        checkout is None
        or checkout.client_id != actor.client_id
        or checkout.company_id != actor.company_id
    ):
        raise NotFoundError("checkout")
    return checkout


# -- customers ------------------------------------------------------------------------------


def customer_ref_for(session: Session, *, actor: Actor, gateway: PaymentGateway) -> str:
    """The client's gateway customer, created at the gateway on first use."""
    existing = session.exec(
        select(GatewayCustomer).where(
            client_scope(GatewayCustomer, actor), GatewayCustomer.gateway == gateway.name
        )
    ).first()
    if existing:
        return existing.customer_ref
    client = session.get_one(Client, actor.client_id)
    contact = session.get(ClientContact, actor.contact_id)
    ref = gateway.ensure_customer(
        client_id=id_of(client), email=contact.email if contact else client.email, name=client.name
    )
    session.add(
        GatewayCustomer(
            company_id=actor.company_id,
            client_id=id_of(client),
            gateway=gateway.name,
            customer_ref=ref,
        )
    )
    session.flush()
    return ref


# -- charge ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChargeOutcome:
    """Where a checkout stands after a charge attempt."""

    status: str  # succeeded | requires_action | processing | failed
    client_secret: str = ""
    message: str = ""
    payment_id: int | None = None


def claim_for_charge(
    session: Session, *, actor: Actor, checkout_id: int, method_ref: str, method_label: str = ""
) -> Checkout | None:
    """Mark an open checkout as processing with this card; None if another caller got there."""
    if not actor.may_move_money:
        raise ReadOnlyError(gettext("Staff preview cannot make payments."))
    checkout = own_checkout(session, actor=actor, checkout_id=checkout_id)
    if checkout.card_minor <= 0:
        raise ValidationError("card", gettext("Nothing to charge to a card."))
    result = session.exec(
        update(Checkout)
        .where(col(Checkout.id) == checkout.id, col(Checkout.status) == CheckoutStatus.OPEN)
        .values(
            status=CheckoutStatus.PROCESSING,
            # A retry after a lost answer sends the very same request under the same
            # idempotency key, so the gateway answers it instead of charging again.
            gateway_payment_method=case(
                (col(Checkout.charge_attempts) > 0, Checkout.gateway_payment_method),
                else_=method_ref,
            ),
            method_label=case(
                (col(Checkout.charge_attempts) > 0, Checkout.method_label), else_=method_label[:100]
            ),
            charge_attempts=Checkout.charge_attempts + 1,
            updated_at=utcnow(),
        )
    )
    if result.rowcount != 1:
        return None
    session.refresh(checkout)
    return checkout


def charge(
    *, gateway: PaymentGateway, checkout: Checkout, customer_ref: str, save_for_later: bool = False
) -> tuple[PaymentIntentResult | None, str]:
    """Create and confirm the PaymentIntent for a claimed checkout (no database work here).

    `save_for_later`: the gateway keeps the new card once this payment succeeds.
    Returns the gateway's answer, or None and a message the client can read when declined.
    """
    try:
        intent = gateway.create_payment(
            amount_minor=checkout.card_minor,
            currency=checkout.currency,
            customer_ref=customer_ref,
            method_ref=checkout.gateway_payment_method,
            idempotency_key=f"checkout-{checkout.id}-charge",
            metadata={"checkout_id": str(checkout.id), "client_id": str(checkout.client_id)},
            save_for_later=save_for_later,
        )
    except CardDeclinedError as exc:
        return None, exc.message
    return intent, ""


def record_intent(
    session: Session, *, checkout_id: int, intent: PaymentIntentResult
) -> ChargeOutcome:
    """Store the gateway's answer on the checkout, settling it when the payment succeeded."""
    checkout = session.get(Checkout, checkout_id)
    if checkout is None:
        raise NotFoundError("checkout")
    if checkout.gateway_intent_id and checkout.gateway_intent_id != intent.intent_ref:
        raise ValidationError(
            "card", gettext("This checkout was already charged with another payment.")
        )
    if checkout.gateway_intent_id is None:
        checkout.gateway_intent_id = intent.intent_ref
        session.add(checkout)
        session.flush()
    if intent.succeeded:
        payment = settle_checkout(session, checkout_id=id_of(checkout), intent=intent)
        return ChargeOutcome("succeeded", payment_id=payment.id if payment else checkout.payment_id)
    if intent.status == "requires_action":
        checkout.status = CheckoutStatus.REQUIRES_ACTION
        session.add(checkout)
        return ChargeOutcome("requires_action", client_secret=intent.client_secret)
    if intent.status == "processing":
        return ChargeOutcome(
            # A msgid, translated where it is shown (state/card_payment.py).
            "processing",
            message=N_("Your bank is still processing this payment."),
        )
    message = intent.failure_message or N_("The payment was not completed.")
    fail_checkout(session, checkout_id=id_of(checkout), message=message)
    return ChargeOutcome("failed", message=message)


def fail_checkout(session: Session, *, checkout_id: int, message: str) -> None:
    """A checkout that will not be paid: record why, free its invoices, keep a failed payment."""
    # Claimed with a conditional update, like settling: a worker that read the checkout
    # before another settled it must not write "failed" over "succeeded".
    claimed = session.exec(
        update(Checkout)
        .where(
            col(Checkout.id) == checkout_id,
            col(Checkout.status).not_in((CheckoutStatus.SUCCEEDED, CheckoutStatus.FAILED)),
        )
        .values(status=CheckoutStatus.FAILED, failure_message=message[:500], updated_at=utcnow())
    )
    if claimed.rowcount != 1:
        return
    checkout = session.get_one(Checkout, checkout_id)
    session.refresh(checkout)
    pending = (
        session.exec(
            select(Payment).where(Payment.gateway_reference == checkout.gateway_intent_id)
        ).first()
        if checkout.gateway_intent_id
        else None
    )
    if pending is not None and pending.status == "pending":
        pending.status = PaymentStatus.FAILED
        pending.failure_message = message[:500]
        pending.updated_at = utcnow()
        session.add(pending)
    elif checkout.card_minor > 0:
        failed = Payment(
            company_id=checkout.company_id,
            client_id=checkout.client_id,
            contact_id=checkout.contact_id,
            number=_next_payment_number(),
            status=PaymentStatus.FAILED,
            currency=checkout.currency,
            amount_minor=checkout.card_minor,
            method=PaymentMethodKind.CARD,
            method_label=_method_label(session, checkout),
            gateway="stripe",
            gateway_reference=checkout.gateway_intent_id,
            failure_message=message[:500],
        )
        session.add(failed)
        session.flush()
        failed.number = f"PAY-{failed.id:06d}"
    session.exec(delete(InvoiceLock).where(col(InvoiceLock.checkout_id) == checkout.id))
    ledger.release_holds(session, checkout_id=id_of(checkout))
    audit.record(
        session,
        company_id=checkout.company_id,
        client_id=checkout.client_id,
        action="checkout_failed",
        actor_type="contact",
        actor_id=checkout.contact_id,
        entity_type="checkout",
        entity_id=checkout.id,
        details={"message": message[:200]},
    )


def _next_payment_number() -> str:
    # Replaced by a readable number from the row id once it is flushed.
    return f"tmp-{uuid.uuid4().hex}"


# -- settle ---------------------------------------------------------------------------------


def settle_checkout(
    session: Session, *, checkout_id: int, intent: PaymentIntentResult | None
) -> Payment | None:
    """Write the payment, allocations, invoice and credit changes of a paid checkout, once.

    `intent` is what the gateway reported (None for a checkout paid wholly by credit). Its
    amount, currency and checkout id must match; the settle happens only once however many
    times it is called (browser, webhook, retries). Invoices get the checkout's held credit
    and at most what the card actually paid; card money they can no longer take (paid
    elsewhere meanwhile) stays on the payment as unapplied, and unused credit goes back.
    """
    checkout = session.get(Checkout, checkout_id)
    if checkout is None:
        raise NotFoundError("checkout")
    if intent is None and checkout.card_minor > 0:
        raise ValidationError("card", gettext("A card payment is needed for this checkout."))
    if intent is not None:
        if not intent.succeeded:
            raise ValidationError("card", gettext("The payment has not succeeded."))
        if (
            intent.amount_minor != checkout.card_minor
            or intent.currency.upper() != checkout.currency
            or intent.metadata.get("checkout_id") != str(checkout.id)
        ):
            raise ValidationError("card", gettext("The gateway reported a different payment."))
    # Only one caller moves the checkout to succeeded; the others see rowcount 0 and stop.
    # A card checkout given up as failed or expired still settles: money the gateway took is
    # always recorded. A credit-only one that was given up never does (its credit went back).
    settleable = SETTLEABLE_WITH_CARD if intent is not None else (CheckoutStatus.OPEN,)
    claimed = session.exec(
        update(Checkout)
        .where(col(Checkout.id) == checkout.id, col(Checkout.status).in_(settleable))
        .values(status=CheckoutStatus.SUCCEEDED, updated_at=utcnow())
    )
    if claimed.rowcount != 1:
        session.refresh(checkout)
        if checkout.status != CheckoutStatus.SUCCEEDED:
            raise ValidationError(
                "invoices",
                gettext("This payment was replaced by a newer one. Reload to see your invoices."),
            )
        return session.get(Payment, checkout.payment_id) if checkout.payment_id else None
    session.refresh(checkout)

    now = utcnow()
    earlier = (
        session.exec(select(Payment).where(Payment.gateway_reference == intent.intent_ref)).first()
        if intent
        else None
    )
    payment = earlier or Payment(
        company_id=checkout.company_id,
        client_id=checkout.client_id,
        contact_id=checkout.contact_id,
        number=_next_payment_number(),
        currency=checkout.currency,
    )
    payment.status = PaymentStatus.COMPLETED
    payment.amount_minor = intent.amount_minor if intent else 0
    payment.method = PaymentMethodKind.CARD if intent else PaymentMethodKind.CREDIT
    payment.method_label = _method_label(session, checkout)
    payment.gateway = "stripe" if intent else ""
    payment.gateway_reference = intent.intent_ref if intent else None
    payment.failure_message = ""
    payment.paid_at = now
    payment.updated_at = now
    session.add(payment)
    session.flush()
    if payment.number.startswith("tmp-"):
        payment.number = f"PAY-{payment.id:06d}"

    if checkout.credit_minor > 0 and not ledger.holds_of(session, id_of(checkout)):
        # Its holds went back (given up, then the card money arrived): take what is left now.
        ledger.hold_credit(
            session,
            checkout_id=id_of(checkout),
            company_id=checkout.company_id,
            client_id=checkout.client_id,
            currency=checkout.currency,
            amount_minor=checkout.credit_minor,
        )
    if checkout.prepaid_minor > 0 and not ledger.payment_holds_of(session, id_of(checkout)):
        ledger.hold_unapplied(
            session,
            checkout_id=id_of(checkout),
            company_id=checkout.company_id,
            client_id=checkout.client_id,
            currency=checkout.currency,
            amount_minor=checkout.prepaid_minor,
        )
    card_left = payment.amount_minor
    from_credit_total = 0
    from_unapplied_total = 0
    for line in json.loads(checkout.lines_json):
        invoice = ledger.locked_invoice(session, int(line["invoice_id"]))
        if (
            invoice is None
            or invoice.company_id != checkout.company_id
            or invoice.client_id != checkout.client_id
            or invoice.status not in PAYABLE_STATUSES
        ):
            continue
        # Never more than the invoice still owes, even if it changed since the checkout began.
        wanted = min(int(line["amount_minor"]), invoice.balance_minor)
        if wanted <= 0:
            continue
        from_credit = ledger.apply_held_credit(
            session,
            checkout_id=id_of(checkout),
            invoice_id=id_of(invoice),
            amount_minor=wanted,
            payment_id=payment.id,
        ).total
        from_credit_total += from_credit
        from_unapplied = ledger.apply_held_unapplied(
            session,
            checkout_id=id_of(checkout),
            invoice_id=id_of(invoice),
            amount_minor=wanted - from_credit,
        )
        from_unapplied_total += from_unapplied
        # The card pays the rest, but never more than the gateway actually took.
        from_card = min(wanted - from_credit - from_unapplied, card_left)
        if from_card > 0:
            ledger.allocate_payment(
                session, payment=payment, invoice_id=id_of(invoice), amount_minor=from_card
            )
            card_left -= from_card
    # Held credit and unapplied money no invoice could take go back; card money left over
    # stays unapplied.
    ledger.release_holds(session, checkout_id=id_of(checkout))
    session.refresh(payment)
    checkout.payment_id = payment.id
    session.add(checkout)
    session.exec(delete(InvoiceLock).where(col(InvoiceLock.checkout_id) == checkout.id))
    audit.record(
        session,
        company_id=checkout.company_id,
        client_id=checkout.client_id,
        action="payment_completed",
        actor_type="contact",
        actor_id=checkout.contact_id,
        entity_type="payment",
        entity_id=payment.id,
        details={
            "checkout_id": checkout.id,
            "card": payment.amount_minor,
            "applied": payment.applied_minor,
            "credit": from_credit_total,
            "unapplied": from_unapplied_total,
        },
    )
    payment_mail.queue_receipt(session, payment)
    return payment


def _method_label(session: Session, checkout: Checkout) -> str:
    if checkout.card_minor <= 0:
        # Stored words, translated when shown (core.card_labels.shown_method_label).
        return "Credit" if checkout.credit_minor > 0 else "Unapplied payments"
    if checkout.method_label:
        return checkout.method_label
    method = session.exec(
        select(PaymentMethod).where(PaymentMethod.method_ref == checkout.gateway_payment_method)
    ).first()
    if method:
        return stored_card_label(method.brand, method.last4)
    return "Card"


def settle_with_credit_only(session: Session, *, actor: Actor, checkout_id: int) -> Payment:
    """Finish a checkout that available credit and unapplied payment money pay in full."""
    if not actor.may_move_money:
        raise ReadOnlyError(gettext("Staff preview cannot make payments."))
    checkout = own_checkout(session, actor=actor, checkout_id=checkout_id)
    if checkout.card_minor != 0:
        raise ValidationError("card", gettext("A card payment is needed for this checkout."))
    payment = settle_checkout(session, checkout_id=id_of(checkout), intent=None)
    if payment is None:
        raise NotFoundError("checkout")
    return payment


def checkout_payment_id(session: Session, *, actor: Actor, checkout_id: int) -> int | None:
    """The payment a checkout produced (for the receipt page), if it has settled."""
    return own_checkout(session, actor=actor, checkout_id=checkout_id).payment_id


# -- what the checkout page offers -------------------------------------------------------------


@positional_pickle
@dataclass(frozen=True, slots=True)
class SavedCardOption:
    id: int
    label: str  # "Visa •••• 4242 (12/2031)"
    is_default: bool


def saved_cards(session: Session, *, actor: Actor) -> list[SavedCardOption]:
    """The client's saved cards to pay with, default first."""
    methods = session.exec(
        select(PaymentMethod)
        .where(
            client_scope(PaymentMethod, actor),  # no saved card from an e-mailed link
            col(PaymentMethod.removed_at).is_(None),
        )
        .order_by(col(PaymentMethod.is_default).desc(), col(PaymentMethod.id).desc())
    ).all()
    return [
        SavedCardOption(
            id=id_of(m),
            label=f"{card_label(m.brand, m.last4)} ({m.exp_month:02d}/{m.exp_year})",
            is_default=m.is_default,
        )
        for m in methods
    ]


def method_ref_of(session: Session, *, actor: Actor, method_id: int) -> str:
    """The gateway token of one of the client's saved cards."""
    return payment_methods.owned_method(session, actor=actor, method_id=method_id).method_ref


@positional_pickle
@dataclass(frozen=True, slots=True)
class PayableGroup:
    currency: str
    count: int
    total: str


def _pay_all_due(actor: Actor):
    """ "Pay all due", defined once: the invoices the client can pay now with what each asks
    (`amount_due_minor` as SQL), ranked oldest due first within each currency. A checkout
    takes the first MAX_INVOICES_PER_CHECKOUT of a currency, so the button's total
    (`payable_groups`) and the checkout it opens (`payable_ids`) count the same invoices."""
    due = _amount_due_sql()
    rank = func.row_number().over(
        partition_by=Invoice.currency, order_by=(col(Invoice.due_date), col(Invoice.id))
    )
    return (
        # col() gives Mapped[...], whose .label() SQLAlchemy's stubs leave untyped.
        select(
            col(Invoice.id).label("id"),  # pyright: ignore[reportUnknownArgumentType]
            col(Invoice.currency).label("currency"),  # pyright: ignore[reportUnknownArgumentType]
            due.label("due"),
            rank.label("rank"),
        )
        .where(
            client_scope(Invoice, actor),
            col(Invoice.status).in_(PAYABLE_STATUSES),
            Invoice.balance_minor > 0,
            due > 0,
        )
        .subquery()
    )


def payable_groups(session: Session, *, actor: Actor) -> list[PayableGroup]:
    """The "Pay all due" buttons: per currency, how many invoices and how much the checkout
    behind the button (`payable_ids`) asks.

    Summed in the database (the list page asks on every load, and a client may have
    thousands of open invoices).
    """
    rows = _pay_all_due(actor)
    totals = session.exec(
        select(rows.c.currency, func.count(), func.sum(rows.c.due))
        .where(rows.c.rank <= MAX_INVOICES_PER_CHECKOUT)
        .group_by(rows.c.currency)
        .order_by(rows.c.currency)
    ).all()
    if not totals:
        return []
    locale = client_locale(session, actor)
    return [
        PayableGroup(currency=cur, count=count, total=format_money(int(total), cur, locale))
        for cur, count, total in totals
    ]


def _amount_due_sql() -> ColumnElement[int]:
    """`amount_due_minor` of an invoice row that is payable with a balance, as an SQL
    expression: the open part of the deposit while one is set and not yet paid (never more
    than the balance), else the balance."""
    deposit_open = col(Invoice.partial_minor) - Invoice.paid_to_date_minor
    return case(
        (
            and_(
                col(Invoice.partial_minor) > 0,
                col(Invoice.paid_to_date_minor) < Invoice.partial_minor,
                deposit_open < Invoice.balance_minor,
            ),
            deposit_open,
        ),
        else_=Invoice.balance_minor,
    )


def payable_ids(session: Session, *, actor: Actor, currency: str) -> list[int]:
    """The invoices a "Pay all due" button in `currency` pays, oldest due first."""
    rows = _pay_all_due(actor)
    return list(
        session.exec(
            select(rows.c.id)
            .where(rows.c.currency == currency, rows.c.rank <= MAX_INVOICES_PER_CHECKOUT)
            .order_by(rows.c.rank)
        ).all()
    )


def reusable_checkout(
    session: Session, *, actor: Actor, checkout_id: int | None, request: CheckoutRequest
) -> StartedCheckout | None:
    """An earlier open checkout for exactly this request (a retry keeps its idempotency key).

    An open checkout for something else is abandoned, freeing its invoices.
    """
    if not checkout_id:
        return None
    checkout = session.get(Checkout, checkout_id)
    if (
        checkout is None
        or checkout.client_id != actor.client_id
        or checkout.status != CheckoutStatus.OPEN
    ):
        return None
    if checkout.gateway_intent_id is None and checkout.charge_attempts == 0:
        # Never reached the gateway: nothing can have been charged; start afresh.
        checkout.status = CheckoutStatus.EXPIRED
        session.add(checkout)
        session.exec(delete(InvoiceLock).where(col(InvoiceLock.checkout_id) == checkout.id))
        ledger.release_holds(session, checkout_id=id_of(checkout))
        return None
    # Sent to the gateway (perhaps with its answer lost to a timeout): a retry of the same
    # request reuses this checkout and so its idempotency key, and can never charge twice.
    lines = json.loads(checkout.lines_json)
    wanted = sorted({int(i) for i in request.invoice_ids})
    if sorted(line["invoice_id"] for line in lines) != wanted:
        return None
    total = sum(int(line["amount_minor"]) for line in lines)
    return StartedCheckout(
        id_of(checkout),
        checkout.currency,
        total,
        checkout.credit_minor,
        checkout.card_minor,
        checkout.prepaid_minor,
    )
