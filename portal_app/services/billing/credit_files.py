"""Credit note downloads, always scoped to the actor (drafts are never found)."""

from __future__ import annotations

from sqlmodel import Session

from portal_app.core.files import safe_name_part
from portal_app.pdf.credit_pdf import render_credit_pdf
from portal_app.services.billing import credits
from portal_app.services.billing.einvoice import client_format, in_format
from portal_app.services.identity.actor import Actor


def credit_filename(number: str, credit_id: int) -> str:
    """The download name of a credit's PDF, e.g. 'credit-CR-0001.pdf'."""
    return f"credit-{safe_name_part(number, str(credit_id))}.pdf"


def credit_pdf(session: Session, *, actor: Actor, credit_id: int) -> tuple[str, bytes]:
    """The actor's credit as (filename, PDF bytes); NotFoundError if it is not theirs."""
    view = credits.credit_view(session, actor=actor, credit_id=credit_id)
    fmt = client_format(session, actor.client_id)
    return credit_filename(view.number, view.id), render_credit_pdf(in_format(view, fmt))
