"""Creating and editing invoices, quotes and credits from the staff console (shared steps).

Numbers come from services.numbering when the draft is created. Totals are computed here from
the parsed lines. Only drafts can be edited: once a document was sent the client may have seen
or paid it, so its lines, dates and amounts stay as sent (cancel it and issue a new one).
The client of a document never changes after creation (documents and links hang off it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, select

from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.core.i18n import gettext
from portal_app.models import Credit, CreditLine, Invoice, InvoiceLine, Quote, QuoteLine
from portal_app.services.billing import numbering
from portal_app.services.billing.document_forms import (
    DocumentForm,
    FormErrors,
    ParsedDocument,
    form_from_record,
    line_rows,
    parse_document,
)
from portal_app.services.company.staff_status import staff_status_label
from portal_app.services.identity.staff_scope import (
    StaffAction,
    own_row,
    record,
    require_role,
    require_staff,
)


@dataclass(frozen=True, slots=True)
class Kind:
    """How one kind of document is stored."""

    name: str  # invoice | quote | credit
    model: type
    line_model: type
    line_fk: str  # the line's column pointing at its document


INVOICE = Kind("invoice", Invoice, InvoiceLine, "invoice_id")
QUOTE = Kind("quote", Quote, QuoteLine, "quote_id")
CREDIT = Kind("credit", Credit, CreditLine, "credit_id")


def get_record(session: Session, *, actor, kind: Kind, record_id: object, lock: bool = False):
    """One document of the actor's company; NotFoundError otherwise."""
    require_staff(actor)
    return own_row(session, kind.model, record_id, actor, what=kind.name, lock=lock)


def record_lines(session: Session, kind: Kind, record_id: int) -> list:
    """A document's lines in order."""
    fk = getattr(kind.line_model, kind.line_fk)
    return list(
        session.exec(
            select(kind.line_model)
            .where(fk == record_id)
            .order_by(kind.line_model.position, kind.line_model.id)
        ).all()
    )


def edit_form(session: Session, *, actor, kind: Kind, record_id: object) -> DocumentForm:
    """The form to edit a document, filled with what is stored."""
    row = get_record(session, actor=actor, kind=kind, record_id=record_id)
    return form_from_record(row, record_lines(session, kind, row.id), currency=row.currency)


def _apply(row, parsed: ParsedDocument, kind: Kind) -> None:
    row.currency = parsed.currency
    row.issue_date = parsed.issue_date
    row.public_notes = parsed.public_notes
    row.subtotal_minor = parsed.subtotal_minor
    row.tax_minor = parsed.tax_minor
    row.amount_minor = parsed.amount_minor
    if kind.name == "invoice":
        row.due_date = parsed.due_date
        row.partial_minor = parsed.partial_minor
        row.partial_due_date = parsed.partial_due_date
        row.paid_to_date_minor = 0
        row.balance_minor = parsed.amount_minor
    elif kind.name == "quote":
        row.valid_until = parsed.due_date
    else:
        row.balance_minor = parsed.amount_minor
    if kind.name in ("invoice", "quote"):
        row.po_number = parsed.po_number
        row.terms = parsed.terms
        row.footer = parsed.footer
    row.updated_at = utcnow()


def _store_lines(session: Session, kind: Kind, row, parsed: ParsedDocument) -> None:
    fk = getattr(kind.line_model, kind.line_fk)
    session.exec(delete(kind.line_model).where(fk == row.id))
    for line in line_rows(kind.line_model, parsed.lines, **{kind.line_fk: row.id}):
        session.add(line)


def create_record(session: Session, *, actor, kind: Kind, form: DocumentForm):
    """A new draft of `kind` for one of the company's clients, numbered per company.

    FormErrors (a ValidationError) names every wrong field; nothing is written then.
    """
    require_role(actor, StaffAction.EDIT_DOCUMENTS)
    parsed = parse_document(session, company_id=actor.company_id, form=form, kind=kind.name)
    row = kind.model(
        company_id=actor.company_id,
        client_id=parsed.client.id,
        number=numbering.next_number(session, company_id=actor.company_id, kind=kind.name),
        status="draft",
        currency=parsed.currency,
        issue_date=parsed.issue_date,
    )
    _apply(row, parsed, kind)
    session.add(row)
    session.flush()
    _store_lines(session, kind, row, parsed)
    session.flush()
    record(
        session,
        actor,
        action=f"{kind.name}.created",
        entity_type=kind.name,
        entity_id=row.id,
        client_id=row.client_id,
        details={"number": row.number, "amount": row.amount_minor, "currency": row.currency},
    )
    return row


def update_record(session: Session, *, actor, kind: Kind, record_id: object, form: DocumentForm):
    """Replace a draft's fields and lines. Sent documents are refused (ValidationError on
    "status"); the client cannot be changed (ValidationError on "client_id")."""
    require_role(actor, StaffAction.EDIT_DOCUMENTS)
    row = get_record(session, actor=actor, kind=kind, record_id=record_id, lock=True)
    if row.status != "draft":
        raise ValidationError(
            "status",
            {
                "invoice": gettext("Only drafts can be edited; this invoice was already sent."),
                "quote": gettext("Only drafts can be edited; this quote was already sent."),
            }.get(kind.name, gettext("Only drafts can be edited; this credit was already sent.")),
        )
    parsed = parse_document(session, company_id=actor.company_id, form=form, kind=kind.name)
    if parsed.client.id != row.client_id:
        changed = {
            "invoice": gettext("The client of an invoice cannot be changed."),
            "quote": gettext("The client of a quote cannot be changed."),
        }.get(kind.name, gettext("The client of a credit cannot be changed."))
        raise FormErrors({"client_id": changed})
    _apply(row, parsed, kind)
    session.add(row)
    _store_lines(session, kind, row, parsed)
    session.flush()
    record(
        session,
        actor,
        action=f"{kind.name}.updated",
        entity_type=kind.name,
        entity_id=row.id,
        client_id=row.client_id,
        details={"amount": row.amount_minor},
    )
    return row


def mark_sent(session: Session, *, actor, kind: Kind, record_id: object):
    """Move a draft to "sent" so the client sees it at once. A document already sent is left
    as it is (a second click changes nothing); other statuses are refused."""
    require_role(actor, StaffAction.EDIT_DOCUMENTS)
    row = get_record(session, actor=actor, kind=kind, record_id=record_id, lock=True)
    if row.status == "draft":
        now = utcnow()
        row.status = "sent"
        if hasattr(kind.model, "sent_at"):  # credits keep no sent time
            row.sent_at = row.sent_at or now
        row.updated_at = now
        session.add(row)
        session.flush()
        record(
            session,
            actor,
            action=f"{kind.name}.marked_sent",
            entity_type=kind.name,
            entity_id=row.id,
            client_id=row.client_id,
        )
    elif row.status != "sent" and not (kind.name != "quote" and row.status == "partial"):
        unsendable = {
            "invoice": gettext("This invoice is %(status)s; it cannot be sent."),
            "quote": gettext("This quote is %(status)s; it cannot be sent."),
        }.get(kind.name, gettext("This credit is %(status)s; it cannot be sent."))
        raise ValidationError("status", unsendable % {"status": staff_status_label(row.status)})
    return row
