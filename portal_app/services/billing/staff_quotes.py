"""A client's answer to a quote, as the staff quote page shows it.

What is stored: an approval has its QuoteApproval row (contact, time, address, browser, terms
version, PO number, signature image) and a "quote_approved" audit event (whether it came through
the e-mailed link); a decline has the quote's declined_at and reason, and a "quote_declined"
audit event naming the contact and address (declines keep no row of their own). Nothing here
is guessed: what was not kept stays empty.
"""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from portal_app.core.errors import NotFoundError
from portal_app.core.locale import format_moment
from portal_app.models import AuditEvent, ClientContact, Invoice, Quote, QuoteApproval
from portal_app.models.statuses import QuoteStatus
from portal_app.schemas.staff_documents import StaffQuoteAnswer
from portal_app.services.billing.staff_records import QUOTE, get_record
from portal_app.services.company.locale import company_locale, company_time_zone
from portal_app.services.identity.actor import StaffActor

_APPROVED = (QuoteStatus.APPROVED, QuoteStatus.CONVERTED)


def quote_answer(session: Session, *, actor: StaffActor, quote_id: object) -> StaffQuoteAnswer:
    """How the client answered one of the company's quotes; NotFoundError for another
    company's quote or a bad id. A quote not answered yet gives answer ""."""
    quote = get_record(session, actor=actor, kind=QUOTE, record_id=quote_id)
    # When it was answered is shown in the company's locale and time zone.
    company_id = actor.company_id
    shown_in = company_locale(session, company_id), company_time_zone(session, company_id)
    if quote.status in _APPROVED:
        return _approved(session, quote, shown_in)
    if quote.status == QuoteStatus.DECLINED:
        return _declined(session, quote, shown_in)
    return StaffQuoteAnswer(answer="", answered_at="")


def approval_signature(session: Session, *, actor: StaffActor, quote_id: object) -> bytes:
    """The PNG the client signed one of the company's quotes with; NotFoundError when the
    quote is another company's or was approved without a signature."""
    quote = get_record(session, actor=actor, kind=QUOTE, record_id=quote_id)
    approval = _approval(session, quote)
    if approval is None or not approval.signature_png:
        raise NotFoundError("signature")
    return approval.signature_png


def _approval(session: Session, quote: Quote) -> QuoteApproval | None:
    return session.exec(
        select(QuoteApproval).where(
            QuoteApproval.quote_id == quote.id, QuoteApproval.company_id == quote.company_id
        )
    ).first()


def _event(session: Session, quote: Quote, action: str) -> AuditEvent | None:
    """The latest audit event of `action` on this quote (the company's own)."""
    return session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.company_id == quote.company_id,
            AuditEvent.entity_type == "quote",
            AuditEvent.entity_id == quote.id,
            AuditEvent.action == action,
        )
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
    ).first()


def _contact_name(session: Session, quote: Quote, contact_id: int | None) -> str:
    """ "Name <e-mail>" of the client's contact; "" for anyone else (never another client's)."""
    contact = session.get(ClientContact, contact_id) if contact_id else None
    if contact is None or contact.client_id != quote.client_id:
        return ""
    return f"{contact.display_name} <{contact.email}>"


def _via(event: AuditEvent | None) -> str:
    if event is None:
        return ""
    try:
        details = json.loads(event.details or "{}")
    except ValueError:
        return ""
    if not isinstance(details, dict) or "link" not in details:
        return ""
    return "the e-mailed link" if details["link"] else "signed in"


def _invoice(session: Session, quote: Quote) -> Invoice | None:
    invoice = session.get(Invoice, quote.invoice_id) if quote.invoice_id else None
    if invoice is None or invoice.company_id != quote.company_id:
        return None
    return invoice


def _approved(session: Session, quote: Quote, shown_in: tuple[str, str]) -> StaffQuoteAnswer:
    approval = _approval(session, quote)
    invoice = _invoice(session, quote)
    invoice_fields = {
        "invoice_id": invoice.id if invoice else 0,
        "invoice_number": invoice.number if invoice else "",
    }
    if approval is None:
        return StaffQuoteAnswer(
            answer="approved",
            answered_at=format_moment(quote.approved_at, *shown_in),
            po_number=quote.po_number,
            **invoice_fields,
        )
    if approval.terms_accepted:
        terms = f"Accepted (version {approval.terms_version})"
    else:
        terms = "Not asked"
    return StaffQuoteAnswer(
        answer="approved",
        answered_at=format_moment(approval.created_at, *shown_in),
        recorded=True,
        contact=_contact_name(session, quote, approval.contact_id),
        address=approval.ip,
        browser=approval.user_agent,
        via=_via(_event(session, quote, "quote_approved")),
        terms=terms,
        po_number=approval.po_number,
        has_signature=bool(approval.signature_png),
        **invoice_fields,
    )


def _declined(session: Session, quote: Quote, shown_in: tuple[str, str]) -> StaffQuoteAnswer:
    event = _event(session, quote, "quote_declined")
    by_contact = event is not None and event.actor_type == "contact"
    return StaffQuoteAnswer(
        answer="declined",
        answered_at=format_moment(quote.declined_at, *shown_in),
        recorded=by_contact,
        contact=_contact_name(session, quote, event.actor_id) if by_contact else "",
        address=event.ip if by_contact else "",
        decline_reason=quote.decline_reason,
    )
