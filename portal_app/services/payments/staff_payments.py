"""Money on the staff side: mark an invoice paid, apply unapplied payments, refund a card.

- mark_paid records a manual Payment of the invoice's whole balance with its allocation.
- apply_unapplied moves a payment's unapplied money (a pre-payment or over-payment) onto one or
  several invoices of the same client and currency, all or nothing.
- refund_card_payment asks Stripe to refund part or all of a card payment, then applies the
  cumulative total Stripe reports through services.refunds (the same code as the webhook, so a
  later `charge.refunded` event changes nothing more). Only owners and admins refund.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlmodel import Session

from portal_app.core.db import id_of, utcnow
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.core.money import format_money, parse_major
from portal_app.gateways.base import PaymentGateway
from portal_app.models import Invoice, Payment
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.models.statuses import InvoiceStatus, PaymentMethodKind, PaymentStatus
from portal_app.services.billing.staff_lists import company_locale
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_scope import (
    StaffAction,
    being_paid,
    own_row,
    record,
    require_role,
)
from portal_app.services.payments import ledger, refunds

Tx = Callable[[], AbstractContextManager[Session]]
MAX_APPLY_INVOICES = 50
MAX_REFERENCE = 100


def _temporary_number() -> str:
    # Replaced by PAY-<id> once the row is flushed (as checkout does).
    return f"tmp-{uuid.uuid4().hex}"


def mark_paid(
    session: Session, *, actor: StaffActor, invoice_id: object, reference: str = ""
) -> Payment:
    """Record that the client paid the invoice's whole balance outside the portal (bank
    transfer, cash, cheque): a completed manual Payment, its allocation, the invoice paid.

    A draft is sent first. Refused (ValidationError "status") when nothing is owed, the
    invoice is cancelled, or a client checkout is paying it right now; so a double click
    records one payment only.
    """
    require_role(actor, StaffAction.RECORD_PAYMENT)
    invoice = own_row(session, Invoice, invoice_id, actor, what="invoice", lock=True)
    now = utcnow()
    if invoice.status not in ("draft", *PAYABLE_STATUSES) or invoice.balance_minor <= 0:
        raise ValidationError("status", gettext("Nothing is owed."))
    if being_paid(session, id_of(invoice), now):
        raise ValidationError("status", gettext("The client is paying this invoice right now."))
    label = str(reference or "").replace("\x00", "").strip()
    if len(label) > MAX_REFERENCE:
        raise ValidationError(
            "reference",
            gettext("Keep the reference under %(max)d characters.") % {"max": MAX_REFERENCE},
        )
    if invoice.status == InvoiceStatus.DRAFT:
        invoice.sent_at = invoice.sent_at or now
        # Marking a draft paid sends it first (the ledger pays open invoices only).
        invoice.status = InvoiceStatus.SENT
        session.add(invoice)
        session.flush()
    amount = invoice.balance_minor
    payment = Payment(
        company_id=invoice.company_id,
        client_id=invoice.client_id,
        number=_temporary_number(),
        status=PaymentStatus.COMPLETED,
        currency=invoice.currency,
        amount_minor=amount,
        method=PaymentMethodKind.MANUAL,
        method_label=label or "Manual payment",
        paid_at=now,
    )
    session.add(payment)
    session.flush()
    payment.number = f"PAY-{payment.id:06d}"
    session.add(payment)
    session.flush()
    ledger.allocate_payment(
        session, payment=payment, invoice_id=id_of(invoice), amount_minor=amount
    )
    record(
        session,
        actor,
        action="invoice.marked_paid",
        entity_type="invoice",
        entity_id=invoice.id,
        client_id=invoice.client_id,
        details={"payment_id": payment.id, "amount": amount, "reference": label},
    )
    return payment


def cancel_invoice(session: Session, *, actor: StaffActor, invoice_id: object) -> Invoice:
    """Cancel a sent invoice nobody has paid anything on: it stays visible, owes nothing.

    Drafts are not cancelled (they never reached the client: edit them instead), and
    invoices with money on them are refused: refund or move that money first.
    """
    require_role(actor, StaffAction.CANCEL_INVOICE)
    invoice = own_row(session, Invoice, invoice_id, actor, what="invoice", lock=True)
    now = utcnow()
    if invoice.status == InvoiceStatus.CANCELLED:
        return invoice
    if invoice.status == InvoiceStatus.DRAFT:
        raise ValidationError("status", gettext("A draft was never sent; edit it instead."))
    if invoice.status != InvoiceStatus.SENT or invoice.paid_to_date_minor != 0:
        raise ValidationError(
            "status",
            gettext("Only unpaid sent invoices can be cancelled; refund the payments first."),
        )
    if being_paid(session, id_of(invoice), now):
        raise ValidationError("status", gettext("The client is paying this invoice right now."))
    ledger.write_off_invoice(session, invoice_id=id_of(invoice))
    session.flush()
    record(
        session,
        actor,
        action="invoice.cancelled",
        entity_type="invoice",
        entity_id=invoice.id,
        client_id=invoice.client_id,
    )
    return invoice


def payment_unapplied(session: Session, payment: Payment) -> int:
    """What of a payment staff may apply now: on no invoice, not refunded, and not held by a
    checkout the client is paying with it (the ledger refuses held money)."""
    return ledger.free_unapplied_minor(payment)


def _held_refusal(session: Session, payment: Payment) -> ValidationError:
    return ValidationError(
        "applications",
        gettext(
            "The client is paying with %(amount)s of this payment right now. Try again in a "
            "few minutes."
        )
        % {
            "amount": format_money(
                payment.held_minor, payment.currency, company_locale(session, payment.company_id)
            )
        },
    )


@dataclass(frozen=True, slots=True)
class Application:
    """One invoice and the amount (major units as typed) to put on it."""

    invoice_id: object
    amount: str


def apply_unapplied(
    session: Session, *, actor: StaffActor, payment_id: object, applications: list[Application]
) -> Payment:
    """Apply a payment's unapplied money to invoices of the same client and currency.

    All or nothing: every amount must be positive, at most the invoice's balance, and their
    sum at most the unapplied amount (over-application refused); ValidationError names the
    field ("applications.N.amount" or "applications"), NotFoundError an invoice that is not
    this client's. Rows are locked, so two staff applying at once cannot over-apply.
    """
    require_role(actor, StaffAction.APPLY_PAYMENT)
    payment = own_row(session, Payment, payment_id, actor, what="payment", lock=True)
    if not applications:
        raise ValidationError("applications", gettext("Choose at least one invoice."))
    if len(applications) > MAX_APPLY_INVOICES:
        raise ValidationError(
            "applications",
            gettext("Apply to at most %(max)d invoices.") % {"max": MAX_APPLY_INVOICES},
        )
    available = payment_unapplied(session, payment)
    if available <= 0:
        if payment.held_minor > 0:
            raise _held_refusal(session, payment)
        raise ValidationError("applications", gettext("This payment has nothing left to apply."))
    now = utcnow()
    plan: list[tuple[Invoice, int]] = []
    seen: set[int] = set()
    for index, item in enumerate(applications):
        field = f"applications.{index}.amount"
        invoice = own_row(session, Invoice, item.invoice_id, actor, what="invoice", lock=True)
        if invoice.client_id != payment.client_id:
            raise NotFoundError("invoice")
        if invoice.id in seen:
            raise ValidationError(field, gettext("This invoice is listed twice."))
        seen.add(id_of(invoice))
        if invoice.currency != payment.currency:
            raise ValidationError(
                field,
                gettext("Invoice %(number)s is in %(currency)s.")
                % {"number": invoice.number, "currency": invoice.currency},
            )
        if invoice.status not in PAYABLE_STATUSES or invoice.balance_minor <= 0:
            raise ValidationError(
                field,
                gettext("Invoice %(number)s has nothing to pay.") % {"number": invoice.number},
            )
        if being_paid(session, id_of(invoice), now):
            raise ValidationError(
                field,
                gettext("The client is paying %(number)s right now.") % {"number": invoice.number},
            )
        text = str(item.amount or "").strip()
        try:
            amount = parse_major(text, payment.currency) if text else invoice.balance_minor
        except ValueError as exc:
            raise ValidationError(field, str(exc)) from exc
        if amount <= 0:
            raise ValidationError(field, gettext("Enter an amount greater than zero."))
        if amount > invoice.balance_minor:
            raise ValidationError(
                field,
                gettext("Invoice %(number)s owes less than that.") % {"number": invoice.number},
            )
        plan.append((invoice, amount))
    total = sum(amount for _, amount in plan)
    if total > available:
        if total <= ledger.unapplied_minor(payment):
            raise _held_refusal(session, payment)
        raise ValidationError(
            "applications", gettext("That is more than this payment has left to apply.")
        )
    for invoice, amount in plan:
        ledger.allocate_payment(
            session, payment=payment, invoice_id=id_of(invoice), amount_minor=amount
        )
    session.flush()
    record(
        session,
        actor,
        action="payment.applied",
        entity_type="payment",
        entity_id=payment.id,
        client_id=payment.client_id,
        details={"invoices": [{"invoice_id": i.id, "amount": a} for i, a in plan]},
    )
    return payment


def refundable_minor(session: Session, payment: Payment) -> int:
    """What of a card payment can still be refunded (less the spent part of plan-change
    credits issued against it: see `refunds.refundable_minor`)."""
    if payment.method != "card" or not payment.gateway_reference:
        return 0
    if payment.status not in ("completed", "partly_refunded"):
        return 0
    return refunds.refundable_minor(session, payment=payment)


def refund_card_payment(
    tx: Tx, *, actor: StaffActor, gateway: PaymentGateway, payment_id: object, amount: str
) -> Payment:
    """Refund `amount` (major units; empty = everything refundable) of a card payment.

    Three steps, the Stripe call between two transactions: check (owner/admin, the
    company's card payment, 0 < amount <= refundable), refund at Stripe with an idempotency key
    made of the payment id and the cumulative total asked for (a double click refunds once),
    then read the payment back from Stripe and apply what it reports. GatewayError reaches
    the caller when Stripe refuses; nothing is changed on our side then.
    """
    require_role(actor, StaffAction.REFUND)
    with tx() as session:
        payment = own_row(session, Payment, payment_id, actor, what="payment")
        left = refundable_minor(session, payment)
        intent_ref = payment.gateway_reference
        # (refundable_minor is 0 without a gateway reference: the second test is for the type)
        if left <= 0 or not intent_ref:
            raise ValidationError("amount", gettext("This payment cannot be refunded."))
        text = str(amount or "").strip()
        try:
            wanted = parse_major(text, payment.currency) if text else left
        except ValueError as exc:
            raise ValidationError("amount", str(exc)) from exc
        if wanted <= 0:
            raise ValidationError("amount", gettext("Enter an amount greater than zero."))
        if wanted > left:
            raise ValidationError("amount", gettext("That is more than is left to refund."))
        target_total = payment.refunded_minor + wanted
        pid = id_of(payment)
    gateway.refund(
        intent_ref=intent_ref,
        amount_minor=wanted,
        idempotency_key=f"staff-refund-{pid}-{target_total}",
    )
    reported = gateway.retrieve_payment(intent_ref)
    with tx() as session:
        refunded = refunds.apply_refund(
            session, intent_ref=intent_ref, total_refunded_minor=reported.refunded_minor
        )
        if refunded is None:  # pragma: no cover - checked in the first step
            raise NotFoundError("payment")
        record(
            session,
            actor,
            action="payment.refund_requested",
            entity_type="payment",
            entity_id=pid,
            client_id=refunded.client_id,
            details={"amount": wanted, "total_refunded": refunded.refunded_minor},
        )
        return refunded
