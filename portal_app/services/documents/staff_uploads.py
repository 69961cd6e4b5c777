"""Files staff attach to a client or to one of its records, visible to the client or not.

Storage, type detection and size/name checks are services.documents.store_document's; this
module adds the staff rules: the client and the record must be the staff user's company's
(and the record that client's), the upload is audited, and visibility can be switched later.
Documents of a draft stay hidden from the client while the draft is a draft (the portal's
document queries show only visible records).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.files import format_size
from portal_app.core.i18n import gettext
from portal_app.core.locale import format_day
from portal_app.core.pickling import positional_pickle
from portal_app.core.settings import Settings
from portal_app.models import Credit, Document, Invoice, Payment, Quote
from portal_app.schemas.staff_documents import OptionView
from portal_app.services.billing.document_forms import load_client
from portal_app.services.billing.staff_lists import company_locale
from portal_app.services.documents.documents import store_document
from portal_app.services.identity.staff_scope import (
    StaffAction,
    own_row,
    record,
    require_role,
    require_staff,
)

ATTACH_KINDS = {"invoice": Invoice, "quote": Quote, "credit": Credit, "payment": Payment}
LIST_LIMIT = 200


@positional_pickle
@dataclass(frozen=True, slots=True)
class StaffDocumentRow:
    """A file as staff see it."""

    id: int
    name: str
    size: str
    media_type: str
    date: str
    attached_to: str
    visible_to_client: bool
    uploaded_by: str


def upload(
    session: Session,
    *,
    actor,
    client_id: object,
    data: bytes,
    name: str,
    visible_to_client: bool,
    attach_kind: str = "",
    record_id: object = None,
    settings: Settings | None = None,
) -> Document:
    """Store a file for one of the company's clients, optionally on one of its invoices,
    quotes, credits or payments. NotFoundError for anything not the company's (or a record of
    another client), ValidationError("file") for the file itself."""
    require_role(actor, StaffAction.MANAGE_DOCUMENTS)
    try:
        client = load_client(session, company_id=actor.company_id, raw_id=client_id)
    except NotFoundError:
        raise NotFoundError("client") from None
    target = None
    if attach_kind:
        model = ATTACH_KINDS.get(attach_kind)
        if model is None:
            raise ValidationError(
                "attach_kind", gettext("Attach the file to the client or a record.")
            )
        target = own_row(session, model, record_id, actor, what=attach_kind)
        if target.client_id != client.id:
            raise NotFoundError(attach_kind)
    ids = {
        f"{kind}_id": target.id
        for kind in ("invoice", "credit", "payment")
        if target is not None and kind == attach_kind
    }
    document = store_document(
        session,
        company_id=actor.company_id,
        client_id=client.id,
        data=data,
        name=name,
        uploaded_by="staff",
        visible_to_client=bool(visible_to_client),
        settings=settings,
        **ids,
    )
    if attach_kind == "quote":
        # store_document knows no quotes yet; ownership was checked above.
        document.quote_id = target.id
        session.add(document)
        session.flush()
    record(
        session,
        actor,
        action="document.uploaded",
        entity_type="document",
        entity_id=document.id,
        client_id=client.id,
        details={
            "name": document.name,
            "attached_to": attach_kind or "client",
            "record_id": target.id if target is not None else None,
            "visible_to_client": document.visible_to_client,
        },
    )
    return document


def set_visibility(session: Session, *, actor, document_id: object, visible: bool) -> Document:
    """Show a document to the client or hide it; audited."""
    require_role(actor, StaffAction.MANAGE_DOCUMENTS)
    document = own_row(session, Document, document_id, actor, what="document", lock=True)
    if document.visible_to_client != bool(visible):
        document.visible_to_client = bool(visible)
        session.add(document)
        session.flush()
        record(
            session,
            actor,
            action="document.visibility_changed",
            entity_type="document",
            entity_id=document.id,
            client_id=document.client_id,
            details={"visible_to_client": document.visible_to_client},
        )
    return document


def list_documents(
    session: Session, *, actor, client_id: object, attach_kind: str = "", record_id: object = None
) -> list[StaffDocumentRow]:
    """A client's files (newest first), or only those on one record, visible or not."""
    require_staff(actor)
    client = load_client(session, company_id=actor.company_id, raw_id=client_id)
    statement = select(Document).where(
        Document.company_id == actor.company_id, Document.client_id == client.id
    )
    if attach_kind:
        if attach_kind not in ATTACH_KINDS:
            raise NotFoundError("record")
        target = own_row(session, ATTACH_KINDS[attach_kind], record_id, actor, what=attach_kind)
        statement = statement.where(getattr(Document, f"{attach_kind}_id") == target.id)
    docs = session.exec(
        statement.order_by(col(Document.created_at).desc(), col(Document.id).desc()).limit(
            LIST_LIMIT
        )
    ).all()
    locale = company_locale(session, actor.company_id)
    return [
        StaffDocumentRow(
            id=doc.id,
            name=doc.name,
            size=format_size(doc.size_bytes),
            media_type=doc.media_type,
            date=format_day(doc.created_at, locale),
            attached_to=_attached_label(doc),
            visible_to_client=doc.visible_to_client,
            uploaded_by=doc.uploaded_by,
        )
        for doc in docs
    ]


def _attached_label(doc: Document) -> str:
    for kind in ATTACH_KINDS:
        if getattr(doc, f"{kind}_id", None):
            return kind.capitalize()
    return "Client"


def record_options(session: Session, *, actor, client_id: object) -> list[OptionView]:
    """ "invoice:12"-style choices of a client's records a file can be attached to."""
    require_staff(actor)
    client = load_client(session, company_id=actor.company_id, raw_id=client_id)
    options = [OptionView("client", "The client (no record)")]
    for kind, model in ATTACH_KINDS.items():
        rows = session.exec(
            select(model.id, model.number)
            .where(model.company_id == actor.company_id, model.client_id == client.id)
            .order_by(col(model.id).desc())
            .limit(50)
        ).all()
        options.extend(
            OptionView(f"{kind}:{rid}", f"{kind.capitalize()} {num}") for rid, num in rows
        )
    return options
