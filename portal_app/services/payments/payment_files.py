"""Payment receipt downloads, always scoped to the actor."""

from __future__ import annotations

from sqlmodel import Session

from portal_app.core.files import safe_name_part
from portal_app.pdf.receipt_pdf import render_receipt_pdf
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import payments


def receipt_filename(number: str, payment_id: int) -> str:
    """The download name of a payment's receipt, e.g. 'receipt-PAY-000123.pdf'."""
    return f"receipt-{safe_name_part(number, str(payment_id))}.pdf"


def payment_receipt(session: Session, *, actor: Actor, payment_id: int) -> tuple[str, bytes]:
    """The actor's payment receipt as (filename, PDF bytes); NotFoundError if not theirs."""
    view = payments.payment_view(session, actor=actor, payment_id=payment_id)
    return receipt_filename(view.number, view.id), render_receipt_pdf(view)
