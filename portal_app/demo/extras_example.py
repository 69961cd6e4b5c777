"""The service behind the example add-on tab in docs/extending.md."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal_app.models import Invoice
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope


def open_invoice_count(session: Session, *, actor: Actor) -> int:
    """How many of the actor's invoices still have a balance to pay."""
    return session.exec(
        select(func.count())
        .select_from(Invoice)
        .where(
            client_scope(Invoice, actor),
            col(Invoice.status).in_(PAYABLE_STATUSES),
            Invoice.balance_minor > 0,
        )
    ).one()
