"""The one rule of what a dispute pauses: an invoice with an open dispute gets no payment
reminders and no auto-bill charge until staff resolve it (issue 22 item 4).

A dispute is a DocumentThread of kind "dispute" and status "open" on the invoice (the
conversation itself lives in services/documents/threads.py). A question does not pause
anything. The reminder job (billing/reminders.py) and the unattended charge
(payments/autobill.py, used by recurring invoices and subscription renewals) ask here; once
the dispute is resolved they go on as before on their next run.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from portal_app.models import DocumentThread
from portal_app.models.statuses import ThreadKind, ThreadStatus


def disputed_invoice_ids():
    """SELECT of the ids of every invoice with an open dispute (for IN / NOT IN)."""
    return select(DocumentThread.invoice_id).where(
        DocumentThread.kind == ThreadKind.DISPUTE,
        DocumentThread.status == ThreadStatus.OPEN,
        col(DocumentThread.invoice_id).is_not(None),
    )


def not_in_dispute(invoice_id_column: Any):
    """SQL condition: the invoice in `invoice_id_column` has no open dispute."""
    return col(invoice_id_column).not_in(disputed_invoice_ids().scalar_subquery())


def in_dispute(session: Session, invoice_id: int) -> bool:
    """True while this invoice has an open dispute (reminders and auto-bill wait)."""
    found = session.exec(
        disputed_invoice_ids().where(DocumentThread.invoice_id == invoice_id)
    ).first()
    return found is not None
