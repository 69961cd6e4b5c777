"""A cheap fingerprint of a client's money records, to notice changes made elsewhere."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from portal_app.models import Invoice, Payment
from portal_app.services.actor import Actor


def ledger_stamp(session: Session, *, actor: Actor) -> str:
    """Changes whenever one of the client's invoices or payments changes (e.g. by a webhook)."""
    invoices = session.exec(
        select(func.max(Invoice.updated_at), func.count()).where(
            Invoice.company_id == actor.company_id, Invoice.client_id == actor.client_id
        )
    ).one()
    payments = session.exec(
        select(func.max(Payment.updated_at), func.count()).where(
            Payment.company_id == actor.company_id, Payment.client_id == actor.client_id
        )
    ).one()
    return f"{invoices[0]}|{invoices[1]}|{payments[0]}|{payments[1]}"
