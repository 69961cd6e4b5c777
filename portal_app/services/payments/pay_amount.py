""" "Pay an amount": one sum the client enters, applied to their oldest due invoices first.

`allocate` is the rule, a pure function: invoices of one currency, oldest due date first (then
number), each paid up to what it owes; the last one touched may be paid in part when the
company allows part payments (and the part reaches the company's minimum); what is left stays
unapplied on the payment (an over-payment, shown in Payments), when the company allows
over-payments. `plan` reads the client's due invoices (scoped like "Pay all due") and splits a
typed amount; `start` turns a split the client confirmed into an ordinary checkout
(services.payments.checkout), which checks every rule again, locks the invoices and is charged
through the same card steps as the pay page, so money moves only through the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from portal_app.core.db import id_of
from portal_app.core.errors import ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext as _
from portal_app.core.money import currency_exponent, format_money, parse_major
from portal_app.core.pickling import positional_pickle
from portal_app.models import Company
from portal_app.services.company.locale import client_locale
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co

MAX_TYPED = 20


@dataclass(frozen=True, slots=True)
class DueInvoice:
    """One payable invoice as the allocation sees it (minor units of `currency`)."""

    invoice_id: int
    number: str
    due_date: date | None
    currency: str
    owed_minor: int  # its balance: what money paid towards it can take
    due_minor: int  # what it asks now (a deposit's open part, else the balance)


@dataclass(frozen=True, slots=True)
class PaymentRules:
    """The company's part- and over-payment rules (the ones the pay page applies)."""

    allow_under_payment: bool = False
    minimum_under_payment_minor: int = 0
    allow_over_payment: bool = False

    @classmethod
    def of(cls, company: Company) -> PaymentRules:
        """The rules as the company set them."""
        return cls(
            company.allow_under_payment,
            company.minimum_under_payment_minor,
            company.allow_over_payment,
        )


@dataclass(frozen=True, slots=True)
class Allocation:
    """A split: (invoice id, amount) oldest first, and what no invoice takes."""

    lines: tuple[tuple[int, int], ...]
    applied_minor: int
    unapplied_minor: int
    # The invoice that could not take a part payment (the rules), when the split stopped there.
    stopped_at: DueInvoice | None = None


def _oldest_first(invoice: DueInvoice) -> tuple[bool, date, str, int]:
    return (
        invoice.due_date is None,
        invoice.due_date or date.max,
        invoice.number,
        invoice.invoice_id,
    )


def allocate(
    invoices: list[DueInvoice], *, amount_minor: int, currency: str, rules: PaymentRules
) -> Allocation:
    """Split `amount_minor` of `currency` over `invoices` (other currencies are ignored),
    oldest due first, each up to its balance. Pure: no rule is refused here; `plan` says
    what the rules make of a split (nothing applied, or an unapplied rest not allowed)."""
    left = amount_minor
    lines: list[tuple[int, int]] = []
    stopped_at = None
    for invoice in sorted((i for i in invoices if i.currency == currency), key=_oldest_first):
        if left <= 0 or invoice.owed_minor <= 0:
            continue
        part = min(left, invoice.owed_minor)
        smallest = co.smallest_part_minor(rules, invoice.due_minor)
        if part < invoice.due_minor and (smallest is None or part < smallest):
            # The pay page's rule for a typed amount: this part cannot be paid.
            stopped_at = invoice
            break
        lines.append((invoice.invoice_id, part))
        left -= part
    applied = sum(part for _id, part in lines)
    return Allocation(tuple(lines), applied, amount_minor - applied, stopped_at)


# -- with the database ----------------------------------------------------------------------------


@positional_pickle
@dataclass(frozen=True, slots=True)
class SplitLineView:
    invoice_id: int
    number: str
    due_date: str
    balance: str
    paying: str
    settles: bool  # pays the invoice in full


@dataclass(frozen=True, slots=True)
class AmountPlan:
    """What the client confirms: the split, formatted, and the figures the checkout needs."""

    currency: str
    amount_minor: int
    amount: str
    lines: list[SplitLineView]
    applied: str
    unapplied: str
    unapplied_minor: int
    split: tuple[tuple[int, int], ...]


def due_invoices(session: Session, *, actor: Actor, currency: str) -> list[DueInvoice]:
    """The client's invoices a payment in `currency` would pay, oldest due first: the same
    invoices as "Pay all due" (scoped to the actor's client; at most one checkout's worth)."""
    ids = co.payable_ids(session, actor=actor, currency=currency)
    if not ids:
        return []
    return [
        DueInvoice(
            invoice_id=id_of(inv),
            number=inv.number,
            due_date=inv.due_date,
            currency=inv.currency,
            owed_minor=inv.balance_minor,
            due_minor=co.amount_due_minor(inv),
        )
        for inv in co._payable_invoices(session, actor, ids)  # pyright: ignore[reportPrivateUsage]
    ]


def currencies(session: Session, *, actor: Actor) -> list[str]:
    """The currencies the client owes something in (the form's currency choice)."""
    return [group.currency for group in co.payable_groups(session, actor=actor)]


def parse_amount(text: object, currency: str) -> int:
    """The typed amount in minor units; ValidationError("amount") says what is wrong."""
    typed = str(text if text is not None else "").strip()
    if not typed:
        raise ValidationError("amount", _("Enter an amount."))
    if len(typed) > MAX_TYPED:
        raise ValidationError("amount", _("That amount is too large for one payment."))
    try:
        minor = parse_major(typed, currency)
    except ValueError as exc:
        if "decimal places" in str(exc):
            raise ValidationError(
                "amount",
                _("%(currency)s allows at most %(decimals)d decimal places.")
                % {"currency": currency, "decimals": currency_exponent(currency)},
            ) from exc
        raise ValidationError("amount", _("Enter an amount such as 12.50.")) from exc
    if minor <= 0:
        raise ValidationError("amount", _("Enter an amount greater than zero."))
    if minor > co.MAX_CHARGE_MINOR:
        raise ValidationError("amount", _("That amount is too large for one payment."))
    return minor


def plan(session: Session, *, actor: Actor, amount: object, currency: object) -> AmountPlan:
    """Split a typed amount over the client's due invoices in `currency`, by the company's
    rules; a ValidationError names the field ("currency" or "amount") and says why."""
    wanted = str(currency or "").strip().upper()[:3]
    if wanted not in currencies(session, actor=actor):
        raise ValidationError("currency", _("You have nothing to pay in this currency."))
    minor = parse_amount(amount, wanted)
    invoices = due_invoices(session, actor=actor, currency=wanted)
    company = session.get_one(Company, actor.company_id)
    split = allocate(invoices, amount_minor=minor, currency=wanted, rules=PaymentRules.of(company))
    locale = client_locale(session, actor)

    def fmt(value: int) -> str:
        return format_money(value, wanted, locale)

    if not split.lines:
        first = split.stopped_at or invoices[0]
        smallest = (
            min(company.minimum_under_payment_minor, first.due_minor)
            if company.allow_under_payment
            else first.due_minor
        )
        raise ValidationError(
            "amount",
            _("Your oldest invoice, %(number)s, needs at least %(amount)s.")
            % {"number": first.number, "amount": fmt(max(smallest, 1))},
        )
    if split.unapplied_minor > 0 and not company.allow_over_payment:
        raise ValidationError(
            "amount",
            _("You can pay %(applied)s now, which settles whole invoices; or pay %(more)s.")
            % {
                "applied": fmt(split.applied_minor),
                "more": fmt(split.applied_minor + split.stopped_at.due_minor),
            }
            if split.stopped_at is not None
            else _("You owe %(total)s in all; you cannot pay more than that.")
            % {"total": fmt(split.applied_minor)},
        )
    by_id = {invoice.invoice_id: invoice for invoice in invoices}
    return AmountPlan(
        currency=wanted,
        amount_minor=minor,
        amount=fmt(minor),
        lines=[
            SplitLineView(
                invoice_id=invoice_id,
                number=by_id[invoice_id].number,
                due_date=str(by_id[invoice_id].due_date or ""),
                balance=fmt(by_id[invoice_id].owed_minor),
                paying=fmt(part),
                settles=part >= by_id[invoice_id].owed_minor,
            )
            for invoice_id, part in split.lines
        ],
        applied=fmt(split.applied_minor),
        unapplied=fmt(split.unapplied_minor),
        unapplied_minor=split.unapplied_minor,
        split=split.lines,
    )


def start(
    session: Session,
    *,
    actor: Actor,
    amount: object,
    currency: object,
    confirmed_split: tuple[tuple[int, int], ...] | list[list[int]],
    payment_method_id: int | None = None,
    save_card: bool = False,
) -> co.StartedCheckout:
    """Start the checkout for a split the client confirmed. The split is worked out again
    here: if the invoices changed meanwhile (paid elsewhere, a new one), nothing is started
    and the client sees the new split. The rest no invoice takes rides on the last line as
    the pay page's confirmed over-payment, so the settle keeps it unapplied on the payment."""
    if not actor.may_move_money:
        raise ReadOnlyError(_("Staff preview cannot make payments."))
    fresh = plan(session, actor=actor, amount=amount, currency=currency)
    if [tuple(line) for line in confirmed_split] != [tuple(line) for line in fresh.split]:
        raise ValidationError(
            "split", _("Your invoices changed since you saw the split. Check the new split.")
        )
    amounts = dict(fresh.split)
    amounts[fresh.split[-1][0]] += fresh.unapplied_minor
    plain = co._plain_major  # pyright: ignore[reportPrivateUsage]
    return co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(
            invoice_ids=[invoice_id for invoice_id, _part in fresh.split],
            amounts={i: plain(part, fresh.currency) for i, part in amounts.items()},
            payment_method_id=payment_method_id,
            save_card=save_card,
            expected_card_minor=fresh.amount_minor,
            confirm_over_payment=fresh.unapplied_minor > 0,
        ),
    )
