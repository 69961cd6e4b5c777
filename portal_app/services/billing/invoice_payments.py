"""What paid an invoice: its payments and credits, as the client's invoice page lists them.

Read from the PaymentAllocation rows (the ledger's record of every amount applied), so the
list always adds up to the invoice's paid to date and credit applied. Allocation rows carry no
client, so each source is joined under the viewer's own scope: a payment or credit of another
client never shows, and an e-mailed-link session sees the payments its link allows
(services/identity/link_scope.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, or_
from sqlmodel import Session, col, select

from portal_app.core import routes
from portal_app.core.card_labels import shown_method_label
from portal_app.core.i18n import gettext as _
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.models import Credit, Invoice, Payment, PaymentAllocation
from portal_app.models.credit import VISIBLE_CREDIT_STATUSES
from portal_app.models.statuses import PaymentStatus
from portal_app.schemas.invoice import InvoicePaymentView
from portal_app.services.company import modules
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import PARAMETER_ACTOR as _PARAMETER_ACTOR
from portal_app.services.identity.scope import client_scope

# Card money counts once it is received; a refund leaves the allocation, marked refunded.
_RECEIVED = (PaymentStatus.COMPLETED, PaymentStatus.REFUNDED, PaymentStatus.PARTLY_REFUNDED)


@dataclass
class _Source:
    """One payment or credit, summed over its allocations to the invoice."""

    kind: str
    record_id: int
    number: str
    when: datetime
    method: str
    amount: int = 0
    refunded: int = 0
    linked: bool = False


def _rows_statement(actor: Actor, invoice_id: object):
    """The invoice's allocations with their payment's or credit's columns, within the actor's
    scope. Plain columns: building three ORM objects per row cost more than the query."""
    card = client_scope(Payment, actor)
    credit_scope = client_scope(Credit, actor)
    return (
        select(
            col(PaymentAllocation.amount_minor),
            col(PaymentAllocation.refunded_minor),
            col(PaymentAllocation.created_at),
            col(Credit.id).label("credit_id"),
            col(Payment.id).label("payment_id"),
            col(Payment.number).label("payment_number"),
            col(Payment.paid_at),
            col(Payment.created_at).label("payment_created_at"),
            col(Payment.method_label),
            col(Payment.method),
            col(Credit.number).label("credit_number"),
            col(Credit.status).label("credit_status"),
        )
        .join(Payment, col(Payment.id) == PaymentAllocation.payment_id, isouter=True)
        .join(Credit, col(Credit.id) == PaymentAllocation.credit_id, isouter=True)
        .where(
            PaymentAllocation.invoice_id == invoice_id,
            PaymentAllocation.company_id == actor.company_id,
            or_(
                # Credit used (through a checkout or by staff): the credit is the source.
                col(PaymentAllocation.credit_id).is_not(None) & credit_scope,
                col(PaymentAllocation.credit_id).is_(None)
                & card
                & col(Payment.status).in_(_RECEIVED),
            ),
        )
        .order_by(col(PaymentAllocation.created_at), col(PaymentAllocation.id))
    )


# The statement built once, with the scope's own conditions and the actor's ids as bind
# parameters (a stand-in actor whose ids are parameters): each invoice view binds values to
# SQL compiled once instead of building and hashing the statement again, which cost more than
# running it (issue 25). An e-mailed-link session's narrower scope is built per call.
_OWN_ROWS = _rows_statement(_PARAMETER_ACTOR, bindparam("invoice_id"))


def invoice_payments(
    session: Session, *, actor: Actor, invoice: Invoice, locale: str
) -> list[InvoicePaymentView]:
    """The payments and credits that paid `invoice` (already fetched within the actor's
    scope), oldest first, each with what it applied here and what of that was refunded."""
    if actor.is_link_session:
        rows = session.exec(_rows_statement(actor, invoice.id)).all()
    else:
        rows = session.exec(
            _OWN_ROWS,
            params={
                "company_id": actor.company_id,
                "client_id": actor.client_id,
                "invoice_id": invoice.id,
            },
        ).all()
    payments_on = modules.is_enabled(session, company_id=actor.company_id, module="payments")
    # A link session never opens the credits module (link_scope.require_module).
    credits_on = not actor.is_link_session and modules.is_enabled(
        session, company_id=actor.company_id, module="credits"
    )

    sources: dict[tuple[str, int], _Source] = {}
    for row in rows:
        if row.credit_id is not None:
            key = ("credit", row.credit_id)
            source = sources.get(key) or _Source(
                "credit",
                row.credit_id,
                row.credit_number,
                row.created_at,
                _("Credit"),
                linked=credits_on and row.credit_status in VISIBLE_CREDIT_STATUSES,
            )
        elif row.payment_id is not None:
            key = ("payment", row.payment_id)
            source = sources.get(key) or _Source(
                "payment",
                row.payment_id,
                row.payment_number,
                row.paid_at or row.payment_created_at,
                shown_method_label(row.method_label, row.method),
                linked=payments_on,
            )
        else:
            continue
        source.amount += row.amount_minor
        source.refunded += row.refunded_minor
        sources[key] = source

    def money(minor: int) -> str:
        return format_money(minor, invoice.currency, locale)

    def href(source: _Source) -> str:
        if not source.linked:
            return ""
        if source.kind == "credit":
            return routes.credit_url(source.record_id)
        return routes.payment_url(source.record_id)

    return [
        InvoicePaymentView(
            kind=source.kind,
            number=source.number,
            date=format_day(source.when, locale),
            method=source.method,
            amount=money(source.amount),
            refunded=money(source.refunded) if source.refunded else "",
            is_refunded=source.refunded >= source.amount,
            href=href(source),
        )
        for source in sorted(sources.values(), key=lambda s: (s.when, s.kind, s.record_id))
    ]
